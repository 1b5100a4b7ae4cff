/*
 * eddy memcache — internals: the client and its pool (memcache.c), a
 * connection (mc_conn.c), the text protocol (mc_proto.c).
 */
#ifndef EDDY_DB_MC_INT_H
#define EDDY_DB_MC_INT_H

#include <sys/socket.h>

#include "core/internal.h"
#include "eddy/memcache.h"
#include "eddy/net.h"
#include "eddy/respool.h"

enum { MC_GET = 1, MC_STORE, MC_DELETE, MC_INCR };

typedef struct eddy__mc_req_s {
  eddy_mc_result_t res; /* first */
  eddy_queue_t node;    /* waiting, in flight, or failed */
  int kind;
  int status;
  eddy_mc_cb cb;
  char *wire; /* the command's bytes */
  size_t wire_len;
  char *value; /* get: the copy handed to the callback */
  eddy_write_t write;
  int written, answered; /* freed when both */
} eddy__mc_req_t;

typedef struct eddy__mc_conn_s {
  eddy_respool_res_t res;
  eddy_respool_op_t *create_op;
  eddy_tcp_t tcp;
  eddy_connect_t connect;
  struct eddy_mc_s *mc;
  eddy_queue_t node; /* in mc->active */
  eddy_queue_t inflight;
  unsigned ninflight;
  char *rbuf;
  size_t rlen, rcap;
  int dead, lent;
  eddy_respool_op_t *destroy_op;
} eddy__mc_conn_t;

struct eddy_mc_s {
  eddy_loop_t *loop;
  struct sockaddr_storage addr;
  eddy_respool_t pool;
  eddy_queue_t wait;
  eddy_queue_t active;
  unsigned nactive, nacquiring, max_conns;
  eddy_queue_t failed;
  eddy__pending_t fail_pending;
  int last_error;
  int closing;
  eddy_mc_close_cb close_cb;
};

/* mc_proto.c: builds req->wire; 0 or -ENOMEM. */
int eddy__mc_encode(eddy__mc_req_t *req, const char *cmd, const char *key,
                    size_t klen, const void *value, size_t vlen, uint32_t flags,
                    uint32_t exptime, uint64_t delta);
/* Parses the answer to `req` at the start of [buf, len): bytes used (>0),
 * 0 if incomplete, -1 if not memcached's. Sets req->status and result. */
long eddy__mc_parse(eddy__mc_req_t *req, const char *buf, size_t len);

/* mc_conn.c: the pool's factory, sending, dying. */
void eddy__mc_create(eddy_respool_t *pool, eddy_respool_op_t *op);
void eddy__mc_destroy(eddy_respool_t *pool, eddy_respool_op_t *op);
void eddy__mc_send(eddy__mc_conn_t *c, eddy__mc_req_t *req);
void eddy__mc_conn_die(eddy__mc_conn_t *c, int status);

/* memcache.c */
void eddy__mc_req_done(eddy__mc_req_t *req);
void eddy__mc_fail_later(eddy__mc_req_t *req, int status);
void eddy__mc_pump(struct eddy_mc_s *mc);
void eddy__mc_conn_quiet(eddy__mc_conn_t *c);

#endif

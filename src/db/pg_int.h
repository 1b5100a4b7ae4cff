/*
 * eddy db — PostgreSQL engine internals: connections (pg_conn.c), sending
 * (pg_send.c), receiving (pg_recv.c) and the pool (pg_engine.c).
 *
 * Every connection is in pipeline mode: a request is sent as [Parse] Bind
 * Execute Sync without waiting for earlier answers, and `inflight` is the
 * FIFO of requests whose answers have not all come back. A Sync after each
 * request confines an error to that request. Nothing here blocks: the
 * socket is a bare watcher of the loop (bare, because libpq may change the
 * socket while connecting, and a connection is freed on the loop without
 * waiting for a close callback), libpq is non-blocking, and connects are
 * bounded by the pool's sweep timer.
 */
#ifndef EDDY_DB_PG_INT_H
#define EDDY_DB_PG_INT_H

#include <libpq-fe.h>

#include "db/db_int.h"

enum { PG_CONNECTING = 1, PG_READY, PG_DEAD };

/* Where a request is in its answers (req->engine_state). */
enum { PG_AWAIT_PREPARE = 1, PG_AWAIT_QUERY, PG_AWAIT_SYNC };

typedef struct eddy__pg_s eddy__pg_t;

typedef struct eddy__pg_conn_s {
  eddy__watcher_t w;
  eddy__pg_t *pg;
  PGconn *c;
  int state;
  eddy_queue_t node;     /* in pg->conns, then pg->graveyard */
  eddy_queue_t inflight; /* sent requests, oldest first */
  unsigned ninflight;
  eddy__db_tx_t *tx;     /* the transaction that borrowed it, or NULL */
  eddy__db_stmt_cache_t stmts; /* SQL -> statement number (as a pointer) */
  unsigned next_stmt;
  uint64_t deadline;   /* connecting: give up at this loop time (ms) */
  uint64_t idle_since; /* ready: when inflight last became empty */
} eddy__pg_conn_t;

struct eddy__pg_s {
  eddy_db_t *db;
  char *url;
  char *hostaddr; /* NULL: a Unix socket */
  eddy_queue_t conns;
  unsigned nconns, nconnecting;
  eddy_queue_t wait;      /* requests waiting for a connection */
  eddy_queue_t graveyard; /* dead connections, freed in the pending phase */
  eddy__pending_t bury;
  eddy_timer_t sweep;     /* connect timeouts, idle close, min_conns */
  uint64_t last_fail;     /* loop time of the last failed connect */
  int closing;
};

/* pg_conn.c */
int eddy__pg_conn_start(eddy__pg_t *pg);
/* Tears a connection down: its requests fail (later) with `status`. */
void eddy__pg_conn_die(eddy__pg_conn_t *pc, int status, const char *msg);
/* Closes an idle connection (no request on it). */
void eddy__pg_conn_close(eddy__pg_conn_t *pc);
/* Sends what libpq holds; arms the watcher. 0 or -ECONNRESET. */
int eddy__pg_flush(eddy__pg_conn_t *pc);

/* pg_send.c: sends one request in the pipeline. 0, or a status that
 * means the connection is broken. */
int eddy__pg_send(eddy__pg_conn_t *pc, eddy__db_req_t *req);

/* pg_recv.c: reads and delivers what has arrived. 0 or -ECONNRESET. */
int eddy__pg_read(eddy__pg_conn_t *pc);

/* pg_engine.c: hands waiting requests to connections that can take them. */
void eddy__pg_pump(eddy__pg_t *pg);
/* A connection became ready, idle or gone. */
void eddy__pg_conn_changed(eddy__pg_t *pg);
/* A connect failed and no other connection can serve: fail the waiters. */
void eddy__pg_fail_waiting(eddy__pg_t *pg, int status, const char *msg);

#endif

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
 * bounded by the engine's sweep timer.
 *
 * Connections live in the generic resource pool (eddy/respool.h): it opens
 * them (min, max), closes the idle ones (idle_ms) and replaces the dead.
 * The engine borrows a connection while it has requests in flight on it
 * (several, pipelined) and gives it back when it goes quiet; a transaction
 * borrows one for itself.
 */
#ifndef EDDY_DB_PG_INT_H
#define EDDY_DB_PG_INT_H

#include <libpq-fe.h>

#include "db/db_int.h"
#include "eddy/respool.h"

enum { PG_CONNECTING = 1, PG_READY, PG_DEAD };

/* Where a request is in its answers (req->engine_state). */
enum { PG_AWAIT_PREPARE = 1, PG_AWAIT_QUERY, PG_AWAIT_SYNC };

typedef struct eddy__pg_s eddy__pg_t;

typedef struct eddy__pg_conn_s {
  eddy_respool_res_t res;       /* the pool's link */
  eddy_respool_op_t *create_op; /* while connecting */
  int lent;                     /* borrowed by the engine (active or a tx) */
  eddy__watcher_t w;
  eddy__pg_t *pg;
  PGconn *c;
  int state;
  eddy_queue_t node;     /* in pg->connecting or pg->active, then
                            pg->graveyard */
  eddy_queue_t inflight; /* sent requests, oldest first */
  unsigned ninflight;
  eddy__db_tx_t *tx;           /* the transaction that borrowed it, or NULL */
  eddy__db_stmt_cache_t stmts; /* SQL -> statement number (as a pointer) */
  unsigned next_stmt;
  uint64_t deadline;   /* connecting: give up at this loop time (ms) */
  uint64_t idle_since; /* ready: when inflight last became empty */
} eddy__pg_conn_t;

struct eddy__pg_s {
  eddy_db_t *db;
  char *url;
  char *hostaddr; /* NULL: a Unix socket */
  eddy_respool_t pool;
  eddy_queue_t connecting; /* connects in progress (for their timeout) */
  eddy_queue_t active;     /* borrowed for plain requests */
  unsigned nactive, nacquiring, nconns, nwait;
  eddy_queue_t wait;      /* plain requests waiting for a connection */
  char last_error[256];   /* why the last connect failed */
  eddy_queue_t graveyard; /* dead connections, freed in the pending phase */
  eddy__pending_t bury;
  eddy_timer_t sweep; /* connect timeouts */
  int closing;
};

/* pg_conn.c: the pool's factory (create, destroy). */
void eddy__pg_create(eddy_respool_t *pool, eddy_respool_op_t *op);
void eddy__pg_destroy(eddy_respool_t *pool, eddy_respool_op_t *op);
/* A connect ran out of time. */
void eddy__pg_connect_timeout(eddy__pg_conn_t *pc);
/* The connection broke: its requests fail (later) with `status`, and the
 * pool destroys it. */
void eddy__pg_conn_die(eddy__pg_conn_t *pc, int status, const char *msg);
/* Sends what libpq holds; arms the watcher. 0 or -ECONNRESET. */
int eddy__pg_flush(eddy__pg_conn_t *pc);

/* pg_send.c: sends one request in the pipeline. 0, or a status that
 * means the connection is broken. */
int eddy__pg_send(eddy__pg_conn_t *pc, eddy__db_req_t *req);

/* pg_recv.c: reads and delivers what has arrived. 0 or -ECONNRESET. */
int eddy__pg_read(eddy__pg_conn_t *pc);

/* pg_engine.c: hands waiting requests to connections that can take them. */
void eddy__pg_pump(eddy__pg_t *pg);
/* A request ended or a connection died: give back a connection that went
 * quiet, serve the waiters. */
void eddy__pg_conn_changed(eddy__pg_t *pg, eddy__pg_conn_t *pc);

#endif

/*
 * eddy db — SQLite engine internals shared by the loop side
 * (sqlite_engine.c) and the pool-thread side (sqlite_exec.c).
 *
 * A connection runs at most one batch of requests at a time, as one
 * thread-pool work item. While a batch runs, the connection and the
 * requests in `batch` belong to the pool thread; the loop touches them
 * again only in the after-work callback (the pool's queue lock orders the
 * two sides).
 */
#ifndef EDDY_DB_SQLITE_INT_H
#define EDDY_DB_SQLITE_INT_H

#include <sqlite3.h>

#include "db/db_int.h"
#include "eddy/threadpool.h"

/* A request that a reader found writing goes back to the writer. */
#define EDDY__SQ_BOUNCE 1

typedef struct eddy__sq_s eddy__sq_t;

typedef struct {
  eddy_work_t work;
  eddy__sq_t *sq;
  sqlite3 *h;         /* opened by the first batch, on a pool thread */
  int reader;         /* a read connection (query_only) */
  int busy;           /* a batch is on the pool */
  int open_err;       /* status of the failed open, reported per request */
  eddy_queue_t batch; /* the requests of the running batch */
  eddy__db_stmt_cache_t stmts;
  eddy__db_tx_t *tx; /* writer only: the transaction that borrowed it */
  int closing;       /* the batch is "close the connection" */
  int is_open;       /* loop side: h was set after the last batch */
  int closed;        /* loop side: its close batch has run */
} eddy__sq_conn_t;

struct eddy__sq_s {
  eddy_db_t *db;
  char *path;
  unsigned busy_ms;
  eddy__sq_conn_t writer;
  eddy__sq_conn_t *readers;
  unsigned nreaders;
  eddy_queue_t write_q; /* writes and BEGINs, in order */
  eddy_queue_t read_q;
  size_t read_len;   /* requests in read_q */
  int closing;       /* eddy_db_close() was called */
  unsigned to_close; /* connections whose close batch has not run */
};

/* sqlite_exec.c, pool thread: open the connection if needed, then run
 * every request of the batch; or close the connection. */
void eddy__sq_run_batch(eddy_work_t *w);

#endif

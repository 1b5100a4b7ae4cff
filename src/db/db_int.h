/*
 * eddy db — private interface between the engine-neutral part (db.c,
 * result.c, url.c) and the engines (sqlite_*.c, pg_*.c).
 *
 * A query is a library-owned request (eddy__db_req_t) that starts with the
 * public result. The engine takes it with `submit`, runs it, and ends it
 * with eddy__db_req_done() on the loop thread; requests that never reach
 * an engine are failed later (never inside the call) with
 * eddy__db_req_fail_later().
 */
#ifndef EDDY_DB_INT_H
#define EDDY_DB_INT_H

#include <stdint.h>

#include "core/internal.h"
#include "eddy/db.h"

typedef struct eddy__db_tx_s eddy__db_tx_t;

/* Kinds of request: the user's, or the begin/end of a transaction. */
enum { EDDY__DB_USER = 0, EDDY__DB_BEGIN, EDDY__DB_END };

/* Result storage: copies of names and bytes live in chunks that never
 * move, so values may point into them while the value array grows. */
typedef struct eddy__db_chunk_s {
  struct eddy__db_chunk_s *next;
  size_t used, cap;
  char bytes[];
} eddy__db_chunk_t;

typedef struct eddy__db_req_s {
  eddy_db_result_t res; /* first: the public part */
  eddy_queue_t node;    /* in one engine queue, or the failed list */
  eddy__db_tx_t *tx;
  int kind;
  char *sql;
  size_t sql_len;
  eddy_db_value_t *params; /* copies; bytes in the same block as sql */
  size_t nparams;
  eddy_db_row_cb row_cb;
  eddy_db_done_cb done_cb;
  int status;       /* set by the engine before done */
  int engine_state; /* engine's own use */
  /* rows being built */
  eddy_db_column_t *cols;
  eddy_db_value_t *vals;
  size_t nvals, vals_cap;
  eddy__db_chunk_t *chunks;
} eddy__db_req_t;

struct eddy__db_tx_s {
  eddy_db_tx_t pub; /* first */
  eddy_db_tx_cb begin_cb;
  eddy_queue_t node;  /* in the database's list of transactions */
  eddy_queue_t queue; /* engine: its requests waiting for the connection */
  void *conn;         /* engine: the borrowed connection, or NULL */
  int ended;          /* commit or rollback was asked */
  int dead;           /* the transaction failed to begin or was closed */
};

typedef struct {
  const char *name;
  const char *begin_sql;
  /* Parses the engine's URL part and sets db->impl. -EINVAL, -ENOMEM. */
  int (*open)(eddy_db_t *db, const char *url);
  /* Takes a request (req->tx may be set); ends it with req_done later. */
  void (*submit)(eddy_db_t *db, eddy__db_req_t *req);
  /* The transaction ended (its END request is done): give the connection
   * back. */
  void (*release)(eddy_db_t *db, eddy__db_tx_t *tx);
  /* Graceful close: fail waiting requests (fail_later), let running ones
   * finish, close connections, then call eddy__db_engine_closed(). */
  void (*close)(eddy_db_t *db);
  unsigned (*connections)(const eddy_db_t *db);
} eddy__db_engine_t;

struct eddy_db_s {
  eddy_loop_t *loop;
  const eddy__db_engine_t *engine;
  void *impl;
  eddy_db_options_t opts; /* with the defaults filled in */
  size_t pending;         /* requests not yet done */
  int closing;
  int engine_closed;
  eddy_db_close_cb close_cb;
  eddy_queue_t txs;    /* every transaction not yet freed */
  eddy_queue_t failed; /* requests failed before reaching an engine */
  eddy__pending_t fail_pending;
};

extern const eddy__db_engine_t eddy__db_sqlite;
extern const eddy__db_engine_t eddy__db_postgres;

/* result.c: building a result (any thread: the request belongs to
 * whoever runs it). Return NULL / -ENOMEM when memory runs out. */
const char *eddy__db_copy(eddy__db_req_t *req, const void *p, size_t len);
int eddy__db_set_columns(eddy__db_req_t *req, size_t ncols);
eddy_db_value_t *eddy__db_add_row(eddy__db_req_t *req);
void eddy__db_set_error(eddy__db_req_t *req, const char *sqlstate, int code,
                        const char *message);
void eddy__db_req_free(eddy__db_req_t *req);

/* db.c: ending requests (loop thread). `status` is the final status. */
void eddy__db_req_done(eddy__db_req_t *req, int status);
void eddy__db_req_fail_later(eddy__db_req_t *req, int status);
void eddy__db_engine_closed(eddy_db_t *db);

/* url.c: the part after "sqlite:" / the PostgreSQL keywords of a URL. */
int eddy__db_url_pg(const char *url, char **hostaddr);

/* stmt_cache.c: a small map from SQL text to an engine value (a
 * prepared statement), per connection; never evicts. */
typedef struct {
  char *sql;
  size_t len;
  uint64_t hash;
  void *value;
} eddy__db_stmt_slot_t;

typedef struct {
  eddy__db_stmt_slot_t *slots;
  size_t cap, count, limit;
} eddy__db_stmt_cache_t;

int eddy__db_stmt_cache_init(eddy__db_stmt_cache_t *c, size_t limit);
void *eddy__db_stmt_get(const eddy__db_stmt_cache_t *c, const char *sql,
                        size_t len);
/* 0, or -ENOSPC when the cache holds `limit` statements, -ENOMEM. */
int eddy__db_stmt_put(eddy__db_stmt_cache_t *c, const char *sql, size_t len,
                      void *value);
void eddy__db_stmt_del(eddy__db_stmt_cache_t *c, const char *sql, size_t len);
/* Calls `fn(value)` for every entry, then frees the cache. */
void eddy__db_stmt_cache_free(eddy__db_stmt_cache_t *c, void (*fn)(void *));

/* 1 if `sql` starts (after blanks) with SELECT, WITH or VALUES. */
int eddy__db_looks_read_only(const char *sql);

#endif

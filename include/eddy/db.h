/*
 * eddy — one asynchronous database API for SQLite and PostgreSQL.
 *
 * A database is opened by URL and the engine behind it does not show in the
 * calls: the same query, transaction and error code work for both.
 *
 *   sqlite:PATH                     an embedded SQLite file (created if
 *                                   missing), queried on eddy's thread pool
 *   postgres://user[:pw]@host[:port]/db[?key=value&...]
 *   postgresql://...                a PostgreSQL server, queried with libpq's
 *                                   non-blocking API on the loop itself
 *
 * For PostgreSQL the host must be numeric (127.0.0.1, ::1), `localhost`
 * (taken as 127.0.0.1) or a Unix-socket directory (`%2Ftmp%2Fpg` in the
 * host part, or `?host=/tmp/pg`), because a name would need DNS, and eddy
 * never resolves names on the loop. Other `?key=value` pairs are libpq's
 * connection keywords.
 *
 * Queries take their values as bound parameters, never as SQL text: the
 * SQL says `$1`, `$2`, ... for both engines (SQLite binds them by name), and
 * the values travel apart from it, so a hostile string is data and never
 * code. TEXT and BLOB values are byte strings with a length: a BLOB may
 * hold NUL bytes and anything else; a TEXT value is stored as given by
 * SQLite and must be valid in the database's encoding for PostgreSQL (which
 * refuses invalid UTF-8 with SQLSTATE 22021).
 *
 * Results: each row is handed to the row callback (if any), in order, on the
 * loop thread; then the done callback runs once with the status. Both see
 * the same eddy_db_result_t, which holds the columns (names and types), the
 * rows, the affected-row count and, on failure, the engine's own error code
 * and message. The result and every value in it live until the done
 * callback returns: copy what you keep.
 *
 * Statuses (the done callback's `status`, or a function's return value):
 *   0                   success
 *   EDDY_EDB            the engine refused the statement (syntax error,
 *                       unknown table, type mismatch...): see res->error
 *   EDDY_ECONSTRAINT    a constraint was violated (unique, not null, check,
 *                       foreign key): PostgreSQL class 23, SQLITE_CONSTRAINT
 *   -ECONNREFUSED, -ENOENT, -EACCES  the server or file cannot be reached
 *   -ECONNRESET         the connection was lost while the query was on it;
 *                       the query failed once and is not retried; the pool
 *                       replaces the connection
 *   -ETIMEDOUT          no connection within the connect timeout
 *   -EBUSY              SQLite stayed locked by another process beyond the
 *                       busy timeout
 *   -ECANCELED          the database was closed before the query ran
 *   -ENOMEM, -EINVAL    as everywhere in eddy
 *
 * Threads: a database belongs to the loop it was opened on; every function
 * here must be called on that loop's thread, and every callback runs there.
 * No callback runs inside the call that scheduled it; a function that
 * returns an error never calls its callback.
 *
 * The loop never blocks: SQLite runs on the thread pool (opening the file
 * too), PostgreSQL's sockets are watched by the loop and libpq is only
 * called in its non-blocking forms.
 */
#ifndef EDDY_DB_H
#define EDDY_DB_H

#include <stddef.h>
#include <stdint.h>

#include "eddy/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eddy_db_s eddy_db_t;
typedef struct eddy_db_tx_s eddy_db_tx_t;
typedef struct eddy_db_result_s eddy_db_result_t;

/* The type of a value or column. */
typedef enum {
  EDDY_DB_NULL = 0,
  EDDY_DB_INT,   /* 64-bit signed integer (also PostgreSQL bool: 0/1) */
  EDDY_DB_FLOAT, /* double */
  EDDY_DB_TEXT,  /* bytes in the database's text encoding */
  EDDY_DB_BLOB   /* any bytes (SQLite BLOB, PostgreSQL bytea) */
} eddy_db_type_t;

/*
 * One value: a bound parameter, or a cell of a result row. For TEXT and
 * BLOB, `p` points at `len` bytes; in results they are followed by a NUL
 * byte that is not counted, so text can be used as a C string (if it holds
 * no NUL itself). For INT `i`, for FLOAT `f` holds the value. PostgreSQL
 * types that are neither numbers nor bytea (timestamps, numeric, json...)
 * come back as TEXT in PostgreSQL's text form.
 */
typedef struct {
  eddy_db_type_t type;
  int64_t i;
  double f;
  const char *p;
  size_t len;
} eddy_db_value_t;

/* Parameter builders: eddy_db_text("x"), eddy_db_blob(buf, n), ... */
static inline eddy_db_value_t eddy_db_null(void) {
  eddy_db_value_t v = {EDDY_DB_NULL, 0, 0, 0, 0};
  return v;
}
static inline eddy_db_value_t eddy_db_int(int64_t i) {
  eddy_db_value_t v = {EDDY_DB_INT, i, 0, 0, 0};
  return v;
}
static inline eddy_db_value_t eddy_db_float(double f) {
  eddy_db_value_t v = {EDDY_DB_FLOAT, 0, f, 0, 0};
  return v;
}
static inline eddy_db_value_t eddy_db_textn(const char *p, size_t len) {
  eddy_db_value_t v = {EDDY_DB_TEXT, 0, 0, p, len};
  return v;
}
static inline eddy_db_value_t eddy_db_text(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return eddy_db_textn(s, n);
}
static inline eddy_db_value_t eddy_db_blob(const void *p, size_t len) {
  eddy_db_value_t v = {EDDY_DB_BLOB, 0, 0, (const char *)p, len};
  return v;
}

/* A result column: its name and the type its values have. SQLite's
 * columns take the type of their first non-NULL value (its values may
 * differ row by row: each value carries its own type). */
typedef struct {
  const char *name;
  eddy_db_type_t type;
} eddy_db_column_t;

/* The engine's own account of a failure. */
typedef struct {
  char sqlstate[6];    /* PostgreSQL's SQLSTATE ("23505"); "" for SQLite */
  int code;            /* SQLite's extended result code (2067); 0 for PG */
  const char *message; /* the engine's message, or "" */
} eddy_db_error_t;

/*
 * The outcome of one query, library-owned; valid from the first row
 * callback until the done callback returns. All fields read-only but
 * `data`.
 */
struct eddy_db_result_s {
  void *data; /* the user pointer given with the query */
  eddy_db_t *db;
  eddy_db_tx_t *tx; /* the transaction it ran in, or NULL */
  size_t ncols;
  const eddy_db_column_t *cols;
  size_t nrows;
  const eddy_db_value_t *values; /* nrows * ncols, row after row */
  int64_t affected;  /* rows changed by INSERT/UPDATE/DELETE, else 0 */
  int64_t insert_id; /* SQLite's last rowid after an INSERT, else 0 */
  eddy_db_error_t error;
};

/* Row `r` of a result: ncols values. */
static inline const eddy_db_value_t *eddy_db_row(const eddy_db_result_t *res,
                                                 size_t r) {
  return res->values + r * res->ncols;
}

/* Called once per row, in order, before the done callback. */
typedef void (*eddy_db_row_cb)(eddy_db_result_t *res,
                               const eddy_db_value_t *row);
/* Called once per query with its status (see the top of this file). */
typedef void (*eddy_db_done_cb)(eddy_db_result_t *res, int status);
/* A transaction began (status 0) or could not (then tx is freed after
 * the callback returns and must not be used). */
typedef void (*eddy_db_tx_cb)(eddy_db_tx_t *tx, int status);
/* The database has closed; its memory is gone after this returns. */
typedef void (*eddy_db_close_cb)(eddy_db_t *db);

/* A transaction: one connection borrowed from the pool until commit or
 * rollback. `data` is the user's; the rest is private. */
struct eddy_db_tx_s {
  void *data;
  eddy_db_t *db; /* read-only */
};

/*
 * Options of eddy_db_open(); zero fields take the defaults. Pass NULL for
 * all defaults.
 */
typedef struct {
  unsigned max_conns;          /* PostgreSQL: most connections (default 8);
                                  SQLite: reader connections (default 2) */
  unsigned min_conns;          /* PostgreSQL: kept open even when idle (1) */
  unsigned idle_ms;            /* PostgreSQL: close idle connections above
                                  min_conns after this long (30000) */
  unsigned connect_timeout_ms; /* PostgreSQL: give up a connect (5000) */
  unsigned busy_timeout_ms;    /* SQLite: wait this long for another
                                  process's lock (5000) */
  unsigned pipeline_depth;     /* PostgreSQL: queries in flight on one
                                  connection before another is opened
                                  (default 16) */
} eddy_db_options_t;

/*
 * Opens the database at `url` on `loop` and stores a handle in `*out`.
 * Nothing is connected or read here: connections open in the background
 * (PostgreSQL keeps min_conns open; SQLite opens its file on the thread
 * pool with the first query), and a failure to reach the database shows up
 * as the status of the queries. Returns 0, -EINVAL (unknown scheme, a
 * PostgreSQL host that is a name, a malformed URL), -ENOMEM. Loop thread.
 */
EDDY_EXTERN int eddy_db_open(eddy_loop_t *loop, const char *url,
                             const eddy_db_options_t *opts, eddy_db_t **out);

/* "sqlite" or "postgres". */
EDDY_EXTERN const char *eddy_db_engine(const eddy_db_t *db);

/*
 * Runs `sql` with `nparams` parameters ($1..$n). The SQL and the values
 * are copied: the caller's buffers may go as soon as this returns. At most
 * one statement per query. Rows go to `row_cb` (may be NULL: read them from
 * the result in `done_cb`), then `done_cb` (required) runs with the status.
 * Queries on one database may run in parallel and finish in any order
 * (SQLite readers, several PostgreSQL connections); a query submitted after
 * another's done callback sees its effects. Prepared statements are cached
 * per connection by SQL text (a few hundred per connection), so repeating
 * a query costs no parse. Returns 0, -EINVAL (NULL sql or done_cb, more
 * than 65535 params), -ECANCELED (the database is closing), -ENOMEM.
 */
EDDY_EXTERN int eddy_db_query(eddy_db_t *db, const char *sql,
                              const eddy_db_value_t *params, size_t nparams,
                              eddy_db_row_cb row_cb, eddy_db_done_cb done_cb,
                              void *data);

/*
 * Borrows a connection and begins a transaction on it (SQLite: BEGIN
 * IMMEDIATE on the one write connection, so transactions take turns;
 * PostgreSQL: BEGIN on a pooled connection). `cb` runs with the new
 * transaction and 0, or with an error (then the transaction is already
 * gone). Queries of other callers never run on the borrowed connection
 * until commit or rollback. Returns 0, -EINVAL, -ECANCELED, -ENOMEM.
 */
EDDY_EXTERN int eddy_db_begin(eddy_db_t *db, eddy_db_tx_cb cb, void *data);

/*
 * eddy_db_query() inside a transaction: on its connection, in submission
 * order. Returns as eddy_db_query(), and -EINVAL after commit or rollback
 * was asked.
 */
EDDY_EXTERN int eddy_db_tx_query(eddy_db_tx_t *tx, const char *sql,
                                 const eddy_db_value_t *params, size_t nparams,
                                 eddy_db_row_cb row_cb, eddy_db_done_cb done_cb,
                                 void *data);

/*
 * Ends the transaction: COMMIT or ROLLBACK after its queued queries, then
 * `done_cb` with the status (a failed commit has rolled back), then the
 * connection goes back to the pool and `tx` is freed (do not use it after
 * this call returns 0). `done_cb` may be NULL. Returns 0, -EINVAL (already
 * ended), -ENOMEM.
 */
EDDY_EXTERN int eddy_db_commit(eddy_db_tx_t *tx, eddy_db_done_cb done_cb,
                               void *data);
/* As eddy_db_commit(), with ROLLBACK. */
EDDY_EXTERN int eddy_db_rollback(eddy_db_tx_t *tx, eddy_db_done_cb done_cb,
                                 void *data);

/*
 * Closes gracefully: queries and transactions already running finish (a
 * transaction that is not ended rolls back when its connection closes),
 * queries still waiting for a connection fail with -ECANCELED, new ones
 * are refused, then connections close and `cb` (may be NULL) runs; the
 * handle is freed after it. -EINVAL if already closing.
 */
EDDY_EXTERN int eddy_db_close(eddy_db_t *db, eddy_db_close_cb cb);

/* Queries submitted and not yet done (for tests and metrics). */
EDDY_EXTERN size_t eddy_db_pending(const eddy_db_t *db);

/* Open connections now (SQLite: files opened; PG: sockets). */
EDDY_EXTERN unsigned eddy_db_connections(const eddy_db_t *db);

#ifdef __cplusplus
}
#endif
#endif

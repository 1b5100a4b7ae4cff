/*
 * SQLite on a pool thread: open a connection (WAL, busy timeout), run a
 * batch of requests on it with cached prepared statements, close it.
 * Nothing here runs on the loop thread.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/sqlite_int.h"

#define STMT_CACHE 256

static int map_rc(int rc) {
  switch (rc & 0xff) {
  case SQLITE_OK:
  case SQLITE_ROW:
  case SQLITE_DONE: return 0;
  case SQLITE_CONSTRAINT: return EDDY_ECONSTRAINT;
  case SQLITE_BUSY:
  case SQLITE_LOCKED: return -EBUSY;
  case SQLITE_NOMEM: return -ENOMEM;
  case SQLITE_CANTOPEN: return -ENOENT;
  case SQLITE_PERM:
  case SQLITE_AUTH:
  case SQLITE_READONLY: return -EACCES;
  case SQLITE_IOERR: return -EIO;
  default: return EDDY_EDB;
  }
}

/* Records the connection's error in the request; returns the status. */
static int fail(eddy__db_req_t *req, sqlite3 *h, int rc, const char *msg) {
  int code = h ? sqlite3_extended_errcode(h) : rc;
  eddy__db_set_error(req, NULL, code,
                     msg ? msg
                     : h ? sqlite3_errmsg(h)
                         : sqlite3_errstr(rc));
  return map_rc(code);
}

static int exec_pragma(sqlite3 *h, const char *sql) {
  return sqlite3_exec(h, sql, NULL, NULL, NULL);
}

static int open_conn(eddy__sq_conn_t *c, char *msg, size_t cap) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  sqlite3 *h = NULL;
  int rc = sqlite3_open_v2(c->sq->path, &h, flags, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_extended_result_codes(h, 1);
    sqlite3_busy_timeout(h, (int)c->sq->busy_ms);
    /* WAL: readers never block the writer nor the writer them. FULL:
     * a COMMIT that returned is on disk, even across a power loss. */
    rc = exec_pragma(h, "PRAGMA journal_mode=WAL");
    if (rc == SQLITE_OK) rc = exec_pragma(h, "PRAGMA synchronous=FULL");
    if (rc == SQLITE_OK) rc = exec_pragma(h, "PRAGMA foreign_keys=ON");
    if (rc == SQLITE_OK && c->reader)
      rc = exec_pragma(h, "PRAGMA query_only=1");
  }
  if (rc != SQLITE_OK) {
    snprintf(msg, cap, "%s", h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
    rc = h ? sqlite3_extended_errcode(h) : rc;
    sqlite3_close_v2(h);
    return rc;
  }
  if (eddy__db_stmt_cache_init(&c->stmts, STMT_CACHE)) {
    sqlite3_close_v2(h);
    snprintf(msg, cap, "out of memory");
    return SQLITE_NOMEM;
  }
  c->h = h;
  return SQLITE_OK;
}

static int bind_one(sqlite3_stmt *st, int j, const eddy_db_value_t *v) {
  switch (v->type) {
  case EDDY_DB_INT: return sqlite3_bind_int64(st, j, v->i);
  case EDDY_DB_FLOAT: return sqlite3_bind_double(st, j, v->f);
  case EDDY_DB_TEXT:
    return sqlite3_bind_text64(st, j, v->p, v->len, SQLITE_STATIC, SQLITE_UTF8);
  case EDDY_DB_BLOB:
    return sqlite3_bind_blob64(st, j, v->p, v->len, SQLITE_STATIC);
  default: return sqlite3_bind_null(st, j);
  }
}

/* Binds $N / ?N to parameter N, and a bare ? to its position. */
static int bind_all(sqlite3_stmt *st, eddy__db_req_t *req, sqlite3 *h) {
  int n = sqlite3_bind_parameter_count(st);
  for (int j = 1; j <= n; j++) {
    const char *name = sqlite3_bind_parameter_name(st, j);
    long k = j;
    if (name) {
      if ((name[0] != '$' && name[0] != '?') ||
          !isdigit((unsigned char)name[1]))
        return fail(req, NULL, SQLITE_RANGE,
                    "named parameters are not supported: use $1, $2, ...");
      k = strtol(name + 1, NULL, 10);
    }
    if (k < 1 || (size_t)k > req->nparams)
      return fail(req, NULL, SQLITE_RANGE,
                  "the query uses more parameters than were given");
    int rc = bind_one(st, j, &req->params[k - 1]);
    if (rc != SQLITE_OK) return fail(req, h, rc, NULL);
  }
  return 0;
}

static int read_value(eddy__db_req_t *req, sqlite3_stmt *st, int i,
                      eddy_db_value_t *v) {
  switch (sqlite3_column_type(st, i)) {
  case SQLITE_INTEGER:
    v->type = EDDY_DB_INT;
    v->i = sqlite3_column_int64(st, i);
    break;
  case SQLITE_FLOAT:
    v->type = EDDY_DB_FLOAT;
    v->f = sqlite3_column_double(st, i);
    break;
  case SQLITE_TEXT:
  case SQLITE_BLOB: {
    int text = sqlite3_column_type(st, i) == SQLITE_TEXT;
    const void *p = text ? (const void *)sqlite3_column_text(st, i)
                         : sqlite3_column_blob(st, i);
    v->type = text ? EDDY_DB_TEXT : EDDY_DB_BLOB;
    v->len = (size_t)sqlite3_column_bytes(st, i);
    v->p = eddy__db_copy(req, p, v->len);
    if (!v->p) return -ENOMEM;
    break;
  }
  default: v->type = EDDY_DB_NULL;
  }
  if (req->cols[i].type == EDDY_DB_NULL) req->cols[i].type = v->type;
  return 0;
}

static int set_names(eddy__db_req_t *req, sqlite3_stmt *st) {
  int n = sqlite3_column_count(st);
  if (eddy__db_set_columns(req, (size_t)n)) return -ENOMEM;
  for (int i = 0; i < n; i++) {
    const char *name = sqlite3_column_name(st, i);
    if (!name) name = "";
    req->cols[i].name = eddy__db_copy(req, name, strlen(name));
    if (!req->cols[i].name) return -ENOMEM;
  }
  return 0;
}

/* Steps the statement to its end, collecting rows. */
static int step_all(eddy__db_req_t *req, sqlite3_stmt *st, sqlite3 *h) {
  int err = set_names(req, st);
  int rc;
  while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    eddy_db_value_t *row = eddy__db_add_row(req);
    if (!row) return -ENOMEM;
    for (size_t i = 0; !err && i < req->res.ncols; i++)
      err = read_value(req, st, (int)i, &row[i]);
  }
  if (err) return err;
  if (rc != SQLITE_DONE) return fail(req, h, rc, NULL);
  if (!sqlite3_stmt_readonly(st)) {
    req->res.affected = sqlite3_changes64(h);
    req->res.insert_id = sqlite3_last_insert_rowid(h);
  }
  return 0;
}

static int only_blanks(const char *s) {
  while (*s && isspace((unsigned char)*s)) s++;
  return *s == '\0' || (*s == ';' && only_blanks(s + 1));
}

/* Finds or prepares the statement; *cached says whether to keep it. */
static int prepare(eddy__sq_conn_t *c, eddy__db_req_t *req, sqlite3_stmt **out,
                   int *cached) {
  *out = eddy__db_stmt_get(&c->stmts, req->sql, req->sql_len);
  *cached = *out != NULL;
  if (*out) return 0;
  const char *tail = NULL;
  int rc = sqlite3_prepare_v3(c->h, req->sql, (int)req->sql_len + 1,
                              SQLITE_PREPARE_PERSISTENT, out, &tail);
  if (rc != SQLITE_OK) return fail(req, c->h, rc, NULL);
  if (tail && !only_blanks(tail)) {
    sqlite3_finalize(*out);
    *out = NULL;
    return fail(req, NULL, SQLITE_MISUSE, "one statement per query");
  }
  if (*out && eddy__db_stmt_put(&c->stmts, req->sql, req->sql_len, *out) == 0)
    *cached = 1;
  return 0;
}

static void exec_req(eddy__sq_conn_t *c, eddy__db_req_t *req) {
  sqlite3_stmt *st;
  int cached;
  req->status = prepare(c, req, &st, &cached);
  if (req->status || !st) return; /* an error, or an empty statement */
  if (c->reader && !sqlite3_stmt_readonly(st)) {
    req->engine_state = EDDY__SQ_BOUNCE;
  } else {
    req->status = bind_all(st, req, c->h);
    if (!req->status) req->status = step_all(req, st, c->h);
  }
  if (cached) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
  } else {
    sqlite3_finalize(st);
  }
  /* a COMMIT that failed (SQLITE_BUSY, I/O) leaves the transaction open:
   * roll it back so the connection goes back clean */
  if (req->kind == EDDY__DB_END && !sqlite3_get_autocommit(c->h))
    exec_pragma(c->h, "ROLLBACK");
}

static void finalize_stmt(void *st) { sqlite3_finalize(st); }

static void close_conn(eddy__sq_conn_t *c) {
  if (!c->h) return;
  eddy__db_stmt_cache_free(&c->stmts, finalize_stmt);
  sqlite3_close_v2(c->h);
  c->h = NULL;
}

void eddy__sq_run_batch(eddy_work_t *w) {
  eddy__sq_conn_t *c = EDDY_CONTAINER_OF(w, eddy__sq_conn_t, work);
  if (c->closing) {
    close_conn(c);
    return;
  }
  char msg[256];
  int rc = c->h ? SQLITE_OK : open_conn(c, msg, sizeof(msg));
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &c->batch) {
    eddy__db_req_t *req = EDDY_CONTAINER_OF(q, eddy__db_req_t, node);
    if (rc == SQLITE_OK)
      exec_req(c, req);
    else
      req->status = fail(req, NULL, rc, msg);
  }
}

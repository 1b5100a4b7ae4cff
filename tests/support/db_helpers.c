#include "support/db_helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/loop_helpers.h"
#include "support/net_helpers.h"
#include "support/service_helpers.h"

eddy_loop_t db_loop;
_Atomic int db_stalls;

static void on_stall(eddy_loop_t *loop, const char *label, uint64_t ns,
                     void *arg) {
  db_stalls++;
  fprintf(stderr, "stall: '%s' ran %llu ms\n", label ? label : "?",
          (unsigned long long)(ns / 1000000));
}

void db_loop_start(void) {
  cr_assert_eq(eddy_loop_init(&db_loop), 0);
  db_stalls = 0;
  cr_assert_eq(eddy_loop_stall_start(&db_loop, 200, on_stall, NULL), 0);
}

static int closed;
static void on_closed(eddy_db_t *db) { closed = 1; }

void db_loop_finish(eddy_db_t *db) {
  if (db) {
    closed = 0;
    cr_assert_eq(eddy_db_close(db, on_closed), 0);
    cr_assert_eq(closed, 0, "close callback inside eddy_db_close");
    db_wait(&closed, 10000);
    cr_assert(closed, "the database did not close");
  }
  eddy_loop_stall_stop(&db_loop);
  cr_assert_eq(db_stalls, 0, "the loop stalled");
  close_loop(&db_loop);
}

eddy_db_t *db_open_engine(const char *engine) {
  char url[512];
  if (strcmp(engine, "sqlite") == 0)
    snprintf(url, sizeof(url), "sqlite:%s/test.db", temp_dir());
  else
    snprintf(url, sizeof(url), "%s", pg_shared()->url);
  eddy_db_t *db = NULL;
  cr_assert_eq(eddy_db_open(&db_loop, url, NULL, &db), 0, "open %s", url);
  cr_assert_str_eq(eddy_db_engine(db), engine);
  return db;
}

const char *db_table(const char *base) {
  static char name[64];
  snprintf(name, sizeof(name), "%s_%d", base, (int)getpid());
  return name;
}

static void copy_value(eddy_db_value_t *dst, const eddy_db_value_t *src) {
  *dst = *src;
  if (src->type == EDDY_DB_TEXT || src->type == EDDY_DB_BLOB) {
    char *p = malloc(src->len + 1);
    memcpy(p, src->p, src->len + 1); /* the NUL after it too */
    dst->p = p;
  }
}

void qres_row(eddy_db_result_t *res, const eddy_db_value_t *row) {
  qres_t *q = res->data;
  q->row_calls++;
  /* rows arrive in order: the row callback sees row number row_calls-1 */
  cr_assert_eq(row, eddy_db_row(res, (size_t)q->row_calls - 1));
}

void qres_done(eddy_db_result_t *res, int status) {
  qres_t *q = res->data;
  q->done = 1;
  q->status = status;
  q->nrows = res->nrows;
  q->ncols = res->ncols;
  q->affected = res->affected;
  q->insert_id = res->insert_id;
  memcpy(q->sqlstate, res->error.sqlstate, 6);
  q->code = res->error.code;
  cr_assert_not_null(res->error.message);
  snprintf(q->message, sizeof(q->message), "%s", res->error.message);
  for (size_t c = 0; c < res->ncols && c < QMAX_COLS; c++) {
    snprintf(q->names[c], sizeof(q->names[c]), "%s", res->cols[c].name);
    q->types[c] = res->cols[c].type;
  }
  for (size_t r = 0; r < res->nrows && r < QMAX_ROWS; r++)
    for (size_t c = 0; c < res->ncols && c < QMAX_COLS; c++)
      copy_value(&q->v[r][c], &eddy_db_row(res, r)[c]);
}

void qres_free(qres_t *q) {
  for (size_t r = 0; r < q->nrows && r < QMAX_ROWS; r++)
    for (size_t c = 0; c < q->ncols && c < QMAX_COLS; c++)
      if (q->v[r][c].type == EDDY_DB_TEXT || q->v[r][c].type == EDDY_DB_BLOB)
        free((void *)q->v[r][c].p);
  memset(q, 0, sizeof(*q));
}

void db_wait(const int *flag, unsigned ms) {
  uint64_t end = now_ms() + ms;
  while (!*flag && now_ms() < end) eddy_run(&db_loop, EDDY_RUN_ONCE);
}

int db_run(eddy_db_t *db, qres_t *out, const char *sql,
           const eddy_db_value_t *params, size_t n) {
  memset(out, 0, sizeof(*out));
  cr_assert_eq(eddy_db_query(db, sql, params, n, qres_row, qres_done, out), 0);
  cr_assert_eq(out->done, 0, "done inside eddy_db_query");
  db_wait(&out->done, 5000);
  cr_assert(out->done, "query did not finish: %s", sql);
  cr_assert_eq((size_t)out->row_calls, out->nrows);
  return out->status;
}

void db_ok(eddy_db_t *db, const char *sql, const eddy_db_value_t *params,
           size_t n) {
  qres_t q;
  int st = db_run(db, &q, sql, params, n);
  cr_assert_eq(st, 0, "%s: %s (%s) %s", sql, eddy_err_name(st), q.sqlstate,
               q.message);
  qres_free(&q);
}

/*
 * Helpers for the db tests: one loop per test with the stall detector on,
 * a database of either engine, and a query that runs the loop until it is
 * done and keeps a copy of what came back.
 */
#ifndef EDDY_TEST_DB_HELPERS_H
#define EDDY_TEST_DB_HELPERS_H

#include <criterion/criterion.h>
#include <stdatomic.h>

#include "eddy.h"
#include "eddy/db.h"

#define QMAX_ROWS 64
#define QMAX_COLS 8

/* A copy of one query's outcome. */
typedef struct {
  int done;
  int status;
  size_t nrows, ncols;
  int64_t affected, insert_id;
  char sqlstate[6];
  int code;
  char message[256];
  char names[QMAX_COLS][32];
  eddy_db_type_t types[QMAX_COLS];
  eddy_db_value_t v[QMAX_ROWS][QMAX_COLS]; /* p: malloc'd copies */
  int row_calls;
} qres_t;

/* The loop of the test, with a stall detector (200 ms) counting stalls. */
extern eddy_loop_t db_loop;
extern _Atomic int db_stalls;
void db_loop_start(void);
/* Closes the database (if not NULL), runs the loop dry, asserts no stall
 * and no leak. */
void db_loop_finish(eddy_db_t *db);

/* Opens "sqlite" (a file in a fresh temp dir) or "postgres" (the shared
 * server of the run); asserts. */
eddy_db_t *db_open_engine(const char *engine);
/* A table name unique to this test process. */
const char *db_table(const char *base);

/* Callbacks that fill a qres_t passed as the query's data. */
void qres_row(eddy_db_result_t *res, const eddy_db_value_t *row);
void qres_done(eddy_db_result_t *res, int status);
void qres_free(qres_t *q);

/* Runs one query to its end (5 s at most); returns its status. */
int db_run(eddy_db_t *db, qres_t *out, const char *sql,
           const eddy_db_value_t *params, size_t n);
/* db_run that asserts status 0; frees the copy. */
void db_ok(eddy_db_t *db, const char *sql, const eddy_db_value_t *params,
           size_t n);
/* Runs the loop until *flag or `ms` passed. */
void db_wait(const int *flag, unsigned ms);

#endif

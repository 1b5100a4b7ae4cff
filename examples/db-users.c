/*
 * db-users: the database API in one page. Opens a database by URL (SQLite
 * by default; the same code runs on PostgreSQL), creates a users table,
 * adds two users inside a transaction, tries a duplicate email (a
 * constraint violation, whichever the engine), and lists the users with
 * a bound parameter. Each step starts the next from its callback: the
 * loop never waits.
 *
 * Usage: db-users [URL]   (default sqlite:db-users.sqlite3)
 *   e.g. db-users postgres://postgres@127.0.0.1:5432/postgres
 */
#include <stdio.h>
#include <string.h>

#include "eddy.h"

static eddy_db_t *db;
static int failed;

static void list(void);
static void duplicate(void);

static int check(eddy_db_result_t *res, int status, const char *what) {
  if (status == 0) return 1;
  fprintf(stderr, "%s: %s (%s%s%d) %s\n", what, eddy_err_name(status),
          res->error.sqlstate, res->error.sqlstate[0] ? " " : "code ",
          res->error.code, res->error.message);
  failed = 1;
  eddy_db_close(db, NULL);
  return 0;
}

static void on_row(eddy_db_result_t *res, const eddy_db_value_t *row) {
  printf("%lld  %-8s %s\n", (long long)row[0].i, row[1].p,
         row[2].type == EDDY_DB_NULL ? "(no email)" : row[2].p);
}

static void on_listed(eddy_db_result_t *res, int status) {
  if (!check(res, status, "select")) return;
  printf("%zu users with id >= 1\n", res->nrows);
  eddy_db_close(db, NULL);
}

static void list(void) {
  eddy_db_value_t min = eddy_db_int(1);
  eddy_db_query(db,
                "SELECT id, name, email FROM users WHERE id >= $1 ORDER BY id",
                &min, 1, on_row, on_listed, NULL);
}

static void on_duplicate(eddy_db_result_t *res, int status) {
  if (status == EDDY_ECONSTRAINT)
    printf("duplicate email refused: %s\n", res->error.message);
  else if (!check(res, status, "duplicate"))
    return;
  list();
}

static void duplicate(void) {
  eddy_db_value_t p[2] = {eddy_db_text("mallory"),
                          eddy_db_text("ada@example.org")};
  eddy_db_query(db, "INSERT INTO users (name, email) VALUES ($1, $2)", p, 2,
                NULL, on_duplicate, NULL);
}

static void on_committed(eddy_db_result_t *res, int status) {
  if (check(res, status, "commit")) duplicate();
}

static void on_second(eddy_db_result_t *res, int status) {
  if (check(res, status, "insert")) eddy_db_commit(res->tx, on_committed, NULL);
}

static void on_first(eddy_db_result_t *res, int status) {
  if (!check(res, status, "insert")) return;
  eddy_db_value_t p[2] = {eddy_db_text("bob"), eddy_db_null()};
  eddy_db_tx_query(res->tx, "INSERT INTO users (name, email) VALUES ($1, $2)",
                   p, 2, NULL, on_second, NULL);
}

static void on_begun(eddy_db_tx_t *tx, int status) {
  if (status) {
    fprintf(stderr, "begin: %s\n", eddy_strerror(status));
    failed = 1;
    eddy_db_close(db, NULL);
    return;
  }
  /* a hostile name is only data: it is bound, never pasted into SQL */
  eddy_db_value_t p[2] = {eddy_db_text("ada'); DROP TABLE users; --"),
                          eddy_db_text("ada@example.org")};
  eddy_db_tx_query(tx, "INSERT INTO users (name, email) VALUES ($1, $2)", p, 2,
                   NULL, on_first, NULL);
}

static void on_emptied(eddy_db_result_t *res, int status) {
  if (check(res, status, "delete")) eddy_db_begin(db, on_begun, NULL);
}

static void on_created(eddy_db_result_t *res, int status) {
  if (check(res, status, "create"))
    eddy_db_query(db, "DELETE FROM users", NULL, 0, NULL, on_emptied, NULL);
}

int main(int argc, char **argv) {
  const char *url = argc > 1 ? argv[1] : "sqlite:db-users.sqlite3";
  eddy_loop_t loop;
  eddy_loop_init(&loop);
  int err = eddy_db_open(&loop, url, NULL, &db);
  if (err) {
    fprintf(stderr, "open %s: %s\n", url, eddy_strerror(err));
    return 1;
  }
  int pg = strcmp(eddy_db_engine(db), "postgres") == 0;
  eddy_db_query(
      db,
      pg ? "CREATE TABLE IF NOT EXISTS users (id BIGSERIAL PRIMARY KEY,"
           " name TEXT NOT NULL, email TEXT UNIQUE,"
           " created_at TIMESTAMPTZ DEFAULT now())"
         : "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY,"
           " name TEXT NOT NULL, email TEXT UNIQUE,"
           " created_at TEXT DEFAULT CURRENT_TIMESTAMP)",
      NULL, 0, NULL, on_created, NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_loop_close(&loop);
  return failed;
}

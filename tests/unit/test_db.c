/*
 * The database API: one suite, run against SQLite (suite db_sqlite) and a
 * real PostgreSQL server started by the tests (suite db_pg). Every test runs
 * with the stall detector on and asserts it stayed silent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/db_helpers.h"
#include "support/fs_helpers.h"
#include "support/loop_helpers.h"
#include "support/net_helpers.h"
#include "support/service_helpers.h"

static void bound(void) { bound_test_time(60); }
TestSuite(db_sqlite, .init = bound);
TestSuite(db_pg, .init = bound);

/* Each body runs once per engine. */
#define DB_TEST(name)                                                         \
  static void name(const char *engine);                                       \
  Test(db_sqlite, name) { name("sqlite"); }                                   \
  Test(db_pg, name) { name("postgres"); }                                     \
  static void name(const char *engine)

static int is_pg(const char *engine) { return strcmp(engine, "postgres") == 0; }

static void make_table(eddy_db_t *db, const char *t, const char *engine) {
  char sql[512];
  snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS %s", t);
  db_ok(db, sql, NULL, 0);
  snprintf(sql, sizeof(sql),
           "CREATE TABLE %s (id %s PRIMARY KEY, name TEXT NOT NULL, "
           "email TEXT UNIQUE, score %s, data %s)",
           t, is_pg(engine) ? "BIGSERIAL" : "INTEGER",
           is_pg(engine) ? "DOUBLE PRECISION" : "REAL",
           is_pg(engine) ? "BYTEA" : "BLOB");
  db_ok(db, sql, NULL, 0);
}

static void insert(eddy_db_t *db, const char *t, const char *name,
                   const char *email, qres_t *q) {
  char sql[256];
  snprintf(sql, sizeof(sql),
           "INSERT INTO %s (name, email, score) VALUES ($1, $2, $3)", t);
  eddy_db_value_t p[3] = {eddy_db_text(name),
                          email ? eddy_db_text(email) : eddy_db_null(),
                          eddy_db_float(1.5)};
  db_run(db, q, sql, p, 3);
}

DB_TEST(rows_columns_types_and_nulls) {
  db_loop_start();
  eddy_db_t *db = db_open_engine(engine);
  const char *t = db_table("users");
  make_table(db, t, engine);
  qres_t q;
  insert(db, t, "ada", "ada@example.org", &q);
  cr_assert_eq(q.status, 0, "%s", q.message);
  cr_assert_eq(q.affected, 1);
  qres_free(&q);
  insert(db, t, "bob", NULL, &q);
  qres_free(&q);
  char sql[256];
  snprintf(sql, sizeof(sql),
           "SELECT id, name, email, score FROM %s WHERE id >= $1 ORDER BY id", t);
  eddy_db_value_t p = eddy_db_int(1);
  cr_assert_eq(db_run(db, &q, sql, &p, 1), 0, "%s", q.message);
  cr_assert_eq(q.nrows, 2);
  cr_assert_eq(q.ncols, 4);
  cr_assert_str_eq(q.names[0], "id");
  cr_assert_str_eq(q.names[3], "score");
  cr_assert_eq(q.types[0], EDDY_DB_INT);
  cr_assert_eq(q.types[1], EDDY_DB_TEXT);
  cr_assert_eq(q.types[3], EDDY_DB_FLOAT);
  cr_assert_eq(q.v[0][0].i, 1);
  cr_assert_str_eq(q.v[0][1].p, "ada");
  cr_assert_eq(q.v[0][1].len, 3);
  cr_assert_eq(q.v[0][3].f, 1.5);
  cr_assert_eq(q.v[1][0].i, 2);
  cr_assert_eq(q.v[1][2].type, EDDY_DB_NULL, "NULL comes back as NULL");
  cr_assert_eq(q.row_calls, 2);
  qres_free(&q);
  snprintf(sql, sizeof(sql), "UPDATE %s SET score = score + 1", t);
  cr_assert_eq(db_run(db, &q, sql, NULL, 0), 0);
  cr_assert_eq(q.affected, 2, "affected rows of an UPDATE");
  qres_free(&q);
  db_loop_finish(db);
}

/* Stores `v` in the data (BLOB) or name (TEXT) column, reads it back. */
static void round_trip(eddy_db_t *db, const char *t, eddy_db_value_t v,
                       int64_t id) {
  char sql[256];
  const char *col = v.type == EDDY_DB_BLOB ? "data" : "name";
  snprintf(sql, sizeof(sql), "INSERT INTO %s (id, name, %s) VALUES ($1, $2, $3)",
           t, col);
  eddy_db_value_t ins[3] = {eddy_db_int(id), eddy_db_text("x"), v};
  if (v.type == EDDY_DB_TEXT) { /* name only: $3 is the name */
    snprintf(sql, sizeof(sql), "INSERT INTO %s (id, name) VALUES ($1, $2)", t);
    ins[1] = v;
  }
  db_ok(db, sql, ins, v.type == EDDY_DB_TEXT ? 2 : 3);
  snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE id = $1", col, t);
  eddy_db_value_t key = eddy_db_int(id);
  qres_t q;
  cr_assert_eq(db_run(db, &q, sql, &key, 1), 0, "%s", q.message);
  cr_assert_eq(q.nrows, 1);
  cr_assert_eq(q.v[0][0].type, v.type);
  cr_assert_eq(q.v[0][0].len, v.len, "length %zu, want %zu", q.v[0][0].len,
               v.len);
  cr_assert_eq(memcmp(q.v[0][0].p, v.p, v.len), 0, "bytes differ");
  qres_free(&q);
}

DB_TEST(hostile_values_round_trip_byte_for_byte) {
  db_loop_start();
  eddy_db_t *db = db_open_engine(engine);
  const char *t = db_table("hostile");
  make_table(db, t, engine);
  round_trip(db, t, eddy_db_text("x'); DROP TABLE users; --"), 1);
  round_trip(db, t, eddy_db_text("\"quoted\" 'single' `back` \\ $1 ? :a"), 2);
  static const char nul[] = {'a', 0, 'b', 0, 0, '\'', (char)0xff};
  round_trip(db, t, eddy_db_blob(nul, sizeof(nul)), 3);
  static const char bad_utf8[] = {(char)0xc3, (char)0x28, (char)0xa0, (char)0xa1, 'z'};
  round_trip(db, t, eddy_db_blob(bad_utf8, sizeof(bad_utf8)), 4);
  round_trip(db, t, eddy_db_blob("", 0), 5);
  size_t big = 1 << 20;
  char *longs = malloc(big);
  for (size_t i = 0; i < big; i++) longs[i] = (char)('a' + i % 26);
  round_trip(db, t, eddy_db_textn(longs, big), 6);
  for (size_t i = 0; i < big; i++) longs[i] = (char)(i * 7);
  round_trip(db, t, eddy_db_blob(longs, big), 7);
  free(longs);
  round_trip(db, t, eddy_db_text("snowman \xe2\x98\x83 and emoji \xf0\x9f\x98\x80"), 8);
  /* the table is still there: nothing was executed */
  char sql[128];
  snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", t);
  qres_t q;
  cr_assert_eq(db_run(db, &q, sql, NULL, 0), 0);
  cr_assert_eq(q.v[0][0].i, 8);
  qres_free(&q);
  db_loop_finish(db);
}

DB_TEST(invalid_utf8_text_is_kept_or_refused_never_mangled) {
  db_loop_start();
  eddy_db_t *db = db_open_engine(engine);
  const char *t = db_table("utf");
  make_table(db, t, engine);
  static const char bad[] = {'o', (char)0xc3, (char)0x28, 'k'};
  if (!is_pg(engine)) {
    round_trip(db, t, eddy_db_textn(bad, sizeof(bad)), 1);
  } else {
    char sql[128];
    snprintf(sql, sizeof(sql), "INSERT INTO %s (id, name) VALUES (1, $1)", t);
    eddy_db_value_t v = eddy_db_textn(bad, sizeof(bad));
    qres_t q;
    cr_assert_eq(db_run(db, &q, sql, &v, 1), EDDY_EDB);
    cr_assert_str_eq(q.sqlstate, "22021", "%s", q.message);
    qres_free(&q);
    static const char nul[] = {'a', 0, 'b'};
    v = eddy_db_textn(nul, sizeof(nul));
    cr_assert_eq(db_run(db, &q, sql, &v, 1), EDDY_EDB);
    cr_assert_str_eq(q.sqlstate, "22021", "%s", q.message);
    qres_free(&q);
  }
  db_loop_finish(db);
}

DB_TEST(errors_carry_the_engine_code_and_message) {
  db_loop_start();
  eddy_db_t *db = db_open_engine(engine);
  const char *t = db_table("errs");
  make_table(db, t, engine);
  qres_t q;
  cr_assert_eq(db_run(db, &q, "SELEC nonsense", NULL, 0), EDDY_EDB);
  if (is_pg(engine)) cr_assert_str_eq(q.sqlstate, "42601");
  else cr_assert_eq(q.code, 1); /* SQLITE_ERROR */
  cr_assert(strstr(q.message, "syntax"), "message: %s", q.message);
  qres_free(&q);
  insert(db, t, "a", "same@example.org", &q);
  cr_assert_eq(q.status, 0);
  qres_free(&q);
  insert(db, t, "b", "same@example.org", &q);
  cr_assert_eq(q.status, EDDY_ECONSTRAINT, "%s", eddy_err_name(q.status));
  if (is_pg(engine)) cr_assert_str_eq(q.sqlstate, "23505");
  else cr_assert_eq(q.code, 2067); /* SQLITE_CONSTRAINT_UNIQUE */
  qres_free(&q);
  /* the connection is fine after errors: the same statement runs again */
  insert(db, t, "c", "other@example.org", &q);
  cr_assert_eq(q.status, 0, "%s", q.message);
  qres_free(&q);
  cr_assert_eq(db_run(db, &q, "SELECT $1", NULL, 0), EDDY_EDB,
               "a missing parameter is an error");
  qres_free(&q);
  db_loop_finish(db);
}

static int tx_began, tx_status;
static eddy_db_tx_t *the_tx;
static void on_begin(eddy_db_tx_t *tx, int status) {
  tx_began = 1;
  tx_status = status;
  the_tx = tx;
}
static int ended, end_status;
static void on_end(eddy_db_result_t *res, int status) {
  ended = 1;
  end_status = status;
}

static void in_tx(eddy_db_t *db, const char *t, const char *name, int commit) {
  tx_began = 0;
  cr_assert_eq(eddy_db_begin(db, on_begin, NULL), 0);
  db_wait(&tx_began, 5000);
  cr_assert_eq(tx_status, 0);
  char sql[256];
  snprintf(sql, sizeof(sql), "INSERT INTO %s (name) VALUES ($1)", t);
  eddy_db_value_t v = eddy_db_text(name);
  qres_t q = {0};
  cr_assert_eq(eddy_db_tx_query(the_tx, sql, &v, 1, NULL, qres_done, &q), 0);
  db_wait(&q.done, 5000);
  cr_assert_eq(q.status, 0, "%s", q.message);
  qres_free(&q);
  /* outside the transaction, the row is not visible yet */
  snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE name = $1", t);
  cr_assert_eq(db_run(db, &q, sql, &v, 1), 0);
  cr_assert_eq(q.v[0][0].i, 0, "uncommitted row seen outside");
  qres_free(&q);
  ended = 0;
  cr_assert_eq((commit ? eddy_db_commit : eddy_db_rollback)(the_tx, on_end, NULL), 0);
  db_wait(&ended, 5000);
  cr_assert_eq(end_status, 0);
  cr_assert_eq(db_run(db, &q, sql, &v, 1), 0);
  cr_assert_eq(q.v[0][0].i, commit ? 1 : 0);
  qres_free(&q);
}

DB_TEST(transactions_commit_and_roll_back) {
  db_loop_start();
  eddy_db_t *db = db_open_engine(engine);
  const char *t = db_table("tx");
  make_table(db, t, engine);
  in_tx(db, t, "kept", 1);
  in_tx(db, t, "dropped", 0);
  in_tx(db, t, "kept again", 1);
  db_loop_finish(db);
}

static int many_done, many_bad;
static void count_done(eddy_db_result_t *res, int status) {
  many_done++;
  if (status || res->nrows != 1 || eddy_db_row(res, 0)[0].i != (intptr_t)res->data)
    many_bad++;
}

DB_TEST(many_queries_in_flight_all_answer_right) {
  db_loop_start();
  eddy_db_t *db = db_open_engine(engine);
  enum { N = 2000 };
  many_done = many_bad = 0;
  for (intptr_t i = 0; i < N; i++) {
    eddy_db_value_t v = eddy_db_int(i);
    cr_assert_eq(eddy_db_query(db, "SELECT $1 + 0", &v, 1, NULL, count_done,
                               (void *)i), 0);
  }
  cr_assert_eq(eddy_db_pending(db), N);
  int all = 0;
  uint64_t end = now_ms() + 20000;
  while (many_done < (int)N && now_ms() < end) eddy_run(&db_loop, EDDY_RUN_ONCE);
  all = many_done == (int)N;
  cr_assert(all, "%d of %d done", many_done, N);
  cr_assert_eq(many_bad, 0);
  cr_assert_eq(eddy_db_pending(db), 0);
  cr_assert_geq(eddy_db_connections(db), 1);
  db_loop_finish(db);
}

static int cancelled, finished_ok, other;
static void count_close(eddy_db_result_t *res, int status) {
  if (status == -ECANCELED) cancelled++;
  else if (status == 0) finished_ok++;
  else other++;
}

DB_TEST(close_finishes_or_cancels_every_pending_query) {
  db_loop_start();
  eddy_db_t *db = db_open_engine(engine);
  db_ok(db, "SELECT 1", NULL, 0); /* connected */
  cancelled = finished_ok = other = 0;
  for (int i = 0; i < 300; i++)
    cr_assert_eq(eddy_db_query(db, "SELECT 1", NULL, 0, NULL, count_close,
                               NULL), 0);
  db_loop_finish(db); /* closes, runs the loop until the close callback */
  cr_assert_eq(cancelled + finished_ok, 300, "ok %d cancelled %d other %d",
               finished_ok, cancelled, other);
}

static int misuse_calls;
static void misuse_done(eddy_db_result_t *res, int status) { misuse_calls++; }

DB_TEST(misuse_is_refused_without_callbacks) {
  db_loop_start();
  eddy_db_t *db = db_open_engine(engine);
  misuse_calls = 0;
  cr_assert_eq(eddy_db_query(db, NULL, NULL, 0, NULL, misuse_done, NULL), -EINVAL);
  cr_assert_eq(eddy_db_query(db, "SELECT 1", NULL, 0, NULL, NULL, NULL), -EINVAL);
  eddy_db_value_t bad = {.type = (eddy_db_type_t)42};
  cr_assert_eq(eddy_db_query(db, "SELECT $1", &bad, 1, NULL, misuse_done, NULL),
               -EINVAL);
  cr_assert_eq(eddy_db_begin(db, NULL, NULL), -EINVAL);
  qres_t q = {0};
  cr_assert_eq(eddy_db_query(db, "SELECT 1", NULL, 0, NULL, qres_done, &q), 0);
  cr_assert_eq(q.done, 0, "no callback inside the call");
  db_wait(&q.done, 5000);
  qres_free(&q);
  db_loop_finish(db);
  cr_assert_eq(misuse_calls, 0);
}

Test(db_sqlite, bad_urls_are_refused) {
  db_loop_start();
  eddy_db_t *db = NULL;
  cr_assert_eq(eddy_db_open(&db_loop, "mysql://x", NULL, &db), -EINVAL);
  cr_assert_eq(eddy_db_open(&db_loop, "sqlite:", NULL, &db), -EINVAL);
  cr_assert_eq(eddy_db_open(&db_loop, "postgres://u@db.example.org/x", NULL, &db),
               -EINVAL, "a host name would need DNS on the loop");
  cr_assert_null(db);
  db_loop_finish(NULL);
}

static int tx_closed;
static void on_tx_db_closed(eddy_db_t *db) { tx_closed = 1; }

static eddy_db_t *open_url(const char *url) {
  eddy_db_t *db = NULL;
  cr_assert_eq(eddy_db_open(&db_loop, url, NULL, &db), 0, "%s", url);
  return db;
}

DB_TEST(close_rolls_back_a_transaction_left_open) {
  db_loop_start();
  char url[512];
  if (is_pg(engine)) snprintf(url, sizeof(url), "%s", pg_shared()->url);
  else snprintf(url, sizeof(url), "sqlite:%s/tx.db", temp_dir());
  eddy_db_t *db = open_url(url);
  const char *t = db_table("open_tx");
  make_table(db, t, engine);
  tx_began = 0;
  cr_assert_eq(eddy_db_begin(db, on_begin, NULL), 0);
  db_wait(&tx_began, 5000);
  cr_assert_eq(tx_status, 0);
  char sql[256];
  snprintf(sql, sizeof(sql), "INSERT INTO %s (name) VALUES ('left open')", t);
  qres_t q = {0};
  cr_assert_eq(eddy_db_tx_query(the_tx, sql, NULL, 0, NULL, qres_done, &q), 0);
  db_wait(&q.done, 5000);
  cr_assert_eq(q.status, 0, "%s", q.message);
  qres_free(&q);
  /* close without commit: the connection goes, the transaction with it */
  tx_closed = 0;
  cr_assert_eq(eddy_db_close(db, on_tx_db_closed), 0);
  db_wait(&tx_closed, 10000);
  cr_assert(tx_closed);
  eddy_db_t *again = open_url(url);
  snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", t);
  cr_assert_eq(db_run(again, &q, sql, NULL, 0), 0, "%s", q.message);
  cr_assert_eq(q.v[0][0].i, 0, "the open transaction's row survived");
  qres_free(&q);
  db_loop_finish(again);
}

/*
 * SQLite only: a writer process killed with SIGKILL in the middle of its
 * writes loses no row whose commit it had seen; a statement that looks
 * like a read but writes is run by the writer.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/db_helpers.h"
#include "support/fs_helpers.h"
#include "support/loop_helpers.h"
#include "support/net_helpers.h"

static void bound(void) { bound_test_time(60); }
TestSuite(db_sqlite_only, .init = bound);

/* The child: inserts rows 1, 2, ... one commit each, and writes each id to
 * `fd` once its commit has returned. Runs until killed. */
static int child_fd;
static eddy_db_t *child_db;
static int64_t next_id = 1;
static void child_insert(void);

static void child_done(eddy_db_result_t *res, int status) {
  if (status) _exit(3);
  int64_t id = next_id++;
  if (write(child_fd, &id, sizeof(id)) != sizeof(id)) _exit(4);
  child_insert();
}

static void child_insert(void) {
  static char pad[512];
  eddy_db_value_t v[2] = {eddy_db_int(next_id), eddy_db_blob(pad, sizeof(pad))};
  if (eddy_db_query(child_db, "INSERT INTO t (id, pad) VALUES ($1, $2)", v, 2,
                    NULL, child_done, NULL))
    _exit(5);
}

static void child_created(eddy_db_result_t *res, int status) {
  if (status) _exit(2);
  child_insert();
}

static void run_child(const char *url, int fd) {
  eddy_loop_t loop;
  child_fd = fd;
  if (eddy_loop_init(&loop) || eddy_db_open(&loop, url, NULL, &child_db)) _exit(1);
  eddy_db_query(child_db, "CREATE TABLE t (id INTEGER PRIMARY KEY, pad BLOB)",
                NULL, 0, NULL, child_created, NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  _exit(6);
}

Test(db_sqlite_only, sigkill_mid_write_loses_no_committed_row) {
  char url[256];
  snprintf(url, sizeof(url), "sqlite:%s/kill.db", temp_dir());
  int p[2];
  cr_assert_eq(pipe(p), 0);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    close(p[0]);
    run_child(url, p[1]);
  }
  close(p[1]);
  int64_t id, last = 0;
  uint64_t start = now_ms();
  while (now_ms() - start < 10000 && (last < 50 || now_ms() - start < 300)) {
    cr_assert_eq(read_full(p[0], &id, sizeof(id)), 0, "the writer stopped");
    last = id;
  }
  kill(pid, SIGKILL); /* in the middle of a write, most likely */
  int status;
  waitpid(pid, &status, 0);
  cr_assert(WIFSIGNALED(status), "the writer ended by itself: %d", status);
  while (read(p[0], &id, sizeof(id)) == sizeof(id)) last = id;
  close(p[0]);
  db_loop_start();
  eddy_db_t *db = NULL;
  cr_assert_eq(eddy_db_open(&db_loop, url, NULL, &db), 0);
  qres_t q;
  eddy_db_value_t v = eddy_db_int(last);
  cr_assert_eq(db_run(db, &q, "SELECT count(*) FROM t WHERE id <= $1", &v, 1), 0,
               "%s", q.message);
  cr_assert_eq(q.v[0][0].i, last, "committed %lld rows, found %lld",
               (long long)last, (long long)q.v[0][0].i);
  qres_free(&q);
  db_loop_finish(db);
}

Test(db_sqlite_only, a_write_that_looks_like_a_read_runs_on_the_writer) {
  db_loop_start();
  eddy_db_t *db = db_open_engine("sqlite");
  db_ok(db, "CREATE TABLE w (x INTEGER)", NULL, 0);
  db_ok(db, "INSERT INTO w VALUES (1), (2)", NULL, 0);
  qres_t q;
  cr_assert_eq(db_run(db, &q, "WITH d AS (SELECT 1) DELETE FROM w WHERE x = 1",
                      NULL, 0), 0, "%s", q.message);
  cr_assert_eq(q.affected, 1);
  qres_free(&q);
  cr_assert_eq(db_run(db, &q, "SELECT count(*) FROM w", NULL, 0), 0);
  cr_assert_eq(q.v[0][0].i, 1);
  qres_free(&q);
  cr_assert_leq(eddy_db_connections(db), 3, "one writer and two readers");
  db_loop_finish(db);
}

/* Reads on the readers and writes on the writer at the same time, on pool
 * threads (run under TSan by `make tsan`): every answer is right, and a
 * read submitted after a write's callback sees it. */
static int mixed_done, mixed_bad;
static eddy_db_t *mixed_db;
static void mixed_read(eddy_db_result_t *res, int status) {
  mixed_done++;
  if (status || res->nrows != 1 || eddy_db_row(res, 0)[0].i != (intptr_t)res->data)
    mixed_bad++;
}
static void read_back(eddy_db_result_t *res, int status) {
  mixed_done++;
  if (status) {
    mixed_bad++;
    return;
  }
  /* the row written just now is visible to the next read */
  eddy_db_value_t v = eddy_db_int(res->insert_id);
  if (eddy_db_query(mixed_db, "SELECT x FROM m WHERE rowid = $1", &v, 1, NULL,
                    mixed_read, res->data))
    mixed_bad++;
}

Test(db_sqlite_only, readers_and_the_writer_run_together_and_agree) {
  db_loop_start();
  mixed_db = db_open_engine("sqlite");
  db_ok(mixed_db, "CREATE TABLE m (x INTEGER)", NULL, 0);
  mixed_done = mixed_bad = 0;
  enum { READS = 1000, WRITES = 200 };
  for (intptr_t i = 0; i < READS + WRITES; i++) {
    eddy_db_value_t v = eddy_db_int(i);
    int err = i % 6 == 0 && i / 6 < WRITES
                  ? eddy_db_query(mixed_db, "INSERT INTO m VALUES ($1)", &v, 1,
                                  NULL, read_back, (void *)i)
                  : eddy_db_query(mixed_db, "SELECT $1 + 0", &v, 1, NULL,
                                  mixed_read, (void *)i);
    cr_assert_eq(err, 0);
  }
  int want = READS + WRITES + WRITES; /* each write is read back */
  uint64_t end = now_ms() + 30000;
  while (mixed_done < want && now_ms() < end) eddy_run(&db_loop, EDDY_RUN_ONCE);
  cr_assert_eq(mixed_done, want);
  cr_assert_eq(mixed_bad, 0);
  db_loop_finish(mixed_db);
}

Test(db_sqlite_only, example_db_users_runs) {
  const char *ex = getenv("EDDY_EXAMPLES");
  cr_assert_not_null(ex, "EDDY_EXAMPLES is not set (make test sets it)");
  char cmd[512], out[2048] = "";
  snprintf(cmd, sizeof(cmd), "%s/db-users sqlite:%s/ex.db 2>&1", ex, temp_dir());
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p);
  size_t n = fread(out, 1, sizeof(out) - 1, p);
  out[n] = '\0';
  cr_assert_eq(pclose(p), 0, "%s", out);
  cr_assert(strstr(out, "duplicate email refused"), "%s", out);
  cr_assert(strstr(out, "ada'); DROP TABLE users; --"), "%s", out);
  cr_assert(strstr(out, "2 users with id >= 1"), "%s", out);
}

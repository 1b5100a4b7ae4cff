/*
 * PostgreSQL only: the Unix socket, a refused connect, a server restarted
 * under load (pending queries fail with a status, new ones succeed after,
 * nothing hangs or leaks), a dead connection replaced by the pool.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "support/db_helpers.h"
#include "support/fs_helpers.h"
#include "support/loop_helpers.h"
#include "support/service_helpers.h"

static void bound(void) { bound_test_time(90); }
TestSuite(db_pg_only, .init = bound);

static eddy_db_t *open_url(const char *url, unsigned max) {
  eddy_db_options_t o = {.max_conns = max, .connect_timeout_ms = 2000};
  eddy_db_t *db = NULL;
  cr_assert_eq(eddy_db_open(&db_loop, url, &o, &db), 0, "%s", url);
  return db;
}

Test(db_pg_only, unix_socket_and_tcp_reach_the_same_server) {
  db_loop_start();
  const svc_t *s = pg_shared();
  eddy_db_t *db = open_url(s->sock_url, 2);
  qres_t q;
  cr_assert_eq(db_run(db, &q, "SELECT inet_server_port() IS NULL", NULL, 0), 0,
               "%s", q.message);
  cr_assert_eq(q.v[0][0].i, 1, "a Unix socket has no server port");
  qres_free(&q);
  db_loop_finish(db);
}

Test(db_pg_only, refused_connect_fails_the_query_with_a_status) {
  db_loop_start();
  char url[128];
  snprintf(url, sizeof(url), "postgres://postgres@127.0.0.1:%d/postgres",
           svc_free_port());
  eddy_db_t *db = open_url(url, 2);
  qres_t q;
  cr_assert_eq(db_run(db, &q, "SELECT 1", NULL, 0), -ECONNREFUSED, "%s",
               eddy_err_name(q.status));
  cr_assert(strstr(q.message, "refused"), "libpq's message: %s", q.message);
  qres_free(&q);
  db_loop_finish(db);
}

/* ------------------------------------------------ restart under load */

static svc_t server;
static _Atomic int restarted;
static int inflight, submitted, ok_before, ok_after, failed, odd;
static int keep_going;
static eddy_db_t *load_db;
static void submit_one(void);

static void on_load_done(eddy_db_result_t *res, int status) {
  inflight--;
  if (status == 0) (restarted ? ok_after++ : ok_before++);
  else if (status == -ECONNRESET || status == -ECONNREFUSED ||
           status == -ETIMEDOUT)
    failed++;
  else {
    odd++;
    fprintf(stderr, "unexpected %s: %s\n", eddy_err_name(status),
            res->error.message);
  }
  if (keep_going) submit_one();
}

static void submit_one(void) {
  if (submitted >= 200000) return; /* bounded */
  eddy_db_value_t v = eddy_db_int(submitted);
  cr_assert_eq(eddy_db_query(load_db, "SELECT $1::int + 1", &v, 1, NULL,
                             on_load_done, NULL), 0);
  inflight++;
  submitted++;
}

static void *stop_and_start(void *arg) {
  struct timespec t = {0, 400 * 1000000L};
  nanosleep(&t, NULL);
  pg_stop(&server);
  nanosleep(&t, NULL);
  pg_restart(&server);
  restarted = 1;
  return NULL;
}

Test(db_pg_only, restart_under_load_fails_pending_then_recovers) {
  pg_start_private(&server);
  db_loop_start();
  load_db = open_url(server.url, 4);
  db_ok(load_db, "SELECT 1", NULL, 0);
  inflight = submitted = ok_before = ok_after = failed = odd = 0;
  restarted = 0;
  keep_going = 1;
  for (int i = 0; i < 32; i++) submit_one();
  pthread_t th;
  pthread_create(&th, NULL, stop_and_start, NULL);
  uint64_t end = now_ms() + 20000;
  while (now_ms() < end && (!restarted || ok_after < 200))
    eddy_run(&db_loop, EDDY_RUN_ONCE);
  keep_going = 0;
  pthread_join(th, NULL);
  end = now_ms() + 10000;
  while (inflight && now_ms() < end) eddy_run(&db_loop, EDDY_RUN_ONCE);
  cr_assert_eq(inflight, 0, "%d queries never finished", inflight);
  cr_assert_gt(ok_before, 0);
  cr_assert_gt(failed, 0, "the restart failed no query");
  cr_assert_geq(ok_after, 200, "only %d succeeded after the restart", ok_after);
  cr_assert_eq(odd, 0);
  db_loop_finish(load_db);
  pg_destroy(&server);
}

static void set_flag(eddy_timer_t *t) { *(int *)t->data = 1; }

Test(db_pg_only, a_connection_killed_by_the_server_is_replaced) {
  db_loop_start();
  eddy_db_t *db = open_url(pg_shared()->url, 2);
  qres_t q;
  cr_assert_eq(db_run(db, &q, "SELECT pg_backend_pid()", NULL, 0), 0);
  int64_t pid = q.v[0][0].i;
  qres_free(&q);
  /* another session ends ours, as an administrator would */
  eddy_db_t *admin = open_url(pg_shared()->url, 1);
  eddy_db_value_t v = eddy_db_int(pid);
  db_ok(admin, "SELECT pg_terminate_backend($1::int)", &v, 1);
  cr_assert_eq(eddy_db_close(admin, NULL), 0);
  /* the idle connection's EOF is seen by its watcher while the loop runs
   * (a timer keeps it running: idle connections do not) */
  eddy_timer_t pause;
  int paused = 0;
  eddy_timer_init(&db_loop, &pause);
  pause.data = &paused;
  eddy_timer_start(&pause, set_flag, 300, 0);
  db_wait(&paused, 2000);
  eddy_close(EDDY_HANDLE(&pause), NULL);
  /* the next query gets a new connection */
  cr_assert_eq(db_run(db, &q, "SELECT pg_backend_pid()", NULL, 0), 0,
               "%s %s", eddy_err_name(q.status), q.message);
  cr_assert_neq(q.v[0][0].i, pid, "the dead connection was reused");
  qres_free(&q);
  db_loop_finish(db);
}

Test(db_pg_only, a_server_that_never_answers_times_out) {
  /* a socket that listens and never accepts: TCP connects, PostgreSQL's
   * startup answer never comes */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  cr_assert_eq(listen(fd, 8), 0);
  getsockname(fd, (struct sockaddr *)&a, &len);
  char url[128];
  snprintf(url, sizeof(url), "postgres://postgres@127.0.0.1:%d/postgres",
           ntohs(a.sin_port));
  db_loop_start();
  eddy_db_options_t o = {.max_conns = 1, .connect_timeout_ms = 300};
  eddy_db_t *db = NULL;
  cr_assert_eq(eddy_db_open(&db_loop, url, &o, &db), 0);
  uint64_t t0 = now_ms();
  qres_t q;
  cr_assert_eq(db_run(db, &q, "SELECT 1", NULL, 0), -ETIMEDOUT, "%s",
               eddy_err_name(q.status));
  uint64_t took = now_ms() - t0;
  cr_assert(took >= 250 && took < 3000, "timed out after %llu ms",
            (unsigned long long)took);
  qres_free(&q);
  db_loop_finish(db);
  close(fd);
}

static int burst_done;
static void on_burst(eddy_db_result_t *res, int status) {
  if (status == 0) burst_done++;
}

Test(db_pg_only, the_pool_grows_under_load_and_shrinks_to_min_when_idle) {
  db_loop_start();
  eddy_db_options_t o = {.max_conns = 4, .min_conns = 1, .idle_ms = 200,
                         .pipeline_depth = 2};
  eddy_db_t *db = NULL;
  cr_assert_eq(eddy_db_open(&db_loop, pg_shared()->url, &o, &db), 0);
  burst_done = 0;
  for (int i = 0; i < 64; i++) /* pg_sleep keeps each connection busy */
    cr_assert_eq(eddy_db_query(db, "SELECT pg_sleep(0.01)", NULL, 0, NULL,
                               on_burst, NULL), 0);
  unsigned most = 0;
  uint64_t end = now_ms() + 10000;
  while (burst_done < 64 && now_ms() < end) {
    eddy_run(&db_loop, EDDY_RUN_ONCE);
    if (eddy_db_connections(db) > most) most = eddy_db_connections(db);
  }
  cr_assert_eq(burst_done, 64);
  cr_assert_gt(most, 1, "the pool never grew");
  cr_assert_leq(most, 4, "max_conns exceeded");
  eddy_timer_t pause;
  int paused = 0;
  eddy_timer_init(&db_loop, &pause);
  pause.data = &paused;
  eddy_timer_start(&pause, set_flag, 1500, 0);
  db_wait(&paused, 5000);
  eddy_close(EDDY_HANDLE(&pause), NULL);
  cr_assert_eq(eddy_db_connections(db), 1, "idle connections above min stay");
  db_loop_finish(db);
}

/*
 * Cluster mode end to end: the test app (tests/cluster/app.c) as a real
 * primary with real worker processes, real signals and load from a
 * client thread on fresh connections. Timeouts are short so each test
 * takes a few seconds.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/cluster_helpers.h"
#include "support/e2e_helpers.h"

/* The machine may be shared and the workers run under ASan: a stall
 * timeout of 1 s would kill workers the scheduler starved. Only the stall
 * test uses a short one. */
#define FAST "--heartbeat-ms", "100", "--grace-ms", "2000"

static void fini(void) { cl_kill_leftover(); }

static void started(cl_t *c, int workers) {
  cr_assert(cl_wait(c, "event listening", workers, 10000) >= 0,
            "%d workers did not listen", workers);
}

static void stopped_cleanly(cl_t *c) {
  int st = cl_stop(c, SIGTERM);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "primary status %d", st);
}

TestSuite(cluster, .fini = fini, .timeout = 40);

/* Only the request the killed worker had in hand may fail. */
static void kill_9(const char *share) {
  cl_t c;
  cl_load_t l;
  cl_start_app(&c, (const char *const[]){"--workers", "2", FAST, "--share",
                                         share, NULL});
  started(&c, 2);
  cl_load_start(&l, c.port, 10000);
  usleep(300000);
  kill(cl_event_pid(&c, "event listening", 0), SIGKILL);
  /* The replacement is started within 1 s; it serves once loaded (ASan
   * start-up on a shared machine: bench/cluster measures release). */
  long ms = cl_wait(&c, "event fork", 3, 1000);
  cr_assert(ms >= 0, "no replacement started within 1 s");
  cr_assert(cl_wait(&c, "event listening", 3, 10000) >= 0);
  usleep(300000);
  cl_load_stop(&l);
  cr_assert(l.failed <= 1, "%d of %d failed", l.failed, l.ok + l.failed);
  cr_assert(l.ok > 20);
  stopped_cleanly(&c);
}

Test(cluster, kill_9_is_replaced_within_1s_and_the_other_answers) {
  kill_9("shared");
}

Test(cluster, kill_9_round_robin) { kill_9("roundrobin"); }

/*
 * Round-robin: connections handed to a worker in the moment it is killed
 * (its channel still takes them while the kernel tears the process down:
 * milliseconds for an ASan build) are not lost. The worker never sends
 * its receipt, so the primary hands them to the other worker when the
 * channel ends. Node's round-robin loses them.
 */
Test(cluster, round_robin_hands_on_what_a_killed_worker_never_took) {
  enum { N = 24 };
  cl_t c;
  cl_bg_get_t g[N];
  cl_start_app(&c, (const char *const[]){"--workers", "2", FAST, "--share",
                                         "roundrobin", NULL});
  started(&c, 2);
  cr_assert_eq(cl_get(c.port, "/", NULL), 200);
  kill(cl_event_pid(&c, "event listening", 0), SIGKILL);
  for (int i = 0; i < N; i++) cl_bg_get_start(&g[i], c.port, "/", 8000);
  int failed = 0;
  for (int i = 0; i < N; i++) failed += cl_bg_get_join(&g[i]) != 200;
  cr_assert_eq(failed, 0, "%d of %d connections lost", failed, N);
  stopped_cleanly(&c);
}

/* The primary keeps the slot's socket: connections queued on the killed
 * worker's socket wait for its replacement instead of being reset. */
Test(cluster, kill_9_reuseport) { kill_9("reuseport"); }

static void stuck(const char *share) {
  cl_t c;
  cl_load_t l;
  cl_start_app(&c, (const char *const[]){"--workers", "2", FAST,
                                         "--stall-timeout-ms", "1500",
                                         "--share", share, NULL});
  started(&c, 2);
  e2e_server_t s = {.port = c.port};
  int fd = e2e_connect(&s);
  const char *req = "GET /blocking?ms=60000 HTTP/1.1\r\nHost: x\r\n\r\n";
  e2e_send(fd, req, strlen(req));
  /* One worker is stuck now; round-robin notices when its heartbeat is
   * late (2 heartbeats + 50 ms): connections handed to it before that
   * wait there, and are lost when it is killed. */
  usleep(400000);
  cl_load_start(&l, c.port, 10000);
  cr_assert(cl_wait(&c, "event exit", 1, 5000) >= 0, "not killed");
  cr_assert(cl_wait(&c, "event listening", 3, 5000) >= 0, "not replaced");
  usleep(200000);
  cl_load_stop(&l);
  close(fd);
  cr_assert_eq(l.failed, 0, "%d of %d failed", l.failed, l.ok + l.failed);
  cr_assert(l.ok > 20);
  cr_assert(cl_log_has(&c, "silent for"));
  cr_assert(cl_log_has(&c, "running handler: 'GET /blocking'"));
  cr_assert(cl_log_has(&c, "killed by signal 9 (stall)"));
  stopped_cleanly(&c);
}

Test(cluster, a_stuck_worker_is_killed_replaced_and_named) {
  stuck("shared");
}

/* Round-robin skips the worker whose heartbeat is late. (SO_REUSEPORT
 * cannot: the kernel keeps hashing connections to the stuck worker's
 * socket until the watchdog replaces it; docs/ARCHITECTURE.md.) */
Test(cluster, a_stuck_worker_is_skipped_by_round_robin) {
  stuck("roundrobin");
}

static void sighup(const char *share) {
  cl_t c;
  cl_load_t l;
  cl_start_app(&c, (const char *const[]){"--workers", "2", FAST, "--share",
                                         share, NULL});
  started(&c, 2);
  int old[2] = {cl_event_pid(&c, "event listening", 0),
                cl_event_pid(&c, "event listening", 1)};
  cl_load_start(&l, c.port, 15000);
  usleep(300000);
  kill(c.pid, SIGHUP);
  cr_assert(cl_wait(&c, "event listening", 4, 8000) >= 0);
  cr_assert(cl_wait(&c, "event exit", 2, 8000) >= 0);
  usleep(200000);
  cl_load_stop(&l);
  cr_assert_eq(l.failed, 0, "%d of %d failed", l.failed, l.ok + l.failed);
  for (int i = 0; i < 20; i++) {
    int pid = 0;
    cr_assert_eq(cl_get(c.port, "/", &pid), 200);
    cr_assert(pid != old[0] && pid != old[1], "old worker %d answered", pid);
  }
  cr_assert(cl_log_has(&c, "reload done"));
  stopped_cleanly(&c);
}

Test(cluster, sighup_replaces_every_worker_without_a_failed_request) {
  sighup("shared");
}

Test(cluster, sighup_round_robin) { sighup("roundrobin"); }

Test(cluster, sighup_reuseport) { sighup("reuseport"); }

/*
 * Connections one after another, each answered before the next: both
 * workers are idle at every connect. With EPOLLEXCLUSIVE the kernel wakes
 * the first idle waiter on the socket, always the same worker, unless the
 * worker that accepted moves itself behind the others (listen.c). A
 * keep-alive client's connections would otherwise all land on one core.
 */
Test(cluster, shared_socket_spreads_connections_over_idle_workers) {
  cl_t c;
  int pids[2] = {0, 0}, counts[2] = {0, 0}, n = 40;
  cl_start_app(&c, (const char *const[]){"--workers", "2", FAST, "--share",
                                         "shared", NULL});
  started(&c, 2);
  for (int i = 0; i < n; i++) {
    int pid = 0;
    cr_assert_eq(cl_get(c.port, "/", &pid), 200);
    int k = pid == pids[0] || !pids[0] ? 0 : 1;
    if (!pids[k]) pids[k] = pid;
    cr_assert_eq(pids[k], pid, "a third worker pid %d", pid);
    counts[k]++;
    usleep(2000); /* both back in epoll_wait */
  }
  cr_assert(counts[0] >= n / 4 && counts[1] >= n / 4,
            "connections per worker: %d and %d", counts[0], counts[1]);
  stopped_cleanly(&c);
}

typedef struct {
  int port;
  int status;
} slow_t;

static void *slow_request(void *arg) {
  slow_t *s = arg;
  s->status = cl_get(s->port, "/sleep?ms=700", NULL);
  return NULL;
}

Test(cluster, sigterm_finishes_accepted_requests_and_exits_0) {
  cl_t c;
  cl_load_t l;
  slow_t slow[4];
  pthread_t th[4];
  cl_start_app(&c, (const char *const[]){"--workers", "2", FAST, NULL});
  started(&c, 2);
  cl_load_start(&l, c.port, 10000);
  for (int i = 0; i < 4; i++) {
    slow[i].port = c.port;
    pthread_create(&th[i], NULL, slow_request, &slow[i]);
  }
  usleep(300000); /* the slow ones are in flight */
  kill(c.pid, SIGTERM);
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    cr_assert_eq(slow[i].status, 200, "slow request %d: %d", i,
                 slow[i].status);
  }
  int st;
  cr_assert_eq(waitpid(c.pid, &st, 0), c.pid);
  cl_load_stop(&l);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "primary status %d", st);
  /* After the shutdown, connections are refused: never cut short. */
  cr_assert_eq(l.partial, 0);
  cr_assert(l.ok > 0);
  cl_forget(&c);
}

/* "restarting in N ms" delays from the log, in order. */
static int backoff_delays(const cl_t *c, long *out, int max) {
  FILE *f = fopen(c->log_path, "r");
  char line[1024];
  int n = 0;
  while (f && fgets(line, sizeof(line), f) && n < max) {
    char *p = strstr(line, "restarting in ");
    if (p) out[n++] = strtol(p + 14, NULL, 10);
  }
  if (f) fclose(f);
  return n;
}

Test(cluster, a_worker_crashing_at_start_backs_off) {
  cl_t c;
  long d[32];
  cl_start_app(&c, (const char *const[]){"--workers", "1", FAST,
                                         "--crash-at-start", NULL});
  long t0 = e2e_now_ms();
  int n = 0;
  while (n < 4 && e2e_now_ms() - t0 < 8000) {
    usleep(50000);
    n = backoff_delays(&c, d, 32);
  }
  long elapsed = e2e_now_ms() - t0;
  int forks = cl_count(&c, "event fork");
  cr_assert(n >= 4, "only %d restarts logged in %ld ms", n, elapsed);
  for (int i = 1; i < n; i++) cr_assert(d[i] >= d[i - 1], "not growing");
  cr_assert(d[n - 1] > d[0]);
  /* 100, 150, 225, 337 ms (then up to the app's cap of 1000): the
   * delays alone allow at most 5 forks by now; no fork storm. */
  cr_assert(forks <= n + 2, "%d forks for %d restarts", forks, n);
  cr_assert(d[0] == 100 && d[1] == 150 && d[2] == 225, "%ld %ld %ld", d[0],
            d[1], d[2]);
  stopped_cleanly(&c);
}

Test(cluster, memory_above_the_limit_restarts_gracefully) {
  cl_t c;
  int pid = 0;
  cl_start_app(&c, (const char *const[]){"--workers", "2", FAST,
                                         "--max-rss-mb", "150", NULL});
  started(&c, 2);
  cr_assert_eq(cl_get(c.port, "/alloc?mb=200", &pid), 200);
  cr_assert(cl_wait(&c, "event listening", 3, 5000) >= 0, "not replaced");
  cr_assert(cl_wait(&c, "event exit", 1, 5000) >= 0, "old not stopped");
  cr_assert(cl_log_has(&c, "above the limit of 150 MiB"));
  /* Graceful: it exited by itself (status 0), not killed. */
  cr_assert(cl_log_has(&c, "exited with status 0"));
  cr_assert_eq(cl_get(c.port, "/", NULL), 200);
  stopped_cleanly(&c);
}

Test(cluster, garbage_on_ipc_is_logged_and_the_worker_replaced) {
  cl_t c;
  cl_load_t l;
  cl_start_app(&c, (const char *const[]){"--workers", "2", FAST, NULL});
  started(&c, 2);
  cl_load_start(&l, c.port, 10000);
  cr_assert_eq(cl_get(c.port, "/garbage", NULL), 200);
  cr_assert(cl_wait(&c, "event listening", 3, 5000) >= 0, "not replaced");
  usleep(300000);
  cl_load_stop(&l);
  cr_assert(cl_log_has(&c, "bad IPC channel"));
  cr_assert_eq(l.failed, 0, "%d of %d failed", l.failed, l.ok + l.failed);
  stopped_cleanly(&c);
}

/* The program's own messages, both ways over the channel. */
Test(cluster, messages_go_both_ways) {
  cl_t c;
  cl_start_app(&c, (const char *const[]){"--workers", "1", FAST, NULL});
  started(&c, 1);
  cr_assert_eq(cl_get(c.port, "/tell", NULL), 200);
  cr_assert(cl_wait(&c, "event message", 1, 3000) >= 0, "no message event");
  e2e_server_t s = {.port = c.port};
  char out[512];
  const char *req = "GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  int got = 0;
  for (int i = 0; i < 100 && !got; i++) {
    e2e_fresh_request(&s, req, out, sizeof(out));
    got = strstr(out, "pong 1") != NULL;
    if (!got) usleep(20000);
  }
  cr_assert(got, "%s", out);
  stopped_cleanly(&c);
}

/* ---- the examples */

static void wait_serving(int port) {
  for (int i = 0; i < 500; i++) {
    if (cl_get(port, "/", NULL) == 200) return;
    usleep(20000);
  }
  cr_assert_fail("the example does not answer");
}

Test(cluster, example_hello_answers_on_every_worker) {
  cl_t c;
  cl_start_example(&c, "cluster-hello", (const char *const[]){
                       "--workers", "2", "--heartbeat-ms", "100", NULL});
  wait_serving(c.port);
  e2e_server_t s = {.port = c.port};
  char out[512];
  const char *req = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  cr_assert_eq(e2e_fresh_request(&s, req, out, sizeof(out)), 200);
  cr_assert(strstr(out, "Hello, World!"));
  stopped_cleanly(&c);
}

Test(cluster, example_watchdog_replaces_the_stuck_worker) {
  cl_t c;
  cl_start_example(&c, "cluster-watchdog", (const char *const[]){
                       "--workers", "2", "--every", "10",
                       "--heartbeat-ms", "100", "--stall-timeout-ms", "1500",
                       "--log-rss-mb", "1", NULL});
  wait_serving(c.port);
  int ok = 0;
  for (int i = 0; i < 30 && !cl_log_has_now(&c, "never ends"); i++)
    ok += cl_get(c.port, "/", NULL) == 200;
  cr_assert(cl_log_has(&c, "running handler: 'GET / (the request that "
                           "never ends)'"));
  cr_assert(cl_log_has(&c, "killed by signal 9 (stall)"));
  cr_assert(cl_log_has(&c, "watchdog: worker"), "no memory line");
  wait_serving(c.port);
  cr_assert(ok >= 8); /* a worker's 10th request (wait_serving had 1) */
  stopped_cleanly(&c);
}

Test(cluster, eddy_serve_workers_2) {
  e2e_server_t s;
  e2e_start(&s, (const char *const[]){"--workers", "2", "--heartbeat-ms",
                                      "100", NULL});
  char out[512];
  const char *req = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  int status = -1;
  for (int i = 0; i < 250 && status != 200; i++) { /* workers loading */
    status = e2e_fresh_request(&s, req, out, sizeof(out));
    if (status != 200) usleep(20000);
  }
  cr_assert_eq(status, 200);
  cr_assert(strstr(out, "Hello, World!"));
  e2e_stop(&s);
}

/* Whichever worker answers, /metrics shows every worker and the restarts
 * by cause; /readyz is 200. */
Test(cluster, metrics_of_every_worker_from_any_worker) {
  e2e_server_t s;
  e2e_start(&s, (const char *const[]){"--workers", "2", "--heartbeat-ms",
                                      "100", NULL});
  static char out[65536];
  const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n"
                    "Connection: close\r\n\r\n";
  int seen = 0;
  for (int i = 0; i < 250 && !seen; i++) { /* workers loading, reporting */
    if (e2e_fresh_request(&s, req, out, sizeof(out)) == 200 &&
        strstr(out, "eddy_cluster_workers 2"))
      seen = 1;
    else
      usleep(20000);
  }
  cr_assert(seen, "%s", out);
  cr_assert(strstr(out, "eddy_worker_requests_total{worker=\"1\""));
  cr_assert(strstr(out, "eddy_worker_requests_total{worker=\"2\""));
  cr_assert(strstr(out, "eddy_cluster_restarts_total{cause=\"crash\"} 0"));
  const char *rz = "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  cr_assert_eq(e2e_fresh_request(&s, rz, out, sizeof(out)), 200);
  e2e_stop(&s);
}

/* A rolling reload runs the binary now installed at the program's path:
 * the workers are started from the path, not from the old inode. */
Test(cluster, sighup_runs_the_new_binary) {
  char dir[] = "/tmp/eddy-reload-XXXXXX", path[128], tmp[160], cmd[512];
  cr_assert(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/server", dir);
  snprintf(tmp, sizeof(tmp), "%s/server.new", dir);
  snprintf(cmd, sizeof(cmd), "cp %s/../tests/cluster-app %s",
           getenv("EDDY_EXAMPLES"), path);
  cr_assert_eq(system(cmd), 0);
  cl_t c;
  cl_start_path(&c, path, (const char *const[]){"--workers", "2", FAST,
                                                NULL});
  started(&c, 2);
  int pid = 0;
  cr_assert_eq(cl_get(c.port, "/", &pid), 200);
  cr_assert(pid > 0, "the old binary answers with its pid");
  /* Install the new binary as a package manager does: a rename. */
  snprintf(cmd, sizeof(cmd), "cp %s/cluster-hello %s && mv %s %s",
           getenv("EDDY_EXAMPLES"), tmp, tmp, path);
  cr_assert_eq(system(cmd), 0);
  kill(c.pid, SIGHUP);
  e2e_server_t s = {.port = c.port};
  char out[512];
  const char *req = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  int hello = 0;
  for (int i = 0; i < 500 && hello < 10; i++) {
    cr_assert_eq(e2e_fresh_request(&s, req, out, sizeof(out)), 200);
    hello = strstr(out, "Hello, World!") ? hello + 1 : 0;
    usleep(10000);
  }
  cr_assert_eq(hello, 10, "the new binary does not answer");
  stopped_cleanly(&c);
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  cr_assert_eq(system(cmd), 0);
}

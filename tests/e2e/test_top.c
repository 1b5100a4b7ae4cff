/*
 * `eddy top`: against a real `eddy serve --workers 2`, in plain mode (a
 * pipe: one snapshot per second) and through a pseudo-terminal (the
 * screen is read back, `q` quits, the terminal is restored).
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "support/cluster_helpers.h"
#include "support/e2e_helpers.h"

static pid_t top_pid;

static void fini(void) {
  if (top_pid > 0) {
    kill(top_pid, SIGKILL);
    waitpid(top_pid, NULL, 0);
  }
  top_pid = 0;
  e2e_kill_leftover();
}

TestSuite(top, .fini = fini, .timeout = 40);

typedef struct {
  char buf[65536];
  size_t len;
} text_t;

static size_t on_data(char *p, size_t size, size_t n, void *user) {
  text_t *t = user;
  size_t k = size * n;
  if (t->len + k >= sizeof(t->buf)) return 0;
  memcpy(t->buf + t->len, p, k);
  t->len += k;
  t->buf[t->len] = '\0';
  return k;
}

/* GET http://127.0.0.1:port/path into t; returns the status or -1. */
static long get(int port, const char *path, text_t *t) {
  char url[128];
  long status = -1;
  snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
  t->len = 0;
  t->buf[0] = '\0';
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
  if (curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  return status;
}

/* Starts a 2-worker cluster reporting every 200 ms (a stuck worker is
 * not killed for 30 s); waits until its /metrics shows both workers;
 * their pids into pids[2]. */
static void start_cluster(e2e_server_t *s, long pids[2]) {
  static text_t t;
  e2e_start(s, (const char *const[]){"--workers", "2", "--heartbeat-ms", "200",
                                     "--stall-timeout-ms", "30000", NULL});
  for (int i = 0; i < 100; i++, usleep(100000)) {
    if (get(s->port, "/metrics", &t) != 200 ||
        !strstr(t.buf, "eddy_cluster_workers 2"))
      continue;
    const char *p = t.buf;
    for (int k = 0; k < 2; k++) {
      p = strstr(p, "pid=\"");
      cr_assert(p, "%s", t.buf);
      pids[k] = atol(p += 5);
    }
    return;
  }
  cr_assert_fail("the cluster did not report two workers: %s", t.buf);
}

static const char *eddy_bin(void) {
  const char *bin = getenv("EDDY_BIN");
  cr_assert(bin, "EDDY_BIN is not set");
  return bin;
}

/* Reads fd into buf from `len` until it holds `needle`, ms pass or EOF;
 * returns the length. */
static size_t read_until(int fd, char *buf, size_t max, size_t len,
                         const char *needle, long ms) {
  long end = e2e_now_ms() + ms;
  while (e2e_now_ms() < end && len + 1 < max) {
    buf[len] = '\0';
    if (needle && strstr(buf, needle)) break;
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    ssize_t n = read(fd, buf + len, max - len - 1);
    if (n <= 0) break; /* EOF (EIO on a pty whose child is gone) */
    len += (size_t)n;
  }
  buf[len] = '\0';
  return len;
}

static int wait_exit(pid_t pid, long ms) {
  int status;
  for (long waited = 0; waited < ms; waited += 20, usleep(20000))
    if (waitpid(pid, &status, WNOHANG) == pid) {
      top_pid = 0;
      return status;
    }
  return -1;
}

static void loads(int port, int n) {
  static text_t t;
  for (int i = 0; i < n; i++) cr_assert_eq(get(port, "/", &t), 200);
}

static int has_pid_row(const char *screen, long pid) {
  char needle[32];
  snprintf(needle, sizeof(needle), " %ld ", pid);
  return strstr(screen, needle) != NULL;
}

Test(top, plain_mode_prints_a_snapshot_per_second_with_rows_and_rates) {
  e2e_server_t s;
  long pids[2];
  start_cluster(&s, pids);
  char url[64], count[] = "3";
  snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
  int out[2];
  cr_assert_eq(pipe(out), 0);
  top_pid = fork();
  if (top_pid == 0) {
    dup2(out[1], 1);
    execl(eddy_bin(), eddy_bin(), "top", "--count", count, url, NULL);
    _exit(127);
  }
  close(out[1]);
  static char text[65536];
  size_t len = read_until(out[0], text, sizeof(text), 0, "TOTAL", 5000);
  loads(s.port, 30); /* counted between the first and the later snapshots */
  read_until(out[0], text, sizeof(text), len, NULL, 8000);
  close(out[0]);
  int status = wait_exit(top_pid, 3000);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%d", status);
  cr_assert_eq(e2e_count(text, "eddy top  http://"), 3, "%s", text);
  cr_assert_eq(e2e_count(text, "WORKER  SLOT"), 3, "%s", text);
  cr_assert(has_pid_row(text, pids[0]) && has_pid_row(text, pids[1]), "%s",
            text);
  cr_assert(strstr(text, "/metrics"), "the bare URL means its /metrics");
  cr_assert_null(strstr(text, "\033"), "no escapes when not a terminal");
  /* The last TOTAL row ends in a rate: 30 requests in about 2 s. */
  const char *last = strstr(text, "TOTAL");
  for (const char *p = last; (p = strstr(p + 1, "TOTAL"));) last = p;
  const char *eol = strchr(last, '\n');
  const char *sp = eol;
  while (sp > last && sp[-1] != ' ') sp--;
  double rate = atof(sp);
  cr_assert(rate > 0.5 && sp[0] != '-', "TOTAL rate: %.*s", (int)(eol - last),
            last);
  e2e_stop(&s);
}

/* Runs `eddy top URL` on a new pseudo-terminal; returns the master fd. */
static int top_on_pty(int port) {
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
  struct winsize ws = {.ws_row = 30, .ws_col = 100};
  int master;
  top_pid = forkpty(&master, NULL, NULL, &ws);
  cr_assert(top_pid >= 0);
  if (top_pid == 0) {
    execl(eddy_bin(), eddy_bin(), "top", url, NULL);
    _exit(127);
  }
  return master;
}

static void assert_restored(int master, const char *screen) {
  struct termios t;
  cr_assert_eq(tcgetattr(master, &t), 0);
  cr_assert(t.c_lflag & ICANON, "canonical mode restored");
  cr_assert(t.c_lflag & ECHO, "echo restored");
  cr_assert(strstr(screen, "\033[?1049l"), "alternate screen left");
}

Test(top, on_a_terminal_it_redraws_and_q_quits_restoring_the_terminal) {
  e2e_server_t s;
  long pids[2];
  start_cluster(&s, pids);
  int master = top_on_pty(s.port);
  static char screen[1 << 17];
  read_until(master, screen, sizeof(screen), 0, "q quits", 5000);
  cr_assert(strstr(screen, "\033[?1049h"), "alternate screen: %s", screen);
  struct termios t;
  cr_assert_eq(tcgetattr(master, &t), 0);
  cr_assert_not(t.c_lflag & (ICANON | ECHO), "raw mode while running");
  read_until(master, screen, sizeof(screen), 0, "q quits", 3000);
  cr_assert(has_pid_row(screen, pids[0]) && has_pid_row(screen, pids[1]), "%s",
            screen);
  cr_assert(strstr(screen, "RESTARTS") && strstr(screen, "TOTAL"));
  cr_assert_eq(write(master, "q", 1), 1);
  read_until(master, screen, sizeof(screen), 0, "\033[?1049l", 3000);
  int status = wait_exit(top_pid, 3000);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%d", status);
  assert_restored(master, screen);
  close(master);
  e2e_stop(&s);
}

Test(top, sigterm_restores_the_terminal_and_a_dead_server_is_an_error_line) {
  e2e_server_t s;
  long pids[2];
  start_cluster(&s, pids);
  int master = top_on_pty(s.port);
  static char screen[1 << 17];
  size_t len = read_until(master, screen, sizeof(screen), 0, "q quits", 5000);
  e2e_stop(&s);
  len = read_until(master, screen, sizeof(screen), 0, "error: ", 4000);
  cr_assert(strstr(screen, "error: "), "the failed fetch is shown: %s", screen);
  kill(top_pid, SIGTERM);
  len = read_until(master, screen, sizeof(screen), len, "\033[?1049l", 3000);
  int status = wait_exit(top_pid, 3000);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%d", status);
  assert_restored(master, screen);
  close(master);
}

/* A worker stuck in a handler: top names it and the route (from the
 * cluster's eddy_worker_blocked_seconds, which another worker serves). */
Test(top, names_the_route_blocking_a_worker) {
  e2e_server_t s;
  long pids[2];
  static text_t t;
  start_cluster(&s, pids);
  cl_bg_get_t g;
  cl_bg_get_start(&g, s.port, "/blocking?ms=6000", 20000);
  int seen = 0; /* the series is out: the primary knows it blocks */
  for (int i = 0; i < 40 && !seen; i++, usleep(100000))
    seen = get(s.port, "/metrics", &t) == 200 &&
           strstr(t.buf, "eddy_worker_blocked_seconds{");
  cr_assert(seen, "no blocked series: %s", t.buf);
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
  int out[2];
  cr_assert_eq(pipe(out), 0);
  top_pid = fork();
  if (top_pid == 0) { /* a fresh connection: the free worker accepts it */
    dup2(out[1], 1);
    execl(eddy_bin(), eddy_bin(), "top", "--count", "1", url, NULL);
    _exit(127);
  }
  close(out[1]);
  static char text[65536];
  read_until(out[0], text, sizeof(text), 0, NULL, 4000);
  close(out[0]);
  int status = wait_exit(top_pid, 3000);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%d", status);
  cr_assert(strstr(text, "BLOCKED worker "), "%s", text);
  cr_assert(strstr(text, ": GET /blocking for "), "%s", text);
  cr_assert_eq(cl_bg_get_join(&g), 200);
  e2e_stop(&s);
}

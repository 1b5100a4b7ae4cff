/*
 * The dashboard's script against what a real `eddy serve --workers 2`
 * exposes: the page (from eddy_dashboard_html) has its <script> run by
 * Node.js (a build dependency) on the cluster's /metrics taken twice under
 * load, then on a copy with a restart and a blocked route added. The model
 * the page draws from must find every chart the cluster reports, one line
 * per worker, a rate from the counters, the restart with its cause and the
 * blocking route by name; and a single `eddy serve` (no cluster): its
 * counters summed over routes, p99s from its histograms.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eddy/dashboard.h"
#include "support/cluster_helpers.h"
#include "support/e2e_helpers.h"
#include "support/prom_check.h"

TestSuite(dashboard_e2e, .fini = e2e_kill_leftover, .timeout = 40);

static size_t on_data(char *p, size_t size, size_t n, void *user) {
  fwrite(p, size, n, user);
  return size * n;
}

/* GET http://127.0.0.1:port/path into the file `to`; the status or -1. */
static long get_to(int port, const char *path, const char *to) {
  char url[128];
  long status = -1;
  snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
  FILE *f = fopen(to, "w");
  cr_assert(f);
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
  if (curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  fclose(f);
  return status;
}

static int file_has(const char *path, const char *needle) {
  static char buf[1 << 16];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = '\0';
  return strstr(buf, needle) != NULL;
}

/* Writes the page's script (between <script> and </script>) to `to`. */
static void write_script(const char *to) {
  const char *page = eddy_dashboard_html(NULL);
  const char *a = strstr(page, "<script>"), *b = strstr(page, "</script>");
  cr_assert(a && b && b > a);
  a += strlen("<script>");
  FILE *f = fopen(to, "w");
  cr_assert(f);
  fwrite(a, 1, (size_t)(b - a), f);
  fclose(f);
}

/* The Node.js side: feeds the three texts one second apart and prints
 * what the page would draw, one fact a line. */
static const char *harness =
    "const fs = require('fs');\n"
    "const d = require(process.argv[1]);\n"
    "const m = new d.Model();\n"
    "process.argv.slice(2).forEach((f, i) =>\n"
    "  m.feed(fs.readFileSync(f, 'utf8'), 1000 + i));\n"
    "for (const c in d.CHARTS) {\n"
    "  const s = m.charts[c], names = Object.keys(s).sort();\n"
    "  console.log('chart', c, m.present[c] ? 'present' : 'missing',\n"
    "    names.map((n) => n.replace(/ /g, '_') + '=' + s[n].length)\n"
    "      .join(','));\n"
    "}\n"
    "const tot = m.charts.requests.total || [];\n"
    "console.log('rate', tot.length ? tot[0][1] : -1);\n"
    "for (const k of m.marks) console.log('mark', k.cause, k.n, k.t);\n"
    "for (const b of m.blocking) console.log('blocking', b.worker, b.route);\n";

static void load(int port, int n, const char *tmp) {
  for (int i = 0; i < n; i++) cr_assert_eq(get_to(port, "/", tmp), 200);
}

/* A copy of `from` with one more crash restart and a blocked route. */
static void write_third(const char *from, const char *to) {
  char cmd[1024];
  snprintf(cmd, sizeof(cmd),
           "sed 's/^eddy_cluster_restarts_total{cause=\"crash\"} 0/"
           "eddy_cluster_restarts_total{cause=\"crash\"} 1/' %s > %s && "
           "echo 'eddy_worker_blocked_seconds{worker=\"2\","
           "route=\"GET /blocking\"} 2.5' >> %s",
           from, to, to);
  cr_assert_eq(system(cmd), 0);
}

Test(dashboard_e2e, the_page_script_reads_what_the_cluster_exposes) {
  e2e_server_t s;
  e2e_start(&s, (const char *const[]){"--workers", "2", "--heartbeat-ms", "100",
                                      NULL});
  char dir[] = "/tmp/eddy-dash-XXXXXX", p[6][256];
  cr_assert(mkdtemp(dir));
  const char *names[] = {"dash.js", "m1", "m2", "m3", "out", "body"};
  for (int i = 0; i < 6; i++) snprintf(p[i], 256, "%s/%s", dir, names[i]);
  for (int i = 0; i < 50; i++, usleep(100000))
    if (get_to(s.port, "/metrics", p[1]) == 200 &&
        file_has(p[1], "eddy_cluster_workers 2"))
      break;
  cr_assert(file_has(p[1], "eddy_cluster_workers 2"), "cluster not ready");
  load(s.port, 40, p[5]);
  usleep(400000); /* a few heartbeats: the counters move */
  cr_assert_eq(get_to(s.port, "/metrics", p[2]), 200);
  e2e_stop(&s);
  write_third(p[2], p[3]);
  write_script(p[0]);
  char cmd[2048];
  snprintf(cmd, sizeof(cmd), "node -e \"$EDDY_DASH_HARNESS\" %s %s %s %s > %s",
           p[0], p[1], p[2], p[3], p[4]);
  setenv("EDDY_DASH_HARNESS", harness, 1);
  cr_assert_eq(system(cmd), 0, "node failed (is nodejs installed?)");
  const char *want[] = {
      "chart requests present total=2,worker_1=2,worker_2=2",
      "chart latency_p99 present",
      "chart delay_p99 present worker_1=3,worker_2=3",
      "chart utilization present worker_1=3,worker_2=3",
      "chart connections present total=3,worker_1=3,worker_2=3",
      "chart rss present total=3,worker_1=3,worker_2=3",
      "mark crash 1 1002",
      "blocking 2 GET /blocking"};
  for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
    cr_assert(file_has(p[4], want[i]), "missing '%s'", want[i]);
  /* 40 requests (+ /metrics) between the first two texts, fed 1 s apart:
   * the first point of the total rate. */
  cr_assert_not(file_has(p[4], "rate 0\n") || file_has(p[4], "rate -1"));
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  system(cmd);
}

Test(dashboard_e2e, the_page_script_reads_a_single_eddy_serve) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  char dir[] = "/tmp/eddy-dash-XXXXXX", p[5][256];
  cr_assert(mkdtemp(dir));
  const char *names[] = {"dash.js", "m1", "m2", "out", "body"};
  for (int i = 0; i < 5; i++) snprintf(p[i], 256, "%s/%s", dir, names[i]);
  load(s.port, 1, p[4]); /* the request counter exists from the first poll */
  cr_assert_eq(get_to(s.port, "/metrics", p[1]), 200);
  load(s.port, 20, p[4]);
  usleep(300000);
  cr_assert_eq(get_to(s.port, "/metrics", p[2]), 200);
  e2e_stop(&s);
  write_script(p[0]);
  char cmd[2048];
  snprintf(cmd, sizeof(cmd), "node -e \"$EDDY_DASH_HARNESS\" %s %s %s > %s",
           p[0], p[1], p[2], p[3]);
  setenv("EDDY_DASH_HARNESS", harness, 1);
  cr_assert_eq(system(cmd), 0, "node failed (is nodejs installed?)");
  /* Counters and histograms need two polls: one point each. */
  const char *want[] = {"chart requests present server=1",
                        "chart latency_p99 present server=1",
                        "chart delay_p99 present server=1",
                        "chart utilization present server=2",
                        "chart connections present server=2",
                        "chart queues present server_thread_pool=2,"
                        "server_worker_pool_compute=2",
                        "chart rss present server=2"};
  for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
    cr_assert(file_has(p[3], want[i]), "missing '%s'", want[i]);
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  system(cmd);
}

/* ---- what the page reads while a worker's loop is blocked, for real */

static size_t into_mem(char *p, size_t size, size_t n, void *user) {
  char **w = user; /* [0] the write position, [1] the end */
  size_t len = size * n, room = (size_t)(w[1] - w[0]);
  if (len > room) len = room;
  memcpy(w[0], p, len);
  w[0] += len;
  return size * n;
}

/* GET /metrics into buf (NUL-terminated); the status or -1. */
static long metrics(int port, char *buf, size_t max) {
  char url[64], *w[2] = {buf, buf + max - 1};
  long status = -1;
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", port);
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, into_mem);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, w);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 2000L);
  if (curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(c);
  *w[0] = '\0';
  return status;
}

/* Polls /metrics (every 50 ms, up to ms) until `needle` is in it (want 1)
 * or not (want 0); 1 if that happened. The last text stays in buf. */
static int metrics_until(int port, const char *needle, int want, long ms,
                         char *buf, size_t max) {
  long t0 = e2e_now_ms();
  do {
    if (metrics(port, buf, max) == 200 && (strstr(buf, needle) != NULL) == want)
      return 1;
    usleep(50000);
  } while (e2e_now_ms() - t0 < ms);
  return 0;
}

static void assert_valid_text(const char *text) {
  const char *err = prom_check(text, strlen(text));
  cr_assert_null(err, "%s\n%s", err, text);
  cr_assert_eq(prom_check_python(text, strlen(text)), 0, "%s", text);
}

/* A worker whose loop is stuck in GET /blocking cannot answer; the other
 * one does, and its /metrics names the route and how long it has blocked
 * (from the primary, which reads the stuck worker's stall note); once the
 * handler returns, the series is gone. */
Test(dashboard_e2e, metrics_name_the_route_blocking_a_worker_while_it_blocks) {
  static char text[1 << 17];
  e2e_server_t s;
  e2e_start(&s, (const char *const[]){"--workers", "2", "--heartbeat-ms", "100",
                                      "--stall-timeout-ms", "30000", NULL});
  const char *series = "eddy_worker_blocked_seconds{";
  cr_assert(metrics_until(s.port, "eddy_cluster_workers 2", 1, 10000, text,
                          sizeof(text)), "cluster not ready: %s", text);
  cr_assert_null(strstr(text, series), "nothing blocks yet: %s", text);
  cl_bg_get_t g;
  cl_bg_get_start(&g, s.port, "/blocking?ms=4000", 20000);
  cr_assert(metrics_until(s.port, series, 1, 3500, text, sizeof(text)),
            "no blocked series while GET /blocking runs: %s", text);
  cr_assert_eq(atomic_load(&g.status), 0, "the block is still on");
  assert_valid_text(text);
  const char *line = strstr(text, series);
  cr_assert(strstr(line, ",route=\"GET /blocking\"} "), "%.200s", line);
  double secs = atof(strstr(line, "} ") + 2);
  cr_assert(secs > 0 && secs < 4.5, "blocked for %f s", secs);
  cr_assert_eq(cl_bg_get_join(&g), 200);
  cr_assert(metrics_until(s.port, series, 0, 3000, text, sizeof(text)),
            "the series stays after the handler returned: %s", text);
  assert_valid_text(text);
  e2e_stop(&s);
}

/* The page's cluster p99: each worker's request p99 over its last
 * heartbeat interval, and the highest of them for the cluster. Requests
 * of 40 ms run on both workers: the cluster line reads at least that. */
Test(dashboard_e2e, the_cluster_p99_covers_every_worker) {
  static char text[1 << 17];
  e2e_server_t s;
  e2e_start(&s, (const char *const[]){"--workers", "2", "--heartbeat-ms", "100",
                                      NULL});
  cr_assert(metrics_until(s.port, "eddy_cluster_workers 2", 1, 10000, text,
                          sizeof(text)), "cluster not ready: %s", text);
  cl_bg_get_t g[2];
  double seen = 0;
  long t0 = e2e_now_ms();
  while (seen < 0.04 && e2e_now_ms() - t0 < 5000) {
    for (int i = 0; i < 2; i++)
      cl_bg_get_start(&g[i], s.port, "/blocking?ms=40", 5000);
    for (int i = 0; i < 2; i++) cr_assert_eq(cl_bg_get_join(&g[i]), 200);
    /* The next heartbeat reports them, the next STATS carries them. */
    for (int k = 0; k < 8 && seen < 0.04; k++, usleep(40000)) {
      cr_assert_eq(metrics(s.port, text, sizeof(text)), 200);
      double v = prom_value(text, "eddy_cluster_request_p99_seconds");
      cr_assert_geq(v, 0, "%s", text);
      if (v > seen) seen = v;
    }
  }
  cr_assert_geq(seen, 0.04, "cluster p99 %f: %s", seen, text);
  cr_assert_lt(seen, 5);
  assert_valid_text(text);
  cr_assert(strstr(text, "eddy_worker_request_p99_seconds{worker=\"1\""));
  cr_assert(strstr(text, "eddy_worker_request_p99_seconds{worker=\"2\""));
  e2e_stop(&s);
}

/* eddy_cluster_requests_total is a counter: when a worker dies, the
 * requests it had reported stay in it (Prometheus reads a drop as a
 * reset and its rate() would jump). */
Test(dashboard_e2e, the_cluster_request_counter_survives_a_crash) {
  static char text[1 << 17];
  e2e_server_t s;
  e2e_start(&s, (const char *const[]){"--workers", "2", "--heartbeat-ms", "100",
                                      NULL});
  cr_assert(metrics_until(s.port, "eddy_cluster_workers 2", 1, 10000, text,
                          sizeof(text)), "cluster not ready: %s", text);
  load(s.port, 30, "/dev/null");
  const char *total = "eddy_cluster_requests_total";
  double before = 0;
  for (int i = 0; i < 40 && before < 30; i++, usleep(50000)) {
    cr_assert_eq(metrics(s.port, text, sizeof(text)), 200);
    before = prom_value(text, total);
  }
  cr_assert_geq(before, 30, "%s", text);
  /* Kill the worker that served the most: the drop would be largest. */
  int pid = 0;
  double most = -1;
  for (const char *l = text; (l = strstr(l, "eddy_worker_requests_total{"));
       l++) {
    double v = atof(strstr(l, "} ") + 2);
    if (v > most) most = v, pid = atoi(strstr(l, "pid=\"") + 5);
  }
  cr_assert(pid > 0 && most > 0, "%s", text);
  cr_assert_eq(kill(pid, SIGKILL), 0);
  cr_assert(metrics_until(s.port, "eddy_cluster_restarts_total{cause=\"crash\"} 1",
                          1, 10000, text, sizeof(text)), "%s", text);
  cr_assert(metrics_until(s.port, "eddy_cluster_workers 2", 1, 10000, text,
                          sizeof(text)), "not replaced: %s", text);
  cr_assert_geq(prom_value(text, total), before, "%s", text);
  e2e_stop(&s);
}

/* examples/dashboard: the page, the cluster's /metrics in the text
 * format, and its GET /blocking (3 s) named while it blocks. */
Test(dashboard_e2e, the_example_serves_the_page_and_names_its_blocking_route) {
  static char text[1 << 17];
  cl_t c;
  cl_start_example(&c, "dashboard",
                   (const char *const[]){"--heartbeat-ms", "100", NULL});
  cr_assert(metrics_until(c.port, "eddy_cluster_workers 2", 1, 10000, text,
                          sizeof(text)), "not ready: %s", text);
  assert_valid_text(text);
  e2e_server_t srv = {.port = c.port};
  cr_assert_eq(e2e_fresh_request(&srv,
                                 "GET /dashboard HTTP/1.1\r\nHost: x\r\n"
                                 "Connection: close\r\n\r\n",
                                 text, sizeof(text)),
               200);
  cr_assert(strstr(text, "<canvas"));
  cl_bg_get_t g;
  cl_bg_get_start(&g, c.port, "/blocking", 20000);
  cr_assert(metrics_until(c.port, "route=\"GET /blocking\"", 1, 2500, text,
                          sizeof(text)), "%s", text);
  assert_valid_text(text);
  cr_assert_eq(cl_bg_get_join(&g), 200);
  int st = cl_stop(&c, SIGTERM);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
}

/* ---- the page's own polling, run by Node.js with a stub document */

/* Runs the page's start() against argv[2] (a /metrics URL) for argv[3]
 * ms, printing every 250 ms the status line and the banner (or "-"). */
static const char *poller =
    "const els = {};\n"
    "const el = (id) => els[id] || (els[id] = { textContent: '',\n"
    "  className: '', hidden: true, appendChild() {} });\n"
    "global.document = { getElementById: el, querySelectorAll: () => [],\n"
    "  createElement: () => el('_') };\n"
    "global.location = { search: '?metrics=' + process.argv[2] };\n"
    "require(process.argv[1]);\n"
    "setInterval(() => console.log(el('status').textContent + ' | ' +\n"
    "  (el('blocking').hidden ? '-' : el('blocking').textContent)), 250);\n"
    "setTimeout(() => process.exit(0), Number(process.argv[3]));\n";

typedef struct {
  char cmd[1024];
  pthread_t thread;
} node_run_t;

static void *run_node(void *arg) {
  node_run_t *n = arg;
  system(n->cmd);
  return NULL;
}

/* A single process cannot answer /metrics while a handler blocks its
 * loop: the page says so after 2.5 s without an answer, and goes back to
 * drawing once the handler returned. */
Test(dashboard_e2e, the_page_says_when_a_single_server_does_not_answer) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  char dir[] = "/tmp/eddy-dash-XXXXXX", js[64], out[64];
  cr_assert(mkdtemp(dir));
  snprintf(js, sizeof(js), "%s/dash.js", dir);
  snprintf(out, sizeof(out), "%s/out", dir);
  write_script(js);
  setenv("EDDY_DASH_POLLER", poller, 1);
  node_run_t n;
  snprintf(n.cmd, sizeof(n.cmd),
           "node -e \"$EDDY_DASH_POLLER\" %s http://127.0.0.1:%d/metrics "
           "9000 > %s 2>&1",
           js, s.port, out);
  pthread_create(&n.thread, NULL, run_node, &n);
  long t0 = e2e_now_ms();
  while (!file_has(out, "samples at") && e2e_now_ms() - t0 < 5000)
    usleep(50000);
  cr_assert(file_has(out, "samples at"), "the page never polled");
  cl_bg_get_t g;
  cl_bg_get_start(&g, s.port, "/blocking?ms=4500", 20000);
  pthread_join(n.thread, NULL);
  cr_assert_eq(cl_bg_get_join(&g), 200);
  e2e_stop(&s);
  static char text[1 << 16];
  FILE *f = fopen(out, "r");
  cr_assert(f);
  text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
  fclose(f);
  cr_assert(strstr(text, "/metrics: no answer for "), "%s", text);
  cr_assert(strstr(text, "| No answer from the server for "), "%s", text);
  /* After the handler returned: answers again, banner gone. */
  const char *last = text + strlen(text) - 2;
  while (last > text && last[-1] != '\n') last--;
  cr_assert(strstr(last, "samples at") && strstr(last, "| -"), "%s", text);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  system(cmd);
}

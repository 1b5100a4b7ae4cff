/*
 * The dashboard in a real browser: headless Chromium (Debian's) opens
 * /dashboard of `eddy serve --workers 2 --dashboard` while a thread drives
 * load and a real GET /blocking holds one worker's loop, and the test
 * asserts on the DOM it dumps that the banner names the blocking route
 * and that the charts kept their data (one line per worker, the cluster's
 * p99). The same run keeps a screenshot under the build directory
 * (build/dashboard.png), the README's picture.
 *
 * Timing: Chromium opens its connections after the block began, so the
 * free worker accepts them all (the stuck one is not in epoll_wait) and no
 * poll waits for the stuck loop; the block lasts long enough for Chromium
 * to start and draw on a loaded machine, and the test checks it did.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/cluster_helpers.h"
#include "support/e2e_helpers.h"

TestSuite(dashboard_browser, .fini = e2e_kill_leftover, .timeout = 90);

#define BLOCK_MS 15000 /* the series may take seconds to show on a loaded
                        * machine, and Chromium 3-5 s after it */

static char *slurp(const char *path) {
  static char buf[1 << 18];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = '\0';
  return buf;
}

/* Runs chromium headless on `url`: the DOM after about four polls into
 * `dom`, a screenshot into `shot`; returns its exit status. */
static int chromium(const char *dir, const char *url, const char *dom,
                    const char *shot) {
  char cmd[2048];
  snprintf(cmd, sizeof(cmd),
           "timeout 40 chromium --headless --no-sandbox --disable-gpu "
           "--disable-background-networking --no-first-run "
           "--disable-dev-shm-usage --user-data-dir=%s/profile "
           "--window-size=1280,1000 --virtual-time-budget=4500 --dump-dom "
           "--screenshot=%s '%s' > %s 2> %s/chromium.log",
           dir, shot, url, dom, dir);
  return system(cmd);
}

/* The value of data-ATTR on the canvas of `chart` in the dumped DOM. */
static long canvas_attr(const char *dom, const char *chart, const char *attr) {
  char needle[64], key[32];
  snprintf(needle, sizeof(needle), "data-chart=\"%s\"", chart);
  snprintf(key, sizeof(key), "data-%s=\"", attr);
  const char *tag = strstr(dom, needle);
  if (!tag) return -1;
  const char *start = tag, *end = strchr(tag, '>');
  while (start > dom && *start != '<') start--;
  const char *v = strstr(start, key);
  return v && v < end ? atol(v + strlen(key)) : -1;
}

/* Waits (bounded) until /metrics, answered by the free worker, names the
 * blocked route: the primary has seen the stall. */
static int wait_blocked_series(int port) {
  e2e_server_t s = {.port = port};
  static char out[1 << 17];
  const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n"
                    "Connection: close\r\n\r\n";
  long t0 = e2e_now_ms();
  while (e2e_now_ms() - t0 < 8000) {
    if (e2e_fresh_request(&s, req, out, sizeof(out)) == 200 &&
        strstr(out, "route=\"GET /blocking\""))
      return 1;
    usleep(50000);
  }
  return 0;
}

static void wait_cluster(int port) {
  e2e_server_t s = {.port = port};
  static char out[1 << 17];
  const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n"
                    "Connection: close\r\n\r\n";
  for (int i = 0; i < 200; i++, usleep(50000))
    if (e2e_fresh_request(&s, req, out, sizeof(out)) == 200 &&
        strstr(out, "eddy_cluster_workers 2"))
      return;
  cr_assert_fail("the cluster does not report: %.2000s", out);
}

static void assert_charts(const char *page) {
  const char *charts[] = {"requests",    "latency_p99", "delay_p99",
                          "utilization", "connections", "rss"};
  for (size_t i = 0; i < sizeof(charts) / sizeof(*charts); i++) {
    cr_assert_geq(canvas_attr(page, charts[i], "series"), 2, "%s: %.3000s",
                  charts[i], page);
    cr_assert_geq(canvas_attr(page, charts[i], "points"), 4, "%s", charts[i]);
  }
  /* The answering worker's own pools. */
  cr_assert_geq(canvas_attr(page, "queues", "points"), 2);
  cr_assert(strstr(page, "worker 1") && strstr(page, "worker 2"));
  cr_assert(strstr(page, ">cluster "), "the cluster's p99 line");
}

Test(dashboard_browser, chromium_names_the_blocking_route_under_load) {
  cr_assert_eq(system("command -v chromium > /dev/null"), 0,
               "chromium is missing (scripts/deps.sh build installs it)");
  e2e_server_t s;
  e2e_start(&s, (const char *const[]){"--workers", "2", "--dashboard",
                                      "--heartbeat-ms", "200",
                                      "--stall-timeout-ms", "30000",
                                      "--max-block-ms", "20000", NULL});
  wait_cluster(s.port);
  static cl_load_t load; /* its thread may outlive a failed assertion */
  cl_load_start(&load, s.port, 60000);
  char dir[] = "/tmp/eddy-chromium-XXXXXX", url[128], dom[256], shot[512],
       log[256], path[64];
  cr_assert(mkdtemp(dir));
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/dashboard", s.port);
  snprintf(dom, sizeof(dom), "%s/dom.html", dir);
  snprintf(log, sizeof(log), "%s/chromium.log", dir);
  const char *root = getenv("EDDY_ROOT");
  snprintf(shot, sizeof(shot), "%s/build/dashboard.png", root ? root : ".");
  snprintf(path, sizeof(path), "/blocking?ms=%d", BLOCK_MS);
  cl_bg_get_t block;
  cl_bg_get_start(&block, s.port, path, BLOCK_MS + 20000);
  cr_assert(wait_blocked_series(s.port), "/metrics never named the route");
  int r = chromium(dir, url, dom, shot);
  long dumped = e2e_now_ms();
  int status = cl_bg_get_join(&block);
  cl_load_stop(&load);
  e2e_stop(&s);
  cr_assert_eq(r, 0, "chromium: %s", slurp(log));
  cr_assert_eq(status, 200, "GET /blocking");
  cr_assert_lt(dumped, atomic_load(&block.end_ms),
               "chromium took longer than the %d ms block: the machine is "
               "too busy for this test", BLOCK_MS);
  const char *page = slurp(dom);
  cr_assert(strstr(page, "samples at"), "the polls worked: %.2000s", page);
  cr_assert(strstr(page, ": GET /blocking has blocked the event loop for "),
            "the banner names the route: %.3000s", page);
  cr_assert_gt(load.ok, 10, "the load ran");
  assert_charts(page);
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf %.60s", dir);
  system(cmd);
}

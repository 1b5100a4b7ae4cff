/*
 * The dashboard in a real browser: headless Chromium (Debian's) opens
 * /dashboard of examples/dashboard (a 2-worker cluster) while a thread
 * drives load, and the test asserts on the DOM it dumps that the charts
 * have data, one line per worker. A screenshot is kept under the build
 * directory (build/dashboard.png). The blocking-route banner is not
 * asserted: /metrics does not carry the stalled route yet (docs/GUIDE.md).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/cluster_helpers.h"

TestSuite(dashboard_browser, .fini = cl_kill_leftover, .timeout = 90);

static char *slurp(const char *path) {
  static char buf[1 << 18];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
  if (f) fclose(f);
  buf[n] = '\0';
  return buf;
}

/* Runs chromium headless on `url` with `what` (--dump-dom or
 * --screenshot=...), stdout into `out`; returns its exit status. */
static int chromium(const char *dir, const char *url, const char *what,
                    const char *out) {
  char cmd[2048];
  snprintf(cmd, sizeof(cmd),
           "timeout 40 chromium --headless --no-sandbox --disable-gpu "
           "--disable-background-networking --no-first-run "
           "--disable-dev-shm-usage --user-data-dir=%s/profile "
           "--window-size=1280,1000 --virtual-time-budget=6000 %s '%s' "
           "> %s 2> %s/chromium.log",
           dir, what, url, out, dir);
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

Test(dashboard_browser, chromium_draws_the_cluster_under_load) {
  cr_assert_eq(system("command -v chromium > /dev/null"), 0,
               "chromium is missing (scripts/deps.sh build installs it)");
  cl_t c;
  cl_start_example(&c, "dashboard",
                   (const char *const[]){"--heartbeat-ms", "200", NULL});
  for (int i = 0; i < 100 && cl_get(c.port, "/", NULL) != 200; i++)
    usleep(100000);
  cr_assert_eq(cl_get(c.port, "/", NULL), 200);
  usleep(500000); /* a STATS frame reaches the workers: /metrics answers */
  char dir[] = "/tmp/eddy-chromium-XXXXXX", url[128], dom[256], shot[512],
       log[256];
  cr_assert(mkdtemp(dir));
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/dashboard", c.port);
  snprintf(dom, sizeof(dom), "%s/dom.html", dir);
  snprintf(log, sizeof(log), "%s/chromium.log", dir);
  cl_load_t load;
  cl_load_start(&load, c.port, 60000);
  int r = chromium(dir, url, "--dump-dom", dom);
  const char *root = getenv("EDDY_ROOT");
  snprintf(shot, sizeof(shot), "--screenshot=%s/build/dashboard.png",
           root ? root : ".");
  int r2 = chromium(dir, url, shot, "/dev/null");
  cl_load_stop(&load);
  cl_stop(&c, SIGTERM);
  cr_assert_eq(r, 0, "chromium: %s", slurp(log));
  cr_assert_eq(r2, 0, "chromium --screenshot failed");
  const char *page = slurp(dom);
  cr_assert(strstr(page, "samples at"), "the polls worked: %.2000s", page);
  cr_assert_gt(load.ok, 10, "the load ran");
  const char *charts[] = {"requests", "delay_p99", "utilization", "connections",
                          "rss"};
  for (size_t i = 0; i < sizeof(charts) / sizeof(*charts); i++) {
    cr_assert_geq(canvas_attr(page, charts[i], "series"), 2, "%s: %.3000s",
                  charts[i], page);
    cr_assert_geq(canvas_attr(page, charts[i], "points"), 4, "%s", charts[i]);
  }
  cr_assert(strstr(page, "worker 1") && strstr(page, "worker 2"));
  cr_assert(strstr(page, "not reported by this server"),
            "latency and queues are not in the cluster's metrics yet");
  char cmd[128];
  snprintf(cmd, sizeof(cmd), "rm -rf %.60s", dir);
  system(cmd);
}

/*
 * The live dashboard on a cluster: every worker runs an app with GET /,
 * GET /metrics (the whole cluster's, in the Prometheus text format),
 * GET /blocking (blocks its worker's loop for 3 s, as a bug would) and
 * GET /dashboard, the page that draws the metrics. Open
 * http://127.0.0.1:8080/dashboard, or run `eddy top http://127.0.0.1:8080`.
 *
 *   dashboard [PORT] [--host IP] [--dashboard-allow] [cluster flags]
 *
 * The dashboard is refused on a non-loopback --host unless
 * --dashboard-allow is given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy/cluster.h"
#include "eddy/dashboard.h"

static eddy_http_server_t server;
static eddy_app_t *app;
static eddy_cluster_worker_t *me;
static uint64_t served;
static eddy_hist_t durations; /* of the requests since the last report */
static const char *host = "127.0.0.1";
static int allow_public;

static void hello(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  eddy_app_res_send(res, "Hello from eddy\n");
}

static void metrics(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  static char text[65536];
  int n = eddy_cluster_worker_metrics(me, text, sizeof(text));
  if (n < 0 || (size_t)n >= sizeof(text)) { /* no STATS frame yet */
    eddy_app_res_status(res, 503);
    n = 0;
  }
  eddy_app_res_type(res, "text/plain; version=0.0.4");
  eddy_app_res_end(res, text, (size_t)n);
}

static void blocking(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do clock_gettime(CLOCK_MONOTONIC, &now);
  while (now.tv_sec - start.tv_sec < 3);
  eddy_app_res_send(res, "blocked the loop for 3 s\n");
}

static void on_shutdown(eddy_cluster_worker_t *w, uint64_t grace_ms) {
  eddy_http_server_close(&server, grace_ms, NULL);
}

static void on_stats(eddy_cluster_worker_t *w, eddy_cluster_report_t *r) {
  r->connections = eddy_http_server_connections(&server);
  r->requests = served;
  r->request_p99_ns = eddy_hist_percentile(&durations, 99);
  eddy_hist_reset(&durations);
}

/* Each finished request: the figures of the next heartbeat report. */
static void count(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  served++;
  eddy_hist_record(&durations, eddy_hrtime() - eddy_app_req_start_ns(req));
}

static int worker_main(eddy_cluster_worker_t *w) {
  eddy_dashboard_opts_t d = {.host = host, .allow_public = allow_public};
  me = w;
  app = eddy_app_create();
  if (!app) return -1;
  eddy_app_add_end_hook(app, count, NULL);
  eddy_app_get(app, "/", hello, NULL);
  eddy_app_get(app, "/metrics", metrics, NULL);
  eddy_app_get(app, "/blocking", blocking, NULL);
  int r = eddy_dashboard_route(app, &d);
  if (r < 0) return r;
  eddy_http_server_init(w->loop, &server, NULL, eddy_app_http_handler);
  server.data = app;
  eddy_cluster_worker_on_shutdown(w, on_shutdown);
  eddy_cluster_worker_on_stats(w, on_stats);
  return eddy_http_server_listen_fd(&server, w->listen_fd, w->listen_flags);
}

/* Takes this example's own flags out of argv. */
static void own_flags(int *argc, char **argv) {
  int out = 1;
  for (int i = 1; i < *argc; i++) {
    if (i + 1 < *argc && strcmp(argv[i], "--host") == 0)
      host = argv[++i];
    else if (strcmp(argv[i], "--dashboard-allow") == 0)
      allow_public = 1;
    else
      argv[out++] = argv[i];
  }
  *argc = out;
  argv[out] = NULL;
}

int main(int argc, char **argv) {
  eddy_cluster_opts_t opts = {.port = 8080, .workers = 2};
  own_flags(&argc, argv);
  if (eddy_cluster_opts_parse(&opts, &argc, argv) < 0) {
    fprintf(stderr,
            "usage: dashboard [PORT] [--host IP] [--dashboard-allow] "
            "[flags]\n%s",
            eddy_cluster_flags_help());
    return 2;
  }
  if (!allow_public && !eddy_dashboard_host_is_loopback(host)) {
    fprintf(stderr,
            "dashboard: %s is not a loopback address: the "
            "dashboard needs --dashboard-allow there\n",
            host);
    return 2;
  }
  if (argc > 1) opts.port = atoi(argv[1]);
  opts.host = host;
  return eddy_cluster_main(argc, argv, &opts, worker_main);
}

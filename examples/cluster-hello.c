/*
 * Hello world on every core: a primary starts one worker process per CPU
 * (or --workers N); each answers "Hello, World!" on the same port. Kill a
 * worker (kill -9) and the primary starts another; SIGHUP replaces them all
 * one by one without dropping a request; SIGTERM drains and exits.
 *
 *   cluster-hello [PORT] [--workers N|auto] [--heartbeat-ms MS] ...
 */
#include <stdio.h>
#include <stdlib.h>

#include "eddy/cluster.h"

static eddy_http_server_t server;
static uint64_t served;

static void hello(eddy_http_server_t *s, eddy_http_request_t *req,
                  eddy_http_res_t *res) {
  served++;
  eddy_http_res_set_header(res, "Content-Type", "text/plain");
  eddy_http_res_end(res, "Hello, World!\n", 14);
}

/* The primary asked us to stop: stop accepting, finish what is in flight. */
static void on_shutdown(eddy_cluster_worker_t *w, uint64_t grace_ms) {
  eddy_http_server_close(&server, grace_ms, NULL);
}

/* What each heartbeat reports besides the loop's own measurements. */
static void on_stats(eddy_cluster_worker_t *w, eddy_cluster_report_t *r) {
  r->connections = eddy_http_server_connections(&server);
  r->requests = served;
}

static int worker_main(eddy_cluster_worker_t *w) {
  eddy_http_server_init(w->loop, &server, NULL, hello);
  eddy_cluster_worker_on_shutdown(w, on_shutdown);
  eddy_cluster_worker_on_stats(w, on_stats);
  return eddy_http_server_listen_fd(&server, w->listen_fd, w->listen_flags);
}

int main(int argc, char **argv) {
  eddy_cluster_opts_t opts = {.port = 8080};
  if (eddy_cluster_opts_parse(&opts, &argc, argv) < 0) {
    fprintf(stderr, "usage: cluster-hello [PORT] [flags]\n%s",
            eddy_cluster_flags_help());
    return 2;
  }
  if (argc > 1) opts.port = atoi(argv[1]);
  return eddy_cluster_main(argc, argv, &opts, worker_main);
}

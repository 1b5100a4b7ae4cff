/*
 * A watchdog over worker processes. One request in 200 (or --every N)
 * never finishes: its handler spins forever, as a bug would. The worker's
 * loop is then stuck, so its heartbeat (every second) stops; the primary
 * notices the silence after 5 s (--stall-timeout-ms), logs which handler
 * was running, kills the worker with SIGKILL and starts another. The other
 * workers answer meanwhile: a stuck worker is not waiting in epoll, so
 * the kernel gives new connections to the others. The primary also logs a
 * worker whose memory is above --log-rss-mb (default 64).
 *
 *   cluster-watchdog [PORT] [--every N] [--log-rss-mb MB] [cluster flags]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/cluster.h"
#include "eddy/log.h"

static eddy_http_server_t server;
static uint64_t served;
static long every = 200;
static uint64_t log_rss_mb = 64;

static void handle(eddy_http_server_t *s, eddy_http_request_t *req,
                   eddy_http_res_t *res) {
  if (++served % (uint64_t)every == 0) {
    /* The label is what the primary's log will name. */
    eddy_loop_set_label(s->loop, "GET / (the request that never ends)");
    for (volatile int spin = 1; spin;) {
    }
  }
  eddy_http_res_end(res, "Hello, World!\n", 14);
}

static void on_shutdown(eddy_cluster_worker_t *w, uint64_t grace_ms) {
  eddy_http_server_close(&server, grace_ms, NULL);
}

static void on_stats(eddy_cluster_worker_t *w, eddy_cluster_report_t *r) {
  r->connections = eddy_http_server_connections(&server);
  r->requests = served;
}

static int worker_main(eddy_cluster_worker_t *w) {
  eddy_http_server_init(w->loop, &server, NULL, handle);
  eddy_cluster_worker_on_shutdown(w, on_shutdown);
  eddy_cluster_worker_on_stats(w, on_stats);
  return eddy_http_server_listen_fd(&server, w->listen_fd, w->listen_flags);
}

/* The primary sees every report; it logs a worker the first time its
 * memory is above the limit (per slot, so the log does not repeat it). */
static void on_event(eddy_cluster_t *c, const eddy_cluster_event_t *ev) {
  static unsigned logged[1024]; /* worker id logged, by slot */
  if (ev->type != EDDY_CLUSTER_HEARTBEAT || ev->slot >= 1024) return;
  uint64_t mb = ev->report->rss_bytes >> 20;
  if (mb > log_rss_mb && logged[ev->slot] != ev->worker) {
    logged[ev->slot] = ev->worker;
    eddy_log(EDDY_LOG_WARN,
             "watchdog: worker %u (pid %d) uses %llu MiB, "
             "above %llu MiB",
             ev->worker, ev->pid, (unsigned long long)mb,
             (unsigned long long)log_rss_mb);
  }
}

/* Takes this example's own flags out of argv. */
static int own_flags(int *argc, char **argv) {
  int out = 1;
  for (int i = 1; i < *argc; i++) {
    if (i + 1 < *argc && strcmp(argv[i], "--every") == 0)
      every = strtol(argv[++i], NULL, 10);
    else if (i + 1 < *argc && strcmp(argv[i], "--log-rss-mb") == 0)
      log_rss_mb = strtoull(argv[++i], NULL, 10);
    else
      argv[out++] = argv[i];
  }
  *argc = out;
  argv[out] = NULL;
  return every > 0 ? 0 : -1;
}

int main(int argc, char **argv) {
  eddy_cluster_opts_t opts = {.port = 8080,
                              .heartbeat_ms = 1000,
                              .stall_timeout_ms = 5000,
                              .on_event = on_event};
  if (own_flags(&argc, argv) < 0 ||
      eddy_cluster_opts_parse(&opts, &argc, argv) < 0) {
    fprintf(stderr,
            "usage: cluster-watchdog [PORT] [--every N] "
            "[--log-rss-mb MB] [flags]\n%s",
            eddy_cluster_flags_help());
    return 2;
  }
  if (argc > 1) opts.port = atoi(argv[1]);
  return eddy_cluster_main(argc, argv, &opts, worker_main);
}

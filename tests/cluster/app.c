/*
 * The program the cluster end-to-end tests drive (tests/e2e/
 * test_cluster*.c): a cluster of HTTP workers with routes that misbehave
 * on demand.
 *
 *   cluster-app PORT [cluster flags] [--crash-at-start]
 *
 *   GET /               "<worker id> <pid>\n"
 *   GET /sleep?ms=N     answers after N ms (a timer: the loop stays free)
 *   GET /blocking?ms=N  blocks the loop for N ms (label "GET /blocking")
 *   GET /alloc?mb=N     allocates and touches N MiB, never freed
 *   GET /garbage        writes bytes that are no frame on the IPC channel
 *   GET /tell           sends the primary the message "ping"; the primary
 *                       answers "pong <worker id>" (eddy_cluster_send)
 *   GET /last           the last message the primary sent this worker
 *
 * The primary prints one line per event to stdout ("event fork 3 1234"),
 * which the tests read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy/cluster.h"

static eddy_http_server_t server;
static uint64_t served;
static int ipc_fd = -1;
static char *volatile hoard;
static char last_message[64] = "none";

static long query_num(eddy_http_request_t *req, const char *key) {
  size_t k = strlen(key);
  const char *q = req->query.base;
  if (req->query.len <= k || strncmp(q, key, k) != 0 || q[k] != '=') return 0;
  return strtol(q + k + 1, NULL, 10);
}

static int is(eddy_http_request_t *req, const char *path) {
  return req->path.len == strlen(path) &&
         memcmp(req->path.base, path, req->path.len) == 0;
}

static void on_sleep_done(eddy_timer_t *t) {
  eddy_http_res_end(t->data, "slept\n", 6);
  eddy_close(EDDY_HANDLE(t), (eddy_close_cb)free);
}

static void handle(eddy_http_server_t *s, eddy_http_request_t *req,
                   eddy_http_res_t *res) {
  char body[64];
  served++;
  if (is(req, "/sleep")) {
    eddy_timer_t *t = malloc(sizeof(*t));
    eddy_timer_init(s->loop, t);
    t->data = res;
    eddy_timer_start(t, on_sleep_done, (uint64_t)query_num(req, "ms"), 0);
    return;
  }
  if (is(req, "/blocking")) {
    eddy_loop_set_label(s->loop, "GET /blocking");
    uint64_t end = eddy_hrtime() + (uint64_t)query_num(req, "ms") * 1000000;
    while (eddy_hrtime() < end) {
    }
  } else if (is(req, "/alloc")) {
    size_t n = (size_t)query_num(req, "mb") << 20;
    char *p = malloc(n);
    if (p) memset(p, 1, n);
    hoard = p; /* kept on purpose (a global, so it is not optimised out) */
  } else if (is(req, "/tell")) {
    eddy_cluster_worker_send(s->data, "ping", 4);
  } else if (is(req, "/last")) {
    eddy_http_res_end(res, last_message, strlen(last_message));
    return;
  } else if (is(req, "/garbage")) {
    static const char junk[] = "\xff\xff\xff\xffthis is no frame";
    if (write(ipc_fd, junk, sizeof(junk) - 1) < 0) perror("garbage");
  }
  int n = snprintf(body, sizeof(body), "%u %d\n",
                   ((eddy_cluster_worker_t *)s->data)->id, (int)getpid());
  eddy_http_res_end(res, body, (size_t)n);
}

static void on_shutdown(eddy_cluster_worker_t *w, uint64_t grace_ms) {
  eddy_http_server_close(&server, grace_ms, NULL);
}

static void on_stats(eddy_cluster_worker_t *w, eddy_cluster_report_t *r) {
  r->connections = eddy_http_server_connections(&server);
  r->requests = served;
}

static void on_message(eddy_cluster_worker_t *w, const void *data,
                       size_t len) {
  if (len >= sizeof(last_message)) len = sizeof(last_message) - 1;
  memcpy(last_message, data, len);
  last_message[len] = '\0';
}

static int crash_at_start;

static int worker_main(eddy_cluster_worker_t *w) {
  if (crash_at_start) abort();
  eddy_http_server_init(w->loop, &server, NULL, handle);
  server.data = w;
  eddy_cluster_worker_on_shutdown(w, on_shutdown);
  eddy_cluster_worker_on_stats(w, on_stats);
  eddy_cluster_worker_on_message(w, on_message);
  return eddy_http_server_listen_fd(&server, w->listen_fd, w->listen_flags);
}

static void on_event(eddy_cluster_t *c, const eddy_cluster_event_t *ev) {
  static const char *const names[] = {"", "fork", "online", "listening",
                                      "exit", "heartbeat", "message"};
  printf("event %s %u %d", names[ev->type], ev->worker, ev->pid);
  if (ev->type == EDDY_CLUSTER_EXIT)
    printf(" code %d signal %d", ev->exit_code, ev->signal);
  if (ev->type == EDDY_CLUSTER_HEARTBEAT)
    printf(" rss %llu requests %llu",
           (unsigned long long)ev->report->rss_bytes,
           (unsigned long long)ev->report->requests);
  if (ev->type == EDDY_CLUSTER_MESSAGE) {
    char pong[32];
    int n = snprintf(pong, sizeof(pong), "pong %u", ev->worker);
    printf(" %.*s", (int)ev->len, (const char *)ev->message);
    eddy_cluster_send(c, ev->worker, pong, (size_t)n);
  }
  printf("\n");
  fflush(stdout);
}

int main(int argc, char **argv) {
  eddy_cluster_opts_t opts = {.on_event = on_event, .stable_ms = 2000,
                              .backoff_first_ms = 100,
                              .backoff_max_ms = 1000};
  const char *env = getenv("EDDY_CLUSTER_WORKER");
  if (env) /* the channel's fd is the 3rd field, for /garbage only */
    sscanf(env, "%*u %*u %d", &ipc_fd);
  if (eddy_cluster_opts_parse(&opts, &argc, argv) < 0) return 2;
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--crash-at-start") == 0) crash_at_start = 1;
  if (argc > 1) opts.port = atoi(argv[1]);
  return eddy_cluster_main(argc, argv, &opts, worker_main);
}

/*
 * `eddy serve`: builds the demo app (routes first, then the static files
 * of --root for every path no route takes, as Express runs its stack in
 * registration order), listens, and shuts down gracefully on SIGINT or
 * SIGTERM: /readyz turns 503 at once, the server closes after
 * --drain-delay-ms, requests in flight get --grace-ms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "serve.h"

static serve_t S; /* one server per process */

/* Finds `rel` next to the executable (bin/, build/MODE/bin/) or in the
 * working directory. */
static int find_dir(const char *rel, char *out, size_t cap) {
  char exe[PATH_MAX - 64]; /* room for the ups and `rel` in `out` */
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    static const char *ups[] = {"..", "../../.."};
    for (int i = 0; i < 2; i++) {
      snprintf(out, cap, "%s/%s/%s", exe, ups[i], rel);
      if (access(out, R_OK) == 0) return 0;
    }
  }
  snprintf(out, cap, "%s", rel);
  return access(out, R_OK) == 0 ? 0 : -ENOENT;
}

static int set_paths(serve_t *s) {
  char data[PATH_MAX - 32];
  if (s->cfg.root)
    snprintf(s->root, sizeof(s->root), "%s", s->cfg.root);
  else if (find_dir("share/site", s->root, sizeof(s->root)))
    return -ENOENT;
  if (s->cfg.sample_dir)
    snprintf(data, sizeof(data), "%s", s->cfg.sample_dir);
  else if (find_dir("examples/data", data, sizeof(data)))
    return -ENOENT;
  static const char *names[SERVE_NFILES] = {"users.json", "config.json",
                                            "routes.json"};
  for (int i = 0; i < SERVE_NFILES; i++) {
    snprintf(s->data[i], sizeof(s->data[i]), "%s/%s", data, names[i]);
    s->data_ptrs[i] = s->data[i];
  }
  return 0;
}

/* GET /metrics: this process's series, and in a cluster every worker's
 * figures (labelled worker) and the restarts by cause, from the primary. */
static void serve_metrics(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  serve_t *s = arg;
  if (!s->worker) {
    eddy_app_metrics_handler(req, res, s->metrics);
    return;
  }
  char *text = NULL, *all;
  size_t len = 0;
  int n = eddy_cluster_worker_metrics(s->worker, NULL, 0);
  if (n < 0) n = 0; /* before the first figures from the primary */
  if (eddy_app_metrics_render(s->metrics, &text, &len) < 0 ||
      !(all = malloc((size_t)n + 1 + len))) {
    free(text);
    eddy_app_next(req, -ENOMEM);
    return;
  }
  if (n) eddy_cluster_worker_metrics(s->worker, all, (size_t)n + 1);
  memcpy(all + n, text, len); /* the cluster's summary first */
  eddy_app_res_type(res, "text/plain; version=0.0.4");
  eddy_app_res_end(res, all, (size_t)n + len);
  free(text);
  free(all);
}

static int build_app(serve_t *s) {
  if (!(s->app = eddy_app_create())) return -ENOMEM;
  int r = serve_add_page(s);
  if (!r) r = serve_add_demos(s);
  if (!r) r = serve_add_io(s);
  if (!r) r = serve_add_users(s);
  if (!r) r = serve_add_fetch(s);
  if (!r && s->cfg.dashboard) {
    eddy_dashboard_opts_t d = {.host = s->cfg.host,
                               .allow_public = s->cfg.dashboard_allow};
    r = eddy_dashboard_route(s->app, &d);
  }
  if (!r) r = eddy_app_get(s->app, "/metrics", serve_metrics, s);
  if (!r) r = eddy_app_get(s->app, "/healthz", eddy_app_healthz, s);
  if (!r) r = eddy_app_get(s->app, "/readyz", eddy_app_readyz, &s->draining);
  if (!r) r = eddy_app_use(s->app, NULL, eddy_static_middleware, s->files);
  if (!r)
    r = eddy_app_add_end_hook(s->app, eddy_app_metrics_on_end, s->metrics);
  if (!r && s->access_log)
    r = eddy_app_add_end_hook(s->app, eddy_access_log_on_end, s->access_log);
  return r;
}

/* ---- listening: --host may be a name, resolved on the thread pool */

static eddy_getaddrinfo_t resolve_req;
static char listen_ip[INET6_ADDRSTRLEN];
static int resolve_status = 1;

static void on_resolved(eddy_getaddrinfo_t *req, int status) {
  resolve_status = status;
  struct addrinfo *ai = req->addrinfo;
  for (struct addrinfo *p = ai; p; p = p->ai_next) /* IPv4 first */
    if (p->ai_family == AF_INET) {
      ai = p;
      break;
    }
  if (!status && ai && ai->ai_family == AF_INET)
    inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr,
              listen_ip, sizeof(listen_ip));
  else if (!status && ai && ai->ai_family == AF_INET6)
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
              listen_ip, sizeof(listen_ip));
  else if (!status)
    resolve_status = -ENODATA;
}

/* The numeric address to listen on (start-up: runs the loop until the
 * name is resolved), or NULL with a message. */
static const char *numeric_host(serve_t *s) {
  unsigned char buf[sizeof(struct in6_addr)];
  const char *h = s->cfg.host;
  if (inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1)
    return h;
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_ADDRCONFIG};
  int r = eddy_getaddrinfo(s->loop, &resolve_req, h, NULL, &hints, on_resolved);
  if (!r)
    eddy_run(s->loop, EDDY_RUN_DEFAULT);
  else
    resolve_status = r;
  eddy_getaddrinfo_cleanup(&resolve_req);
  if (resolve_status) {
    fprintf(stderr, "eddy serve: %s: %s\n", h, eddy_strerror(resolve_status));
    return NULL;
  }
  return listen_ip;
}

/* ---- shutting down */

static void on_server_closed(eddy_http_server_t *srv) {
  serve_t *s = &S;
  if (!s->worker) { /* a worker's signals are the cluster's */
    eddy_close(EDDY_HANDLE(&s->sig_int), NULL);
    eddy_close(EDDY_HANDLE(&s->sig_term), NULL);
    eddy_close(EDDY_HANDLE(&s->drain_timer), NULL);
  }
  eddy_pool_close(&s->pool, NULL);
  if (s->client) eddy_client_close(s->client, NULL);
  serve_close_data(s);
  eddy_app_metrics_close(s->metrics);
}

static void close_server(serve_t *s) {
  eddy_timer_stop(&s->drain_timer);
  eddy_http_server_close(&s->server, s->cfg.grace_ms, on_server_closed);
}

static void on_drained(eddy_timer_t *t) { close_server(t->data); }

static void on_stop(eddy_signal_t *sig, int signum) {
  serve_t *s = sig->data;
  if (s->draining || s->cfg.drain_delay_ms == 0) {
    s->draining = 1;
    close_server(s); /* a second signal does not wait for the delay */
    return;
  }
  s->draining = 1; /* /readyz says 503 from now on */
  eddy_timer_start(&s->drain_timer, on_drained, s->cfg.drain_delay_ms, 0);
}

/* ---- start-up (blocking calls are fine here) */

static int fail(const char *what, int err) {
  fprintf(stderr, "eddy serve: %s: %s\n", what, eddy_strerror(err));
  return -1;
}

static int open_parts(serve_t *s) {
  int r = set_paths(s);
  if (r) return fail("cannot find share/site or examples/data", r);
  if ((r = eddy_static_create(s->loop, s->root, NULL, &s->files)))
    return fail(s->root, r);
  if (serve_open_data(s)) return -1;
  if (s->cfg.access_log &&
      (r = eddy_access_log_open(s->cfg.access_log, &s->access_log)))
    return fail(s->cfg.access_log, r);
  /* Long tasks: one per thread at a time (Piscina's default), so the
   * queue fills, and /compute says 503, when every thread is busy. */
  eddy_pool_opts_t po = {.max_threads = s->cfg.pool_threads,
                         .max_queue = EDDY_POOL_QUEUE_AUTO,
                         .concurrent_tasks = 1};
  if ((r = eddy_pool_init(s->loop, &s->pool, &po)))
    return fail("worker pool", r);
  if ((r = eddy_app_metrics_create(s->loop, &s->metrics)))
    return fail("metrics", r);
  eddy_app_metrics_add_pool(s->metrics, &s->pool, "compute");
  eddy_app_metrics_set_server(s->metrics, &s->server);
  eddy_app_metrics_set_static(s->metrics, s->files);
  if ((r = build_app(s))) return fail("app", r);
  if (s->cfg.stall_ms)
    eddy_loop_stall_start(s->loop, s->cfg.stall_ms, NULL, NULL);
  return 0;
}

static int start(serve_t *s) {
  const char *host = numeric_host(s);
  if (!host) return -1;
  int r = eddy_app_listen(s->app, s->loop, &s->server, &s->cfg.http, host,
                          s->cfg.port);
  if (r) {
    fprintf(stderr, "eddy serve: %s:%d: %s\n", host, s->cfg.port,
            eddy_strerror(r));
    return -1;
  }
  eddy_signal_init(s->loop, &s->sig_int);
  eddy_signal_init(s->loop, &s->sig_term);
  eddy_timer_init(s->loop, &s->drain_timer);
  s->sig_int.data = s->sig_term.data = s->drain_timer.data = s;
  eddy_signal_start(&s->sig_int, on_stop, SIGINT);
  eddy_signal_start(&s->sig_term, on_stop, SIGTERM);
  int v6 = strchr(host, ':') != NULL;
  printf("eddy serve: listening on http://%s%s%s:%d/ (static files: %s)\n",
         v6 ? "[" : "", host, v6 ? "]" : "", eddy_http_server_port(&s->server),
         s->root);
  fflush(stdout);
  return 0;
}

/* ---- in a cluster worker: the primary owns signals and the socket */

static void worker_shutdown(eddy_cluster_worker_t *w, uint64_t grace_ms) {
  serve_t *s = &S;
  s->draining = 1;
  eddy_http_server_close(&s->server, grace_ms, on_server_closed);
}

static void worker_stats(eddy_cluster_worker_t *w, eddy_cluster_report_t *r) {
  r->connections = eddy_http_server_connections(&S.server);
  r->requests = S.served;
  r->request_p99_ns = eddy_hist_percentile(&S.since_report, 99);
  eddy_hist_reset(&S.since_report);
}

static void count_served(eddy_app_req_t *req, eddy_app_res_t *res, void *a) {
  S.served++;
  eddy_hist_record(&S.since_report, eddy_hrtime() - eddy_app_req_start_ns(req));
}

int serve_worker_start(const serve_config_t *cfg, eddy_cluster_worker_t *w) {
  serve_t *s = &S;
  s->cfg = *cfg;
  s->loop = w->loop;
  s->worker = w;
  if (open_parts(s)) return -1;
  int r = eddy_http_server_init(s->loop, &s->server, &s->cfg.http,
                                eddy_app_http_handler);
  s->server.data = s->app;
  if (!r)
    r = eddy_http_server_listen_fd(&s->server, w->listen_fd, w->listen_flags);
  if (r) return fail("listen", r);
  eddy_app_add_end_hook(s->app, count_served, NULL);
  eddy_cluster_worker_on_shutdown(w, worker_shutdown);
  eddy_cluster_worker_on_stats(w, worker_stats);
  return 0;
}

int serve_main(serve_config_t *cfg) {
  serve_t *s = &S;
  s->cfg = *cfg;
  s->loop = &s->own_loop;
  if (eddy_loop_init(s->loop)) return 1;
  int bad = open_parts(s) || start(s);
  if (!bad) eddy_run(s->loop, EDDY_RUN_DEFAULT);
  if (bad) { /* close what open_parts made, so the loop can end */
    if (s->metrics) eddy_app_metrics_close(s->metrics);
    if (s->pool._p) eddy_pool_close(&s->pool, NULL);
    serve_close_data(s);
    eddy_run(s->loop, EDDY_RUN_DEFAULT);
  }
  eddy_app_destroy(s->app);
  eddy_static_destroy(s->files);
  eddy_access_log_close(s->access_log);
  int r = eddy_loop_close(s->loop);
  return bad ? 1 : r ? 1 : 0;
}

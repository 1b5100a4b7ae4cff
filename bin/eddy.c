/*
 * The `eddy` command: `eddy serve` runs the HTTP hello server, `eddy demo`
 * the event-loop demo (a timer, a signal).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy.h"
#include "eddy/http.h"
#include "top.h"

static int ticks;

static void on_tick(eddy_timer_t *t) {
  printf("tick %d at %llu ms (loop utilization %.3f)\n", ++ticks,
         (unsigned long long)eddy_loop_now(t->loop),
         eddy_loop_utilization(t->loop, NULL).utilization);
  fflush(stdout);
}

static void on_signal(eddy_signal_t *s, int signum) {
  printf("got signal %d, stopping\n", signum);
  eddy_loop_stop(s->loop);
}

static int demo(void) {
  eddy_loop_t loop;
  eddy_timer_t timer;
  eddy_signal_t sigint, sigterm;
  if (eddy_loop_init(&loop)) return 1;
  eddy_signal_init(&loop, &sigint);
  eddy_signal_init(&loop, &sigterm);
  eddy_signal_start(&sigint, on_signal, SIGINT);
  eddy_signal_start(&sigterm, on_signal, SIGTERM);
  eddy_timer_init(&loop, &timer);
  eddy_timer_start(&timer, on_tick, 0, 1000);
  printf("eddy demo: a 1 s timer; Ctrl-C to stop\n");
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_close(EDDY_HANDLE(&timer), NULL);
  eddy_close(EDDY_HANDLE(&sigint), NULL);
  eddy_close(EDDY_HANDLE(&sigterm), NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  return eddy_loop_close(&loop) ? 1 : 0;
}

/* ---------------------------------------------------------------- serve */

static const char usage[] =
    "usage: eddy serve [--port P] [--host IP] [--headers-timeout-ms MS]\n"
    "                  [--request-timeout-ms MS] [--keep-alive-timeout-ms MS]\n"
    "                  [--send-timeout-ms MS] [--max-connections N]\n"
    "  Serves `Hello, World!` on GET / (404 elsewhere). The port defaults\n"
    "  to $PORT, else 8080; the host to 127.0.0.1. SIGINT/SIGTERM stop it\n"
    "  gracefully (in-flight responses get up to 5 s).\n"
    "       eddy demo    the event-loop demo\n"
    "       eddy --version\n"
    "Cluster mode (a worker process per core, docs/ARCHITECTURE.md):\n";

static eddy_signal_t sig_int, sig_term;

static void hello(eddy_http_server_t *s, eddy_http_request_t *req,
                  eddy_http_res_t *res) {
  static const char body[] = "Hello, World!";
  if (req->path.len == 1 && req->path.base[0] == '/') {
    eddy_http_res_set_header(res, "Content-Type", "text/plain");
    eddy_http_res_end(res, body, sizeof(body) - 1);
    return;
  }
  eddy_http_res_status(res, 404);
  eddy_http_res_set_header(res, "Content-Type", "text/plain");
  eddy_http_res_end(res, "Not Found\n", 10);
}

static void on_server_closed(eddy_http_server_t *s) {
  eddy_close(EDDY_HANDLE(&sig_int), NULL);
  eddy_close(EDDY_HANDLE(&sig_term), NULL);
}

static void on_stop(eddy_signal_t *sig, int signum) {
  eddy_http_server_close(sig->data, 5000, on_server_closed);
}

/* Parses a decimal option value; -1 if it is not a number in range. */
static long long number(const char *s, long long max) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 0 || v > max) return -1;
  return v;
}

static int parse_args(int argc, char **argv, eddy_http_server_opts_t *o,
                      const char **host, int *port) {
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    long long n;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) return 1;
    if (!v) return -1;
    i++;
    if (strcmp(a, "--host") == 0) {
      *host = v;
      continue;
    }
    if ((n = number(v, 1LL << 40)) < 0) return -1;
    if (strcmp(a, "--port") == 0 && n <= 65535) *port = (int)n;
    else if (strcmp(a, "--headers-timeout-ms") == 0) o->headers_timeout_ms = (uint64_t)n;
    else if (strcmp(a, "--request-timeout-ms") == 0) o->request_timeout_ms = (uint64_t)n;
    else if (strcmp(a, "--keep-alive-timeout-ms") == 0) o->keep_alive_timeout_ms = (uint64_t)n;
    else if (strcmp(a, "--send-timeout-ms") == 0) o->send_timeout_ms = (uint64_t)n;
    else if (strcmp(a, "--max-connections") == 0) o->max_connections = (unsigned)n;
    else return -1;
  }
  return 0;
}

static int serve(int argc, char **argv) {
  eddy_http_server_opts_t opts;
  memset(&opts, 0, sizeof(opts));
  const char *host = "127.0.0.1", *env = getenv("PORT");
  int port = 8080;
  if (env && number(env, 65535) >= 0) port = (int)number(env, 65535);
  int a = parse_args(argc, argv, &opts, &host, &port);
  if (a) {
    fputs(usage, a > 0 ? stdout : stderr);
    fputs(eddy_cluster_flags_help(), a > 0 ? stdout : stderr);
    return a > 0 ? 0 : 2;
  }
  eddy_loop_t loop;
  eddy_http_server_t server;
  if (eddy_loop_init(&loop)) return 1;
  eddy_http_server_init(&loop, &server, &opts, hello);
  int r = eddy_http_server_listen(&server, host, port);
  if (r < 0) {
    fprintf(stderr, "eddy serve: %s:%d: %s\n", host, port, eddy_strerror(r));
    return 1;
  }
  eddy_signal_init(&loop, &sig_int);
  eddy_signal_init(&loop, &sig_term);
  sig_int.data = sig_term.data = &server;
  eddy_signal_start(&sig_int, on_stop, SIGINT);
  eddy_signal_start(&sig_term, on_stop, SIGTERM);
  printf("eddy serve: listening on http://%s:%d/\n", host,
         eddy_http_server_port(&server));
  fflush(stdout);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  return eddy_loop_close(&loop) ? 1 : 0;
}

/* ----------------------------------------------- serve --workers N|auto */

static eddy_http_server_opts_t cl_opts;
static eddy_http_server_t cl_server;
static uint64_t cl_served;

static eddy_cluster_worker_t *cl_w;

static int cl_path(const eddy_http_request_t *req, const char *p) {
  return req->path.len == strlen(p) && !memcmp(req->path.base, p, strlen(p));
}

/* hello, plus /metrics of every worker and /readyz (503 while stopping). */
static void cl_hello(eddy_http_server_t *s, eddy_http_request_t *req,
                     eddy_http_res_t *res) {
  static char text[65536];
  cl_served++;
  if (cl_path(req, "/readyz")) {
    int stopping = eddy_cluster_worker_stopping(cl_w);
    eddy_http_res_status(res, stopping ? 503 : 200);
    eddy_http_res_end(res, stopping ? "stopping\n" : "ready\n",
                      stopping ? 9 : 6);
  } else if (cl_path(req, "/metrics")) {
    int n = eddy_cluster_worker_metrics(cl_w, text, sizeof(text));
    if (n < 0 || (size_t)n >= sizeof(text)) eddy_http_res_status(res, 503);
    eddy_http_res_set_header(res, "Content-Type", "text/plain");
    eddy_http_res_end(res, text, n < 0 ? 0 : strlen(text));
  } else {
    hello(s, req, res);
  }
}

static void cl_shutdown(eddy_cluster_worker_t *w, uint64_t grace_ms) {
  eddy_http_server_close(&cl_server, grace_ms, NULL);
}

static void cl_stats(eddy_cluster_worker_t *w, eddy_cluster_report_t *r) {
  r->connections = eddy_http_server_connections(&cl_server);
  r->requests = cl_served;
}

static int cl_worker(eddy_cluster_worker_t *w) {
  cl_w = w;
  eddy_http_server_init(w->loop, &cl_server, &cl_opts, cl_hello);
  eddy_cluster_worker_on_shutdown(w, cl_shutdown);
  eddy_cluster_worker_on_stats(w, cl_stats);
  return eddy_http_server_listen_fd(&cl_server, w->listen_fd, w->listen_flags);
}

/* With --workers, `eddy serve` runs as a cluster (same flags otherwise). */
static int serve_cluster(int argc, char **argv) {
  eddy_cluster_opts_t o = {0};
  int given = 0;
  for (int i = 1; i < argc; i++) given |= strcmp(argv[i], "--workers") == 0;
  if (!given) return -1;
  if (eddy_cluster_opts_parse(&o, &argc, argv) < 0) {
    fprintf(stderr, "%s%s", usage, eddy_cluster_flags_help());
    return 2;
  }
  const char *host = "127.0.0.1", *env = getenv("PORT");
  o.port = 8080;
  if (env && number(env, 65535) >= 0) o.port = (int)number(env, 65535);
  if (parse_args(argc, argv, &cl_opts, &host, &o.port)) {
    fprintf(stderr, "%s%s", usage, eddy_cluster_flags_help());
    return 2;
  }
  o.host = host;
  return eddy_cluster_main(argc, argv, &o, cl_worker) ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    printf("eddy %s\n", eddy_version());
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "serve") == 0) {
    int r = serve_cluster(argc, argv);
    if (r >= 0) return r;
  }
  if (argc > 1 && strcmp(argv[1], "top") == 0)
    return eddy_top_main(argc - 1, argv + 1); /* bin/top.c */
  if (argc > 1 && strcmp(argv[1], "demo") == 0) return demo();
  if (argc > 1 && strcmp(argv[1], "serve") == 0) return serve(argc, argv);
  fputs(usage, stderr);
  return 2;
}

/*
 * The eddy servers of bench/app:
 *   eddy_app_bench raw PORT          the raw HTTP handler: "Hello, World!"
 *   eddy_app_bench routed PORT [N]   an app: GET /hello/:name answers
 *                                    {"hello":"<name>"}, among N other
 *                                    routes /r<i>/:name (default 0)
 *   eddy_app_bench lookup N          no server: ns per route lookup in a
 *                                    table of N + 1 routes (CPU time)
 * SIGTERM/SIGINT stop the servers.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/router.h"
#include "eddy.h"

static void raw_hello(eddy_http_server_t *s, eddy_http_request_t *req,
                      eddy_http_res_t *res) {
  eddy_http_res_set_header(res, "Content-Type", "text/plain");
  eddy_http_res_end(res, "Hello, World!", 13);
}

static void hello_name(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, req);
  eddy_app_jw_object(&jw);
  eddy_app_jw_key(&jw, "hello");
  eddy_app_jw_string(&jw, eddy_app_req_param(req, "name"));
  eddy_app_jw_object_end(&jw);
  eddy_app_res_send_jw(res, &jw);
}

static eddy_http_server_t server;
static eddy_signal_t sigs[2];

static void on_signal(eddy_signal_t *sig, int signum) {
  eddy_http_server_close(&server, 0, NULL);
  eddy_close(EDDY_HANDLE(&sigs[0]), NULL);
  eddy_close(EDDY_HANDLE(&sigs[1]), NULL);
}

static eddy_app_t *make_app(int others) {
  eddy_app_t *app = eddy_app_create();
  char pat[64];
  for (int i = 0; i < others; i++) {
    snprintf(pat, sizeof pat, "/r%d/:name", i);
    eddy_app_get(app, pat, hello_name, NULL);
  }
  eddy_app_get(app, "/hello/:name", hello_name, NULL);
  return app;
}

static int serve(const char *mode, int port, int others) {
  eddy_loop_t loop;
  eddy_loop_init(&loop);
  eddy_app_t *app = NULL;
  int r;
  if (!strcmp(mode, "raw")) {
    eddy_http_server_init(&loop, &server, NULL, raw_hello);
    r = eddy_http_server_listen(&server, "127.0.0.1", port);
  } else {
    app = make_app(others);
    r = eddy_app_listen(app, &loop, &server, NULL, "127.0.0.1", port);
  }
  if (r) return fprintf(stderr, "listen: %s\n", eddy_strerror(r)), 1;
  for (int i = 0; i < 2; i++) {
    eddy_signal_init(&loop, &sigs[i]);
    eddy_signal_start(&sigs[i], on_signal, i ? SIGTERM : SIGINT);
  }
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_app_destroy(app);
  return eddy_loop_close(&loop) ? 1 : 0;
}

static double cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The tree alone, as the app builds it: N routes /r<i>/:name + hello. */
static int lookup(int others, long iters) {
  eddy__rnode_t *root = NULL;
  int n = others + 1;
  eddy__route_t *routes = calloc((size_t)n, sizeof(*routes));
  char (*pats)[32] = calloc((size_t)n, 32), (*names)[32] = calloc((size_t)n, 32);
  for (int i = 0; i < n; i++) {
    if (i < others) snprintf(pats[i], 32, "/r%d/:name", i);
    else snprintf(pats[i], 32, "/hello/:name");
    routes[i] = (eddy__route_t){.method = EDDY_HTTP_GET, .pattern = pats[i],
                                .fn = hello_name};
    eddy__router_insert(&root, &routes[i], names[i]);
  }
  const char *paths[] = {"/hello/world", "/hello/eddy", "/hello/a"};
  long found = 0;
  eddy__match_t m;
  double t0 = cpu_s();
  for (long i = 0; i < iters; i++)
    found += eddy__router_match(root, EDDY_HTTP_GET, paths[i % 3],
                                strlen(paths[i % 3]), &m);
  double t = cpu_s() - t0;
  printf("%d routes: %.1f ns per lookup (%ld found)\n", n, t / iters * 1e9,
         found);
  eddy__router_free(root);
  free(routes), free(pats), free(names);
  return found == iters ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "lookup"))
    return lookup(atoi(argv[2]), argc > 3 ? atol(argv[3]) : 20000000);
  if (argc < 3) {
    fputs("usage: eddy_app_bench raw|routed PORT [N] | lookup N [ITERS]\n", stderr);
    return 2;
  }
  return serve(argv[1], atoi(argv[2]), argc > 3 ? atoi(argv[3]) : 0);
}

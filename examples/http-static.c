/*
 * http-static: serves the files under a directory.
 *
 *   http-static PORT ROOT
 *
 * The request path is percent-decoded, then normalised (eddy_http_path_
 * normalize: "." and ".." removed, never above "/"), then joined to ROOT,
 * so no request can name a file outside it. Files are opened and fstat'ed
 * on the thread pool and sent with sendfile (eddy_http_res_send_path).
 * SIGINT/SIGTERM close the server gracefully.
 */
#include <eddy/http.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *root;
static size_t root_len;
static eddy_http_server_t server;
static eddy_signal_t sig_int, sig_term;

/* Content-Type for a few extensions; anything else is a byte stream. */
static const char *content_type(const char *path) {
  static const char *const map[][2] = {{".html", "text/html; charset=utf-8"},
                                       {".txt", "text/plain; charset=utf-8"},
                                       {".css", "text/css"},
                                       {".js", "text/javascript"},
                                       {".json", "application/json"},
                                       {".png", "image/png"},
                                       {".jpg", "image/jpeg"},
                                       {".svg", "image/svg+xml"}};
  const char *dot = strrchr(path, '.');
  if (dot && !strchr(dot, '/'))
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
      if (strcmp(dot, map[i][0]) == 0) return map[i][1];
  return "application/octet-stream";
}

static void reply(eddy_http_res_t *res, int status) {
  const char *reason = eddy_http_status_reason(status);
  eddy_http_res_status(res, status);
  eddy_http_res_set_header(res, "Content-Type", "text/plain");
  eddy_http_res_end(res, reason, strlen(reason));
}

/* ROOT + the confined path (+ "index.html" for a directory) into out. */
static int file_path(const eddy_http_request_t *req, char *out, size_t max) {
  char path[4096];
  if (req->path.len >= sizeof(path) || req->path.base[0] != '/') return 404;
  ssize_t n = eddy_http_url_decode(req->path.base, req->path.len, path, 0);
  if (n < 0) return 400;
  n = eddy_http_path_normalize(path, (size_t)n);
  if (n < 0) return 400;
  const char *index = path[n - 1] == '/' ? "index.html" : "";
  int w = snprintf(out, max, "%.*s%.*s%s", (int)root_len, root, (int)n, path,
                   index);
  return (w < 0 || (size_t)w >= max) ? 414 : 0;
}

static void handle(eddy_http_server_t *s, eddy_http_request_t *req,
                   eddy_http_res_t *res) {
  char full[4096 + 512];
  if (req->method != EDDY_HTTP_GET && req->method != EDDY_HTTP_HEAD) {
    eddy_http_res_set_header(res, "Allow", "GET, HEAD");
    reply(res, 405);
    return;
  }
  int status = file_path(req, full, sizeof(full));
  if (status) {
    reply(res, status);
    return;
  }
  eddy_http_res_set_header(res, "Content-Type", content_type(full + root_len));
  if (eddy_http_res_send_path(res, full) < 0) reply(res, 500);
}

static void on_signal(eddy_signal_t *sig, int signum) {
  eddy_http_server_close(&server, 1000, NULL);
  eddy_close((eddy_handle_t *)&sig_int, NULL);
  eddy_close((eddy_handle_t *)&sig_term, NULL);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s PORT ROOT\n", argv[0]);
    return 2;
  }
  root = argv[2];
  root_len = strlen(root);
  while (root_len > 1 && root[root_len - 1] == '/') root_len--;
  int port = (int)strtol(argv[1], NULL, 10);
  eddy_loop_t loop;
  eddy_loop_init(&loop);
  eddy_http_server_init(&loop, &server, NULL, handle);
  int r = eddy_http_server_listen(&server, "127.0.0.1", port);
  if (r < 0) {
    fprintf(stderr, "listen: %s\n", eddy_strerror(r));
    return 1;
  }
  eddy_signal_init(&loop, &sig_int);
  eddy_signal_init(&loop, &sig_term);
  eddy_signal_start(&sig_int, on_signal, SIGINT);
  eddy_signal_start(&sig_term, on_signal, SIGTERM);
  printf("serving %s on http://127.0.0.1:%d/\n", root, port);
  fflush(stdout);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  return eddy_loop_close(&loop) == 0 ? 0 : 1;
}

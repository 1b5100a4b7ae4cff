/*
 * http-static: serves the files under a directory.
 *
 *   http-static PORT ROOT
 *
 * The request path is percent-decoded, then normalised (eddy_http_path_
 * normalize: "." and ".." removed, never above "/"), so no request names a
 * file outside ROOT; and the file is opened below an open descriptor of
 * ROOT with openat2(RESOLVE_BENEATH), so no symlink inside ROOT leads out
 * of it either (403). Only regular files are served (a FIFO or a device is
 * 403 and never blocks). Files are opened and fstat'ed on the thread pool
 * and sent with sendfile (eddy_http_res_send_file). SIGINT/SIGTERM close
 * the server gracefully.
 */
#include <eddy/http.h>
#include <eddy/threadpool.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *root;
static int root_fd;
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

/* The confined path relative to ROOT (+ "index.html" for a directory). */
static int file_path(const eddy_http_request_t *req, char *out, size_t max) {
  char path[4096];
  if (req->path.len >= sizeof(path) || req->path.base[0] != '/') return 404;
  ssize_t n = eddy_http_url_decode(req->path.base, req->path.len, path, 0);
  if (n < 0) return 400;
  n = eddy_http_path_normalize(path, (size_t)n);
  if (n < 0) return 400;
  const char *index = path[n - 1] == '/' ? "index.html" : "";
  int w = snprintf(out, max, "%.*s%s", (int)n - 1, path + 1, index);
  return (w < 0 || (size_t)w >= max) ? 414 : 0;
}

/* An open on the thread pool: the response stays valid until it is ended
 * (eddy/http.h), and only open_done ends it. */
typedef struct {
  eddy_work_t work;
  eddy_http_res_t *res;
  int fd; /* result: an open regular file, or -errno */
  char rel[4096 + 16];
} open_job_t;

static void open_beneath(eddy_work_t *w) {
  open_job_t *j = w->data;
  struct open_how how = {.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
  struct stat st;
  int fd = (int)syscall(SYS_openat2, root_fd, j->rel, &how, sizeof(how));
  if (fd < 0) {
    j->fd = -errno;
    return;
  }
  int err = fstat(fd, &st) < 0 ? -errno : 0;
  if (!err && !S_ISREG(st.st_mode))
    err = S_ISDIR(st.st_mode) ? -EISDIR : -EACCES;
  if (err) {
    j->fd = err;
    close(fd);
    return;
  }
  fcntl(fd, F_SETFL, O_RDONLY);
  j->fd = fd;
}

static int open_status(int err) {
  if (err == -ENOENT || err == -ENOTDIR || err == -EISDIR) return 404;
  if (err == -EXDEV || err == -ELOOP || err == -EACCES || err == -EPERM)
    return 403; /* out of ROOT, or not a regular file */
  return err == -ENAMETOOLONG ? 414 : err == -ECANCELED ? 503 : 500;
}

static void open_done(eddy_work_t *w, int status) {
  open_job_t *j = w->data;
  eddy_http_res_t *res = j->res;
  int fd = status < 0 ? status : j->fd;
  free(j);
  if (fd < 0) {
    reply(res, open_status(fd));
    return;
  }
  /* -ECANCELED: the client left and send_file released res; only other
   * errors leave it to us. */
  int r = eddy_http_res_send_file(res, fd, 0, -1);
  if (r < 0 && r != -ECANCELED) reply(res, 500);
}

static void handle(eddy_http_server_t *s, eddy_http_request_t *req,
                   eddy_http_res_t *res) {
  open_job_t *j = malloc(sizeof(*j));
  if (!j) {
    reply(res, 503);
    return;
  }
  if (req->method != EDDY_HTTP_GET && req->method != EDDY_HTTP_HEAD) {
    eddy_http_res_set_header(res, "Allow", "GET, HEAD");
    free(j);
    reply(res, 405);
    return;
  }
  int status = file_path(req, j->rel, sizeof(j->rel));
  if (status) {
    free(j);
    reply(res, status);
    return;
  }
  eddy_http_res_set_header(res, "Content-Type", content_type(j->rel));
  j->res = res;
  j->work.data = j;
  if (eddy_queue_work(s->loop, &j->work, open_beneath, open_done) < 0) {
    free(j);
    reply(res, 503);
  }
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
  root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    fprintf(stderr, "%s: %s\n", root, strerror(errno));
    return 1;
  }
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

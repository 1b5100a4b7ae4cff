/*
 * express.static for eddy: resolve the URL path below the root
 * (static_path.c), find an open descriptor in the cache (static_cache.c)
 * or open it on the thread pool (static_open.c), then answer with
 * validators, a conditional 304, one range, or the whole file through
 * eddy_http_res_send_file (sendfile, zero-copy).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/static_job.h"

#define HDR(req, name) eddy_http_find_header((req), name, sizeof(name) - 1)

static int answer_text(eddy_app_res_t *res, int status, const char *body) {
  eddy_app_res_status(res, status);
  eddy_app_res_set(res, "Content-Type", "text/plain; charset=utf-8");
  return eddy_app_res_end(res, body, strlen(body));
}

static void set_validators(eddy_static_t *st, eddy_app_res_t *res,
                           const static_file_t *f) {
  eddy_app_res_set(res, "Accept-Ranges", "bytes");
  eddy_app_res_set(res, "Cache-Control", st->cache_control);
  if (!st->opts.no_last_modified)
    eddy_app_res_set(res, "Last-Modified", f->last_modified);
  if (!st->opts.no_etag) eddy_app_res_set(res, "ETag", f->etag);
}

static const eddy_http_slice_t *value_of(const eddy_http_header_t *h) {
  return h ? &h->value : NULL;
}

/* 416 or 206 + Content-Range; returns 1 if the response was ended. */
static int answer_range(eddy_app_res_t *res, eddy_http_request_t *req,
                        static_file_t *f, int64_t *off, int64_t *n) {
  if (req->method != EDDY_HTTP_GET) return 0;
  int r = eddy_static_range(value_of(HDR(req, "Range")),
                            value_of(HDR(req, "If-Range")), f->etag,
                            f->mtime_ns / 1000000000, f->size, off, n);
  char cr[80];
  if (r == 416) {
    snprintf(cr, sizeof(cr), "bytes */%" PRId64, f->size);
    eddy_app_res_set(res, "Content-Range", cr);
    if (f->fd >= 0) close(f->fd);
    answer_text(res, 416, "Range Not Satisfiable\n");
    return 1;
  }
  if (r == 206) {
    snprintf(cr, sizeof(cr), "bytes %" PRId64 "-%" PRId64 "/%" PRId64, *off,
             *off + *n - 1, f->size);
    eddy_app_res_status(res, 206);
    eddy_app_res_set(res, "Content-Range", cr);
  }
  return 0;
}

/* Answers with the open file `f` (its fd, if any, is consumed; its data
 * is only read, before this returns). */
static void respond(eddy_static_t *st, eddy_app_res_t *res, static_file_t *f) {
  eddy_http_request_t *req = eddy_app_req_http(eddy_app_res_req(res));
  set_validators(st, res, f);
  const eddy_http_header_t *inm = HDR(req, "If-None-Match");
  const eddy_http_header_t *ims = HDR(req, "If-Modified-Since");
  if ((inm || ims) && eddy_static_fresh(value_of(inm), value_of(ims),
                                        st->opts.no_etag ? "" : f->etag,
                                        f->mtime_ns / 1000000000)) {
    if (f->fd >= 0) close(f->fd);
    st->stats.not_modified++;
    eddy_app_res_status(res, 304);
    eddy_app_res_end(res, NULL, 0);
    return;
  }
  eddy_app_res_set(res, "Content-Type", f->type);
  int64_t off = 0, n = f->size;
  if (answer_range(res, req, f, &off, &n)) return;
  if (f->data) { /* a small file from memory: one write */
    if (f->fd >= 0) close(f->fd);
    eddy_app_res_end(res, f->data + off, (size_t)n);
    return;
  }
  if (eddy_app_res_send_fd(res, f->fd, off, n) == -EINVAL)
    answer_text(res, 500, "Internal Server Error\n"); /* fd is closed */
}

/* "dir" -> 301 "dir/": the original path, leading slashes collapsed so
 * "//evil.example/x" cannot become a protocol-relative Location. */
static void redirect(eddy_app_res_t *res) {
  eddy_http_request_t *req = eddy_app_req_http(eddy_app_res_req(res));
  const char *p = req->path.base;
  size_t n = req->path.len;
  while (n > 1 && p[0] == '/' && p[1] == '/') p++, n--;
  char *loc = malloc(n + req->query.len + 3);
  if (!loc) {
    answer_text(res, 500, "Internal Server Error\n");
    return;
  }
  memcpy(loc, p, n);
  loc[n++] = '/';
  if (req->query.len) {
    loc[n++] = '?';
    memcpy(loc + n, req->query.base, req->query.len);
    n += req->query.len;
  }
  loc[n] = '\0';
  eddy_app_res_set(res, "Location", loc);
  free(loc);
  answer_text(res, 301, "Moved Permanently\n");
}

static void job_done(eddy_work_t *w, int status) {
  static_job_t *j = w->data;
  eddy_static_t *st = j->st;
  eddy_app_req_t *req = j->req;
  eddy_app_res_t *res = eddy_app_req_res(req);
  int fd = status < 0 ? status : j->fd;
  if (fd >= 0) {
    st->stats.opens++;
    int kept = eddy__static_cache_put(st, j->buf, j->rel_len, &j->file);
    static_file_t f = j->file;
    free(j);
    respond(st, res, &f);
    if (!kept) free(f.data);
    return;
  }
  int dir_request = j->rel_len == 0 || j->buf[j->rel_len - 1] == '/';
  free(j);
  if (fd == -EISDIR && !dir_request && !st->opts.no_redirect)
    redirect(res);
  else if (fd == -EACCES || fd == -EPERM)
    eddy_app_next(req, -403);
  else if (fd == -ENOENT || fd == -ENOTDIR || fd == -EISDIR || fd == -ELOOP ||
           fd == -EXDEV || fd == -ENAMETOOLONG)
    eddy_app_next(req, 0); /* Express's fallthrough */
  else
    eddy_app_next(req, fd); /* 500, logged with the errno's name */
}

static int start_job(eddy_static_t *st, eddy_app_req_t *req, const char *rel,
                     size_t len) {
  int dir = len == 0 || rel[len - 1] == '/';
  size_t ilen = dir ? strlen(st->index) : 0;
  if (dir && ilen == 0) return 1; /* no index: directories are not ours */
  static_job_t *j = malloc(sizeof(*j) + 2 * len + ilen + 2);
  if (!j) return -ENOMEM;
  memcpy(j->buf, rel, len + 1);
  j->open_path = j->buf + len + 1;
  memcpy(j->open_path, rel, len);
  memcpy(j->open_path + len, st->index, ilen); /* ilen is 0 for files */
  j->open_path[len + ilen] = '\0';
  j->rel_len = len;
  j->st = st;
  j->req = req;
  j->fd = -1;
  memset(&j->file, 0, sizeof(j->file));
  j->file.type = eddy_app_mime_type(j->open_path);
  j->work.data = j;
  int r = eddy_queue_work(st->loop, &j->work, eddy__static_job_work, job_done);
  if (r < 0) free(j);
  return r;
}

int eddy_static_serve(eddy_static_t *st, eddy_app_req_t *req, const char *path,
                      size_t len) {
  if (!st || !req) return -EINVAL;
  eddy_http_request_t *http = eddy_app_req_http(req);
  eddy_app_res_t *res = eddy_app_req_res(req);
  if (http->method != EDDY_HTTP_GET && http->method != EDDY_HTTP_HEAD) return 1;
  char rel[PATH_MAX];
  ssize_t n = eddy_static_path(path, len, rel, sizeof(rel), st->opts.dotfiles);
  if (n == -404) return 1;
  if (n < 0) { /* the app's error handler answers, in JSON */
    eddy_app_next(req, (int)n);
    return 0;
  }
  static_file_t f;
  if (eddy__static_cache_get(st, rel, (size_t)n, &f) >= 0) {
    st->stats.hits++;
    respond(st, res, &f);
    return 0;
  }
  return start_job(st, req, rel, (size_t)n);
}

void eddy_static_middleware(eddy_app_req_t *req, eddy_app_res_t *res,
                            void *arg) {
  const char *path = eddy_app_req_subpath(req); /* below the use() prefix */
  int r = eddy_static_serve(arg, req, path, strlen(path));
  if (r != 0) eddy_app_next(req, r > 0 ? 0 : r);
}

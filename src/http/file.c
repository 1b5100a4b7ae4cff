/*
 * File responses: a head with Content-Length, then the file range handed
 * to the stream as one sendfile segment (eddy_write_file), in request
 * order. The path variant opens and fstats on the thread pool, so the loop
 * only ever calls sendfile and close on an already open descriptor.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/threadpool.h"
#include "http/conn.h"

/* Checks the range against the file; fills *length when it is -1. */
static int range(int fd, int64_t offset, int64_t *length) {
  struct stat st;
  if (offset < 0 || *length < -1) return -EINVAL;
  if (*length >= 0) return 0;
  /* fstat of an open descriptor reads the in-memory inode: no disk I/O. */
  if (fstat(fd, &st) < 0) return -errno;
  if (!S_ISREG(st.st_mode) || offset > st.st_size) return -EINVAL;
  *length = st.st_size - offset;
  return 0;
}

int eddy_http_res_send_file(eddy_http_res_t *res, int fd, int64_t offset,
                            int64_t length) {
  if (res->flags & EDDY__RES_ABORTED) {
    if (fd >= 0) close(fd);
    return eddy_http_res_end(res, NULL, 0);
  }
  int r = fd < 0 ? -EINVAL : range(fd, offset, &length);
  if (!r && (res->flags & (EDDY__RES_HEAD_SENT | EDDY__RES_ENDED))) r = -EINVAL;
  /* The handler's Content-Length is the framing: the file must match it. */
  if (!r && (res->flags & EDDY__RES_USER_CL) &&
      (uint64_t)length != res->user_cl)
    r = -EINVAL;
  if (r) {
    if (fd >= 0) close(fd);
    return r;
  }
  eddy__http_head(res, eddy__http_dest(res), length);
  res->file_fd = fd; /* closed on release, whatever happens */
  if (length > 0 && !(res->flags & EDDY__RES_NO_BODY)) {
    res->file_off = offset;
    res->file_len = (uint64_t)length;
    res->flags |= EDDY__RES_FILE;
  }
  return eddy__http_finish(res);
}

/* ------------------------------------------------------- path variant */

typedef struct {
  eddy_work_t work;
  eddy_http_res_t *res;
  eddy_http_server_t *server; /* waits for this job before it closes */
  int fd;                     /* result: open descriptor or -errno */
  int64_t size;
  char path[];
} open_job_t;

/* O_NONBLOCK: opening a FIFO for reading would wait for a writer and hold
 * a pool thread forever (four such requests froze all file I/O); with it
 * the open returns at once and fstat refuses whatever is not a regular
 * file. The flag is cleared again, since sendfile and users read it. */
static void open_work(eddy_work_t *w) {
  open_job_t *j = w->data;
  struct stat st;
  j->fd = open(j->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (j->fd < 0) {
    j->fd = -errno;
    return;
  }
  int err = fstat(j->fd, &st) < 0 ? -errno : 0;
  if (!err && !S_ISREG(st.st_mode))
    err = S_ISDIR(st.st_mode) ? -EISDIR : -EACCES;
  if (!err && fcntl(j->fd, F_SETFL, O_RDONLY) < 0) err = -errno;
  if (err) {
    close(j->fd);
    j->fd = err;
    return;
  }
  j->size = st.st_size;
}

static int error_status(int err) {
  if (err == -ENOENT || err == -ENOTDIR || err == -EISDIR ||
      err == -ENAMETOOLONG || err == -ELOOP)
    return 404;
  if (err == -EACCES || err == -EPERM) return 403;
  if (err == -ECANCELED) return 503; /* never opened: not a refusal */
  return 500;
}

static void open_done(eddy_work_t *w, int status) {
  open_job_t *j = w->data;
  eddy_http_res_t *res = j->res;
  /* A cancelled job never ran: j->fd is still its initial -1, which
   * would read as -EPERM (403). */
  int fd = status < 0 ? status : j->fd;
  int64_t size = j->size;
  eddy_http_server_t *server = j->server;
  free(j);
  eddy__http_server_job_done(server);
  if (fd >= 0) {
    int r = eddy_http_res_send_file(res, fd, 0, size);
    if (r == 0 || r == -ECANCELED) return;
    /* Not ended: the handler's Content-Length is not the file's size. */
    eddy_http_res_remove_header(res, "Content-Length");
    fd = r; /* 500 */
  }
  int code = error_status(fd);
  const char *reason = eddy_http_status_reason(code);
  eddy_http_res_status(res, code);
  eddy_http_res_set_header(res, "Content-Type", "text/plain");
  eddy_http_res_end(res, reason, strlen(reason));
}

int eddy_http_res_send_path(eddy_http_res_t *res, const char *path) {
  if (res->flags & EDDY__RES_ABORTED) return -ECANCELED;
  if (!path || (res->flags & (EDDY__RES_HEAD_SENT | EDDY__RES_ENDED)))
    return -EINVAL;
  eddy_http_server_t *server = res->conn->server;
  if (server->_path_jobs >= EDDY_HTTP_MAX_PATH_JOBS) return EDDY_EQUEUEFULL;
  size_t n = strlen(path);
  open_job_t *j = malloc(sizeof(*j) + n + 1);
  if (!j) return -ENOMEM;
  memcpy(j->path, path, n + 1);
  j->res = res;
  j->server = server;
  j->fd = -1;
  j->size = 0;
  j->work.data = j;
  int r = eddy_queue_work(server->loop, &j->work, open_work, open_done);
  if (r < 0) {
    free(j);
    return r;
  }
  server->_path_jobs++;
  return 0;
}

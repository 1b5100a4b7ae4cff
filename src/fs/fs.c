/*
 * Async file system: the submit side. Each call resets the request, copies
 * its paths (the caller's strings may die right after the call), and queues
 * it on the thread pool; the result comes back through fs_done().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "fs/fs_internal.h"

static void fs_work(eddy_work_t *w) {
  eddy_fs_t *req = EDDY_CONTAINER_OF(w, eddy_fs_t, _work);
  req->result = eddy__fs_run(req);
}

static void fs_done(eddy_work_t *w, int status) {
  eddy_fs_t *req = EDDY_CONTAINER_OF(w, eddy_fs_t, _work);
  if (status == -ECANCELED) req->result = -ECANCELED;
  eddy__dispatch(req->loop, "fs");
  req->_cb(req);
}

/* Clears everything but `data`, so a reused request starts clean. */
static void fs_reset(eddy_fs_t *req, eddy_loop_t *loop, eddy_fs_type_t type,
                     eddy_fs_cb cb) {
  void *data = req->data;
  memset(req, 0, sizeof(*req));
  req->data = data;
  req->loop = loop;
  req->type = type;
  req->_cb = cb;
  req->_fd = -1;
}

/* Copies the paths and queues the request; frees the copies on failure. */
static int fs_submit(eddy_fs_t *req, const char *path, const char *new_path) {
  if (path && (req->_path = strdup(path)) == NULL) return -ENOMEM;
  if (new_path && (req->_new_path = strdup(new_path)) == NULL) {
    eddy_fs_req_cleanup(req);
    return -ENOMEM;
  }
  req->path = req->_path;
  int err = eddy_queue_work(req->loop, &req->_work, fs_work, fs_done);
  if (err) eddy_fs_req_cleanup(req);
  return err;
}

static int fs_bad(eddy_loop_t *loop, eddy_fs_t *req, eddy_fs_cb cb) {
  return loop == NULL || req == NULL || cb == NULL;
}

int eddy_fs_open(eddy_loop_t *loop, eddy_fs_t *req, const char *path, int flags,
                 mode_t mode, eddy_fs_cb cb) {
  if (fs_bad(loop, req, cb) || path == NULL) return -EINVAL;
  fs_reset(req, loop, EDDY_FS_OPEN, cb);
  req->_flags = flags;
  req->_mode = mode;
  return fs_submit(req, path, NULL);
}

int eddy_fs_close(eddy_loop_t *loop, eddy_fs_t *req, int fd, eddy_fs_cb cb) {
  if (fs_bad(loop, req, cb)) return -EINVAL;
  fs_reset(req, loop, EDDY_FS_CLOSE, cb);
  req->_fd = fd;
  return fs_submit(req, NULL, NULL);
}

/* read and write share their arguments. */
static int fs_rw(eddy_loop_t *loop, eddy_fs_t *req, eddy_fs_type_t type, int fd,
                 const void *buf, size_t len, int64_t offset, eddy_fs_cb cb) {
  if (fs_bad(loop, req, cb) || (buf == NULL && len > 0) || offset < -1)
    return -EINVAL;
  fs_reset(req, loop, type, cb);
  req->_fd = fd;
  req->_ubuf = (void *)buf;
  req->_len = len;
  req->_offset = offset;
  return fs_submit(req, NULL, NULL);
}

int eddy_fs_read(eddy_loop_t *loop, eddy_fs_t *req, int fd, void *buf,
                 size_t len, int64_t offset, eddy_fs_cb cb) {
  return fs_rw(loop, req, EDDY_FS_READ, fd, buf, len, offset, cb);
}

int eddy_fs_write(eddy_loop_t *loop, eddy_fs_t *req, int fd, const void *buf,
                  size_t len, int64_t offset, eddy_fs_cb cb) {
  return fs_rw(loop, req, EDDY_FS_WRITE, fd, buf, len, offset, cb);
}

int eddy_fs_write_file(eddy_loop_t *loop, eddy_fs_t *req, const char *path,
                       const void *buf, size_t len, eddy_fs_cb cb) {
  if (fs_bad(loop, req, cb) || path == NULL || (buf == NULL && len > 0))
    return -EINVAL;
  fs_reset(req, loop, EDDY_FS_WRITE_FILE, cb);
  req->_ubuf = (void *)buf;
  req->_len = len;
  return fs_submit(req, path, NULL);
}

/* The operations that take one path and nothing else. */
static int fs_path_op(eddy_loop_t *loop, eddy_fs_t *req, eddy_fs_type_t type,
                      const char *path, eddy_fs_cb cb) {
  if (fs_bad(loop, req, cb) || path == NULL) return -EINVAL;
  fs_reset(req, loop, type, cb);
  return fs_submit(req, path, NULL);
}

int eddy_fs_stat(eddy_loop_t *loop, eddy_fs_t *req, const char *path,
                 eddy_fs_cb cb) {
  return fs_path_op(loop, req, EDDY_FS_STAT, path, cb);
}

int eddy_fs_unlink(eddy_loop_t *loop, eddy_fs_t *req, const char *path,
                   eddy_fs_cb cb) {
  return fs_path_op(loop, req, EDDY_FS_UNLINK, path, cb);
}

int eddy_fs_readdir(eddy_loop_t *loop, eddy_fs_t *req, const char *path,
                    eddy_fs_cb cb) {
  return fs_path_op(loop, req, EDDY_FS_READDIR, path, cb);
}

int eddy_fs_read_file(eddy_loop_t *loop, eddy_fs_t *req, const char *path,
                      eddy_fs_cb cb) {
  return fs_path_op(loop, req, EDDY_FS_READ_FILE, path, cb);
}

int eddy_fs_fstat(eddy_loop_t *loop, eddy_fs_t *req, int fd, eddy_fs_cb cb) {
  if (fs_bad(loop, req, cb)) return -EINVAL;
  fs_reset(req, loop, EDDY_FS_FSTAT, cb);
  req->_fd = fd;
  return fs_submit(req, NULL, NULL);
}

int eddy_fs_rename(eddy_loop_t *loop, eddy_fs_t *req, const char *path,
                   const char *new_path, eddy_fs_cb cb) {
  if (fs_bad(loop, req, cb) || path == NULL || new_path == NULL) return -EINVAL;
  fs_reset(req, loop, EDDY_FS_RENAME, cb);
  return fs_submit(req, path, new_path);
}

int eddy_fs_mkdir(eddy_loop_t *loop, eddy_fs_t *req, const char *path,
                  mode_t mode, eddy_fs_cb cb) {
  if (fs_bad(loop, req, cb) || path == NULL) return -EINVAL;
  fs_reset(req, loop, EDDY_FS_MKDIR, cb);
  req->_mode = mode;
  return fs_submit(req, path, NULL);
}

int eddy_fs_cancel(eddy_fs_t *req) {
  if (req == NULL) return -EINVAL;
  return eddy_cancel(&req->_work);
}

char *eddy_fs_take_buffer(eddy_fs_t *req, size_t *len) {
  char *buf = req->buf;
  if (len) *len = buf ? (size_t)req->result : 0;
  req->buf = NULL;
  return buf;
}

void eddy_fs_req_cleanup(eddy_fs_t *req) {
  if (req == NULL) return;
  free(req->_path);
  free(req->_new_path);
  free(req->buf);
  free(req->dirents);
  req->_path = req->_new_path = req->buf = NULL;
  req->path = NULL;
  req->dirents = NULL;
}

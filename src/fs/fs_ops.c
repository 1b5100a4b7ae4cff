/*
 * Async file system: the blocking side, run on a pool thread. Each
 * operation is one system call (retried on EINTR) turned into a count or a
 * negative errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/fs_internal.h"

static ssize_t sys_result(ssize_t r) { return r < 0 ? -errno : r; }

static ssize_t fs_read(eddy_fs_t *req) {
  ssize_t r;
  do {
    if (req->_offset < 0)
      r = read(req->_fd, req->_ubuf, req->_len);
    else
      r = pread(req->_fd, req->_ubuf, req->_len, (off_t)req->_offset);
  } while (r < 0 && errno == EINTR);
  return sys_result(r);
}

ssize_t eddy__fs_write_all(int fd, const char *buf, size_t len,
                           int64_t offset) {
  size_t done = 0;
  do { /* at least once: a zero-length write still reports a bad fd */
    ssize_t r;
    if (offset < 0)
      r = write(fd, buf + done, len - done);
    else
      r = pwrite(fd, buf + done, len - done, (off_t)(offset + (int64_t)done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return done > 0 ? (ssize_t)done : -errno;
    done += (size_t)r;
  } while (done < len);
  return (ssize_t)done;
}

static ssize_t fs_open(eddy_fs_t *req) {
  int fd;
  do fd = open(req->_path, req->_flags | O_CLOEXEC, req->_mode);
  while (fd < 0 && errno == EINTR);
  return sys_result(fd);
}

ssize_t eddy__fs_run(eddy_fs_t *req) {
  switch (req->type) {
  case EDDY_FS_OPEN: return fs_open(req);
  /* Linux frees the fd even when close() fails, so never retry it. */
  case EDDY_FS_CLOSE: return sys_result(close(req->_fd));
  case EDDY_FS_READ: return fs_read(req);
  case EDDY_FS_WRITE:
    return eddy__fs_write_all(req->_fd, req->_ubuf, req->_len, req->_offset);
  case EDDY_FS_STAT: return sys_result(stat(req->_path, &req->statbuf));
  case EDDY_FS_FSTAT: return sys_result(fstat(req->_fd, &req->statbuf));
  case EDDY_FS_UNLINK: return sys_result(unlink(req->_path));
  case EDDY_FS_RENAME: return sys_result(rename(req->_path, req->_new_path));
  case EDDY_FS_MKDIR: return sys_result(mkdir(req->_path, req->_mode));
  case EDDY_FS_READDIR: return eddy__fs_readdir(req);
  case EDDY_FS_READ_FILE: return eddy__fs_read_file(req);
  case EDDY_FS_WRITE_FILE: return eddy__fs_write_file(req);
  default: return -EINVAL;
  }
}

/*
 * Whole-file convenience operations, run on a pool thread: read_file reads
 * until end of file (st_size is only a hint: files grow, /proc files say
 * 0), write_file creates or truncates and writes everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/fs_internal.h"

static int open_retry(const char *path, int flags) {
  int fd;
  do fd = open(path, flags | O_CLOEXEC, 0666);
  while (fd < 0 && errno == EINTR);
  return fd;
}

/* Doubles *cap; returns 0 or -ENOMEM (the old buffer stays valid). */
static int grow(char **buf, size_t *cap) {
  char *bigger = realloc(*buf, *cap * 2);
  if (bigger == NULL) return -ENOMEM;
  *buf = bigger;
  *cap *= 2;
  return 0;
}

/* Reads fd to its end into a NUL-terminated heap buffer. */
static ssize_t slurp(int fd, char **out) {
  struct stat st;
  size_t cap = 4096, len = 0;
  if (fstat(fd, &st) == 0 && st.st_size > 0) cap = (size_t)st.st_size + 1;
  char *buf = malloc(cap);
  if (buf == NULL) return -ENOMEM;
  for (;;) {
    int err = len + 1 == cap ? grow(&buf, &cap) : 0;
    ssize_t r = err ? -1 : read(fd, buf + len, cap - 1 - len);
    if (r > 0) {
      len += (size_t)r;
    } else if (r == 0) {
      buf[len] = '\0';
      *out = buf;
      return (ssize_t)len;
    } else if (err || errno != EINTR) {
      free(buf);
      return err ? err : -errno;
    }
  }
}

ssize_t eddy__fs_read_file(eddy_fs_t *req) {
  int fd = open_retry(req->_path, O_RDONLY);
  if (fd < 0) return -errno;
  ssize_t r = slurp(fd, &req->buf);
  close(fd);
  return r;
}

ssize_t eddy__fs_write_file(eddy_fs_t *req) {
  int fd = open_retry(req->_path, O_WRONLY | O_CREAT | O_TRUNC);
  if (fd < 0) return -errno;
  ssize_t r = req->_len ? eddy__fs_write_all(fd, req->_ubuf, req->_len, -1) : 0;
  if (close(fd) < 0 && r >= 0) r = -errno;
  if (r >= 0 && (size_t)r < req->_len) r = -EIO; /* stopped part way */
  return r;
}

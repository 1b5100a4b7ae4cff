/*
 * Reads: bounded per readable event, into memory from the alloc callback,
 * with recvmsg on Unix streams that accept passed descriptors.
 */
#include <string.h>
#include <unistd.h>

#include "net/stream.h"

/* Fairness bound: reads per readable event (a short read ends it sooner). */
#define READS_PER_EVENT 8

int eddy_read_start(eddy_stream_t *s, eddy_alloc_cb alloc_cb,
                    eddy_read_cb read_cb) {
  if (!alloc_cb || !read_cb || !net_usable(s)) return -EINVAL;
  if (s->_flags & S_LISTENING) return -EINVAL;
  if (!(s->_flags & S_HAS_FD)) return -ENOTCONN;
  if (s->_flags & S_READING) return -EALREADY;
  s->_alloc_cb = alloc_cb;
  s->_read_cb = read_cb;
  s->_flags |= S_READING;
  eddy__stream_update(s);
  return 0;
}

int eddy_read_stop(eddy_stream_t *s) {
  if (!(s->_flags & S_READING)) return 0;
  s->_flags &= ~(unsigned)S_READING;
  eddy__stream_update(s);
  return 0;
}

/* Hands each received descriptor to the fd callback, or closes it. */
static void take_fds(eddy_unix_t *u, struct msghdr *msg) {
  struct cmsghdr *c;
  for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < n; i++) {
      int fd;
      memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (u->_fd_cb && net_usable(EDDY_STREAM(u)))
        u->_fd_cb(u, fd);
      else
        close(fd);
    }
  }
}

static ssize_t read_ipc(eddy_stream_t *s, const eddy_buf_t *buf) {
  union {
    char space[CMSG_SPACE(sizeof(int) * EDDY_UNIX_MAX_FDS)];
    struct cmsghdr align;
  } cbuf;
  struct iovec iov = {buf->base, buf->len};
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = cbuf.space,
                       .msg_controllen = sizeof(cbuf.space)};
  ssize_t n = recvmsg(s->_io.fd, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0) return -errno;
  if (msg.msg_controllen) take_fds((eddy_unix_t *)s, &msg);
  return n;
}

/* recv on a socket: it skips read(2)'s file-position and VFS steps (~0.8 %
 * of a keep-alive server's kernel time in a profile); read on a pipe. */
static ssize_t read_plain(eddy_stream_t *s, const eddy_buf_t *buf) {
  if (s->_flags & S_NOT_SOCK) return read(s->_io.fd, buf->base, buf->len);
  return recv(s->_io.fd, buf->base, buf->len, 0);
}

static ssize_t read_once(eddy_stream_t *s, const eddy_buf_t *buf) {
  for (;;) {
    ssize_t n = (s->_flags & S_IPC) ? read_ipc(s, buf) : read_plain(s, buf);
    if (n >= 0) return n;
    if (n == -1) n = -errno;
    if (n != -EINTR) return n;
  }
}

/* Stops reading on EOF or error: a level-triggered fd would stay ready. */
static void read_ended(eddy_stream_t *s, ssize_t status, eddy_buf_t *buf) {
  eddy_read_cb cb = s->_read_cb;
  eddy_read_stop(s);
  cb(s, status, buf);
}

void eddy__stream_read(eddy_stream_t *s) {
  for (int i = 0; i < READS_PER_EVENT; i++) {
    eddy_buf_t buf = {NULL, 0};
    s->_alloc_cb(s, NET_READ_SIZE, &buf);
    if (buf.base == NULL || buf.len == 0) {
      read_ended(s, -ENOBUFS, &buf);
      return;
    }
    ssize_t n = read_once(s, &buf);
    if (n == -EAGAIN || n == -EWOULDBLOCK) {
      s->_read_cb(s, 0, &buf);
      return;
    }
    if (n <= 0) {
      read_ended(s, n == 0 ? EDDY_EOF : n, &buf);
      return;
    }
    s->_read_cb(s, n, &buf);
    /* A short read drained the socket; a stop or close ends the batch. */
    if ((size_t)n < buf.len || !(s->_flags & S_READING) || !net_usable(s))
      return;
  }
}

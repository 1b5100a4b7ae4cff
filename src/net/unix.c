/*
 * Unix-domain streams: bind, connect, socketpair, and descriptor receipt.
 */
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "net/stream.h"

int eddy_unix_init(eddy_loop_t *loop, eddy_unix_t *u) {
  eddy__stream_init(loop, EDDY_STREAM(u), EDDY_HANDLE_UNIX);
  u->_fd_cb = NULL;
  return 0;
}

static int make_addr(const char *path, struct sockaddr_un *sun) {
  if (!path || !*path) return -EINVAL;
  size_t n = strlen(path);
  if (n >= sizeof(sun->sun_path)) return -ENAMETOOLONG;
  memset(sun, 0, sizeof(*sun));
  sun->sun_family = AF_UNIX;
  memcpy(sun->sun_path, path, n + 1);
  return 0;
}

int eddy_unix_bind(eddy_unix_t *u, const char *path) {
  eddy_stream_t *s = EDDY_STREAM(u);
  struct sockaddr_un sun;
  if (!net_usable(s)) return -EINVAL;
  if (s->_flags & S_HAS_FD) return -EISCONN;
  int err = make_addr(path, &sun);
  if (err) return err;
  int fd = eddy__socket(AF_UNIX);
  if (fd < 0) return fd;
  if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
    err = -errno;
    close(fd);
    return err;
  }
  err = eddy__stream_set_fd(s, fd);
  if (err) close(fd);
  return err;
}

int eddy_unix_connect(eddy_connect_t *req, eddy_unix_t *u, const char *path,
                      eddy_connect_cb cb) {
  struct sockaddr_un sun;
  if (!req) return -EINVAL;
  int err = make_addr(path, &sun);
  if (err) return err;
  return eddy__stream_connect(req, EDDY_STREAM(u), (struct sockaddr *)&sun,
                              sizeof(sun), cb);
}

int eddy_unix_pair(eddy_unix_t *a, eddy_unix_t *b) {
  eddy_stream_t *sa = EDDY_STREAM(a), *sb = EDDY_STREAM(b);
  if (a == b || !net_usable(sa) || !net_usable(sb)) return -EINVAL;
  if ((sa->_flags | sb->_flags) & S_HAS_FD) return -EINVAL;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds))
    return -errno;
  int err = eddy__stream_set_fd(sa, fds[0]);
  if (err) {
    close(fds[0]);
    close(fds[1]);
    return err;
  }
  err = eddy__stream_set_fd(sb, fds[1]);
  if (err) {
    close(fds[1]);
    return err; /* `a` keeps its end; closing it closes the socket */
  }
  sa->_flags |= S_CONNECTED;
  sb->_flags |= S_CONNECTED;
  return 0;
}

int eddy_unix_recv_fds(eddy_unix_t *u, eddy_fd_cb cb) {
  eddy_stream_t *s = EDDY_STREAM(u);
  if (!cb || !net_usable(s)) return -EINVAL;
  u->_fd_cb = cb;
  s->_flags |= S_IPC;
  return 0;
}

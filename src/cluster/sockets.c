/*
 * The primary's listening sockets. SHARED: one socket that every worker
 * inherits. REUSEPORT: one SO_REUSEPORT socket per slot; the primary keeps
 * them all open, so the kernel's group never changes size when a worker
 * dies, and the connections queued on a dead worker's socket wait for its
 * replacement, which inherits the same socket, instead of being reset.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster/internal.h"

static int open_one(eddy_cluster_t *c, int port, int reuseport) {
  struct sockaddr_storage a;
  int r = eddy_net_addr(c->opts.host, port, &a);
  if (r < 0) return r;
  int fd = socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -errno;
  int on = 1;
  socklen_t len = a.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                          : sizeof(struct sockaddr_in);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
      (reuseport &&
       setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0) ||
      bind(fd, (struct sockaddr *)&a, len) < 0 ||
      listen(fd, c->opts.backlog) < 0) {
    r = -errno;
    close(fd);
    return r;
  }
  return fd;
}

static int bound_port(int fd) {
  struct sockaddr_storage a;
  socklen_t len = sizeof(a);
  if (getsockname(fd, (struct sockaddr *)&a, &len) < 0) return -errno;
  return eddy_net_port((struct sockaddr *)&a);
}

int eddy__cluster_sockets_open(eddy_cluster_t *c) {
  int reuse = c->opts.share == EDDY_CLUSTER_REUSEPORT;
  int fd = open_one(c, c->opts.port, reuse);
  if (fd < 0) return fd;
  c->port = bound_port(fd);
  if (!reuse) {
    c->listen_fd = fd;
    return 0;
  }
  c->slots[0].listen_fd = fd;
  for (unsigned i = 1; i < c->opts.workers; i++) {
    fd = open_one(c, c->port, 1);
    if (fd < 0) {
      eddy__cluster_sockets_close(c);
      return fd;
    }
    c->slots[i].listen_fd = fd;
  }
  return 0;
}

void eddy__cluster_sockets_close(eddy_cluster_t *c) {
  if (c->listen_fd >= 0) close(c->listen_fd);
  c->listen_fd = -1;
  for (unsigned i = 0; i < c->opts.workers; i++) {
    if (c->slots[i].listen_fd >= 0) close(c->slots[i].listen_fd);
    c->slots[i].listen_fd = -1;
  }
}

int eddy__cluster_socket_for(eddy_cluster_t *c, unsigned slot) {
  if (c->opts.share == EDDY_CLUSTER_ROUND_ROBIN) return -1; /* ours only */
  return c->listen_fd >= 0 ? c->listen_fd : c->slots[slot].listen_fd;
}

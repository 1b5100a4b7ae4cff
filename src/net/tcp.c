/*
 * TCP: numeric addresses, bind, connect, socket options.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "net/stream.h"

int eddy_net_addr(const char *ip, int port, struct sockaddr_storage *out) {
  if (!ip || !out || port < 0 || port > 65535) return -EINVAL;
  /* AI_NUMERICHOST: getaddrinfo parses, and never asks a resolver. */
  struct addrinfo hints = {.ai_flags = AI_NUMERICHOST,
                           .ai_family = AF_UNSPEC,
                           .ai_socktype = SOCK_STREAM};
  struct addrinfo *res = NULL;
  if (getaddrinfo(ip, NULL, &hints, &res) != 0 || !res) return -EINVAL;
  memset(out, 0, sizeof(*out));
  memcpy(out, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (out->ss_family == AF_INET)
    ((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
  else
    ((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
  return 0;
}

int eddy_net_port(const struct sockaddr *a) {
  if (a->sa_family == AF_INET)
    return ntohs(((const struct sockaddr_in *)a)->sin_port);
  if (a->sa_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6 *)a)->sin6_port);
  return -EINVAL;
}

static socklen_t addr_len(const struct sockaddr *a) {
  if (a->sa_family == AF_INET) return sizeof(struct sockaddr_in);
  if (a->sa_family == AF_INET6) return sizeof(struct sockaddr_in6);
  return 0;
}

int eddy_tcp_init(eddy_loop_t *loop, eddy_tcp_t *tcp) {
  eddy__stream_init(loop, EDDY_STREAM(tcp), EDDY_HANDLE_TCP);
  return 0;
}

static int set_int(int fd, int level, int opt, int val) {
  return setsockopt(fd, level, opt, &val, sizeof(val)) ? -errno : 0;
}

/* Makes the socket (once) and applies the bind-time options. */
static int bind_socket(eddy_stream_t *s, int family, unsigned flags) {
  if (!(s->_flags & S_HAS_FD)) {
    int fd = eddy__socket(family);
    if (fd < 0) return fd;
    int err = eddy__stream_set_fd(s, fd);
    if (err) {
      close(fd);
      return err;
    }
  }
  int fd = s->_io.fd;
  int err = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  if (!err && (flags & EDDY_TCP_REUSEPORT))
    err = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
  if (!err && family == AF_INET6)
    err = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY,
                  (flags & EDDY_TCP_IPV6ONLY) ? 1 : 0);
  return err;
}

int eddy_tcp_bind(eddy_tcp_t *tcp, const struct sockaddr *addr,
                  unsigned flags) {
  eddy_stream_t *s = EDDY_STREAM(tcp);
  if (!addr || !net_usable(s)) return -EINVAL;
  if (flags & ~(EDDY_TCP_REUSEPORT | EDDY_TCP_IPV6ONLY)) return -EINVAL;
  socklen_t len = addr_len(addr);
  if (len == 0) return -EINVAL;
  if (s->_flags & (S_LISTENING | S_CONNECTED | S_CONNECTING)) return -EISCONN;
  int err = bind_socket(s, addr->sa_family, flags);
  if (err) return err;
  return bind(s->_io.fd, addr, len) ? -errno : 0;
}

int eddy_tcp_bind_ip(eddy_tcp_t *tcp, const char *ip, int port,
                     unsigned flags) {
  struct sockaddr_storage ss;
  int err = eddy_net_addr(ip, port, &ss);
  return err ? err : eddy_tcp_bind(tcp, (struct sockaddr *)&ss, flags);
}

int eddy_tcp_connect(eddy_connect_t *req, eddy_tcp_t *tcp,
                     const struct sockaddr *addr, eddy_connect_cb cb) {
  if (!req || !addr) return -EINVAL;
  socklen_t len = addr_len(addr);
  if (len == 0) return -EINVAL;
  return eddy__stream_connect(req, EDDY_STREAM(tcp), addr, len, cb);
}

int eddy_tcp_connect_ip(eddy_connect_t *req, eddy_tcp_t *tcp, const char *ip,
                        int port, eddy_connect_cb cb) {
  struct sockaddr_storage ss;
  int err = eddy_net_addr(ip, port, &ss);
  return err ? err : eddy_tcp_connect(req, tcp, (struct sockaddr *)&ss, cb);
}

int eddy_tcp_nodelay(eddy_tcp_t *tcp, int on) {
  int fd = net_fd(EDDY_STREAM(tcp));
  if (fd < 0) return -EBADF;
  return set_int(fd, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}

int eddy_tcp_keepalive(eddy_tcp_t *tcp, int on, unsigned idle_s) {
  int fd = net_fd(EDDY_STREAM(tcp));
  if (fd < 0) return -EBADF;
  if (on && (idle_s == 0 || idle_s > 32767)) return -EINVAL;
  int err = set_int(fd, SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0);
  if (err || !on) return err;
  err = set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, (int)idle_s);
  return err ? err : set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, (int)idle_s);
}

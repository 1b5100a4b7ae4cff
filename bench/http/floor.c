/*
 * bench/http/floor: the practical limit of this machine for the hello
 * benchmark. A bare epoll loop that answers each "\r\n\r\n" it finds with
 * one fixed response and does nothing else: no parsing, no headers, no
 * timeouts. `floor PORT` listens on 127.0.0.1:PORT.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floor.h"


/* Per connection: count_requests' carry-over. */
static unsigned char matched[65536];

static void serve(int fd) {
  static char buf[65536], out[sizeof(resp) * 256];
  ssize_t n = read(fd, buf, sizeof(buf));
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return;
    close(fd);
    return;
  }
  int k = count_requests(&matched[fd], buf, n);
  size_t len = fill_responses(out, sizeof(out), k);
  if (len && write(fd, out, len) < 0) close(fd);
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1024)) {
    perror("floor: bind/listen");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}, evs[256];
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd != ls) { serve(fd); continue; }
      int c;
      while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
        if (c >= (int)sizeof(matched)) { close(c); continue; }
        matched[c] = 0;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
      }
    }
  }
}

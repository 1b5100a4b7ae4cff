/*
 * bench/http/idle: `idle PORT N HOLD_S` opens N keep-alive connections to
 * 127.0.0.1:PORT, sends one GET on each, reads each response, prints
 * "ready N" and holds them all open for HOLD_S seconds (the C10K part of
 * bench/http). Raises its own RLIMIT_NOFILE to the hard limit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

static int open_one(const struct sockaddr_in *a) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  /* Closing with a reset leaves no TIME_WAIT behind: the next round and
   * server still find free ephemeral ports after 10,000 connections. */
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  if (fd < 0 || connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0) {
    perror("idle: connect");
    exit(1);
  }
  if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1)) exit(1);
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: idle PORT N HOLD_S\n");
    return 2;
  }
  int port = (int)strtol(argv[1], NULL, 10), n = (int)strtol(argv[2], NULL, 10);
  int hold = (int)strtol(argv[3], NULL, 10);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int ep = epoll_create1(0), answered = 0;
  struct epoll_event evs[256];
  char buf[4096];
  for (int i = 0; i < n; i++) {
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = open_one(&a)};
    epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev);
    /* Keep the backlog short: collect answers as we go. */
    int k = epoll_wait(ep, evs, 256, 0);
    for (int j = 0; j < k; j++) {
      if (read(evs[j].data.fd, buf, sizeof(buf)) > 0) answered++;
      epoll_ctl(ep, EPOLL_CTL_DEL, evs[j].data.fd, NULL);
    }
  }
  time_t deadline = time(NULL) + 30;
  while (answered < n && time(NULL) < deadline) {
    int k = epoll_wait(ep, evs, 256, 1000);
    for (int j = 0; j < k; j++) {
      if (read(evs[j].data.fd, buf, sizeof(buf)) > 0) answered++;
      epoll_ctl(ep, EPOLL_CTL_DEL, evs[j].data.fd, NULL);
    }
  }
  printf("ready %d\n", answered);
  fflush(stdout);
  sleep((unsigned)hold);
  return answered == n ? 0 : 1;
}

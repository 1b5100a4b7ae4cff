/*
 * The floor for a message round trip between two threads: a ping-pong over
 * two eventfds, one message in flight, no event loop and no message
 * copies. Mode "block": each side sleeps in read(). Mode "epoll": each side
 * sleeps in epoll_wait() and then reads, as an event loop does.
 *
 *   floor_rt [ROUNDS] [block|epoll]   prints "rounds= us/round= mode="
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static long rounds;
static int use_epoll;
static int to_worker, to_main; /* eventfds */

static void wait_fd(int fd, int ep) {
  uint64_t v;
  if (ep >= 0) {
    struct epoll_event ev;
    while (epoll_wait(ep, &ev, 1, -1) != 1) {
    }
  }
  while (read(fd, &v, sizeof(v)) != sizeof(v)) {
  }
}

static void post(int fd) {
  uint64_t one = 1;
  while (write(fd, &one, sizeof(one)) != sizeof(one)) {
  }
}

static int watch(int fd) {
  if (!use_epoll) return -1;
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  return ep;
}

static void *worker(void *arg) {
  (void)arg;
  int ep = watch(to_worker);
  for (long i = 0; i < rounds; i++) {
    wait_fd(to_worker, ep);
    post(to_main);
  }
  return NULL;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv) {
  rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
  use_epoll = argc > 2 && strcmp(argv[2], "epoll") == 0;
  to_worker = eventfd(0, 0);
  to_main = eventfd(0, 0);
  int ep = watch(to_main);
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  uint64_t t0 = now_ns();
  for (long i = 0; i < rounds; i++) {
    post(to_worker);
    wait_fd(to_main, ep);
  }
  double us = (double)(now_ns() - t0) / 1e3 / (double)rounds;
  pthread_join(t, NULL);
  printf("rounds=%ld us/round=%.2f mode=%s\n", rounds, us, use_epoll ? "epoll" : "block");
  return 0;
}

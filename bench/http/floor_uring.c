/*
 * bench/http/floor_uring: bench/http/floor.c with io_uring instead of
 * epoll — does batching every connection's recv and send of a loop turn
 * into one io_uring_enter go below the epoll floor on this machine?
 * Multishot accept, one recv per connection always posted, sends without
 * completion entries, IORING_SETUP_DEFER_TASKRUN (task work runs only when
 * this thread waits). `floor_uring PORT`; bench/http/floors.sh runs it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "floor.h"

#define MAXC 4096
static unsigned char matched[MAXC];
static char bufs[MAXC][4096];
static char outs[MAXC][sizeof(resp) * 32];
static struct io_uring ring;
enum { ACCEPT = 1, RECV = 2, SEND = 3 };
#define UD(kind, fd) (((uint64_t)(kind) << 32) | (uint32_t)(fd))

static struct io_uring_sqe *sqe(void) {
  struct io_uring_sqe *s = io_uring_get_sqe(&ring);
  if (!s) { io_uring_submit(&ring); s = io_uring_get_sqe(&ring); }
  return s;
}
static void post_recv(int fd) {
  struct io_uring_sqe *s = sqe();
  io_uring_prep_recv(s, fd, bufs[fd], sizeof(bufs[fd]), 0);
  io_uring_sqe_set_data64(s, UD(RECV, fd));
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1024)) return 1;
  struct io_uring_params p = {0};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  if (io_uring_queue_init_params(1024, &ring, &p) < 0) { perror("uring"); return 1; }
  struct io_uring_sqe *s = sqe();
  io_uring_prep_multishot_accept(s, ls, NULL, NULL, 0);
  io_uring_sqe_set_data64(s, UD(ACCEPT, ls));
  for (;;) {
    io_uring_submit_and_wait(&ring, 1);
    struct io_uring_cqe *c;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&ring, head, c) {
      n++;
      uint64_t ud = c->user_data;
      int kind = (int)(ud >> 32), fd = (int)(uint32_t)ud, res = c->res;
      if (kind == ACCEPT) {
        if (res >= 0 && res < MAXC) {
          matched[res] = 0;
          setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          post_recv(res);
        } else if (res >= 0) close(res);
      } else if (kind == RECV) {
        if (res <= 0) { close(fd); continue; }
        int k = count_requests(&matched[fd], bufs[fd], res);
        size_t len = fill_responses(outs[fd], sizeof(outs[fd]), k);
        if (len) {
          struct io_uring_sqe *w = sqe();
          io_uring_prep_send(w, fd, outs[fd], len, 0);
          io_uring_sqe_set_data64(w, UD(SEND, fd));
          w->flags |= IOSQE_CQE_SKIP_SUCCESS;
        }
        post_recv(fd);
      } else if (kind == SEND) {
        if (res < 0) close(fd);
      }
    }
    io_uring_cq_advance(&ring, n);
  }
}

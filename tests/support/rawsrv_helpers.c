/* A scripted raw HTTP peer: see rawsrv_helpers.h. */
#include "support/rawsrv_helpers.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
  rawsrv_t *s;
  int fd;
} rawconn_t;

/* Waits up to `ms` for fd to be readable, watching the stop flag. */
static int wait_readable(rawsrv_t *s, int fd, unsigned ms) {
  for (unsigned waited = 0; !atomic_load(&s->stop); waited += 10) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 10) > 0) return 1;
    if (ms && waited >= ms) return 0;
  }
  return -1;
}

/* Reads one request head (to the empty line); 0, or -1 on EOF/stop/idle. */
static int read_head(rawsrv_t *s, int fd, unsigned idle_ms) {
  char buf[8192];
  size_t n = 0;
  while (n < sizeof buf - 1) {
    if (wait_readable(s, fd, idle_ms) <= 0) return -1;
    ssize_t r = recv(fd, buf + n, 1, 0); /* byte by byte: never past it */
    if (r <= 0) return -1;
    n++;
    if (n >= 4 && memcmp(buf + n - 4, "\r\n\r\n", 4) == 0) return 0;
  }
  return -1;
}

static void reset_close(int fd) {
  struct linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  close(fd);
}

static void serve(rawsrv_t *s, int fd) {
  for (int nreq = 0;; nreq++) {
    if (read_head(s, fd, nreq ? s->close_idle_ms : 0) < 0) break;
    atomic_fetch_add(&s->requests, 1);
    if (s->action == RAW_RESET) {
      reset_close(fd);
      return;
    }
    if (s->action == RAW_FIRST_ONLY && nreq == 1) break;
    if (s->action != RAW_SILENT && s->reply)
      (void)!send(fd, s->reply, strlen(s->reply), MSG_NOSIGNAL);
    if (s->action == RAW_SILENT || s->action == RAW_ANSWER_SILENT) {
      while (wait_readable(s, fd, 0) > 0) {
        char junk[256];
        if (recv(fd, junk, sizeof junk, 0) <= 0) break;
      }
      break;
    }
    if (s->action == RAW_CLOSE) break;
  }
  close(fd);
}

static void *conn_thread(void *arg) {
  rawconn_t *c = arg;
  serve(c->s, c->fd);
  atomic_fetch_sub(&c->s->active, 1);
  free(c);
  return NULL;
}

static void *accept_thread(void *arg) {
  rawsrv_t *s = arg;
  while (wait_readable(s, s->fd, 0) > 0) {
    int fd = accept(s->fd, NULL, NULL);
    if (fd < 0) continue;
    atomic_fetch_add(&s->conns, 1);
    atomic_fetch_add(&s->active, 1);
    rawconn_t *c = malloc(sizeof *c);
    c->s = s;
    c->fd = fd;
    pthread_t t;
    pthread_create(&t, NULL, conn_thread, c);
    pthread_detach(t);
  }
  return NULL;
}

static int listen_any(int backlog, int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof a;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  cr_assert_eq(listen(fd, backlog), 0);
  getsockname(fd, (struct sockaddr *)&a, &len);
  *port = ntohs(a.sin_port);
  return fd;
}

void rawsrv_start(rawsrv_t *s, const char *reply, raw_action_t action) {
  unsigned idle = s->close_idle_ms;
  memset(s, 0, sizeof *s);
  s->close_idle_ms = idle;
  s->reply = reply;
  s->action = action;
  s->fd = listen_any(64, &s->port);
  cr_assert_eq(pthread_create(&s->thread, NULL, accept_thread, s), 0);
}

void rawsrv_stop(rawsrv_t *s) {
  atomic_store(&s->stop, 1);
  pthread_join(s->thread, NULL);
  close(s->fd);
  while (atomic_load(&s->active) > 0) usleep(1000);
}

int closed_port(void) {
  int port, fd = listen_any(1, &port);
  close(fd);
  return port;
}

int full_backlog_port(int fds[3]) {
  int port;
  fds[0] = listen_any(0, &port);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 1; i < 3; i++) {
    fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(fds[i], (struct sockaddr *)&a, sizeof a);
  }
  usleep(20000); /* the handshakes settle; the queue is now full */
  return port;
}

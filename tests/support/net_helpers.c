#include "support/net_helpers.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/loop_helpers.h"

typedef struct {
  union {
    eddy_tcp_t tcp;
    eddy_unix_t unx;
  } h;
  echo_stats_t *stats;
  eddy_write_t w;
  char buf[16384];
} echo_conn_t;

static void echo_closed(eddy_handle_t *h) {
  echo_conn_t *c = (echo_conn_t *)h;
  c->stats->open--;
  free(c);
}

static void echo_alloc(eddy_stream_t *s, size_t n, eddy_buf_t *b) {
  echo_conn_t *c = (echo_conn_t *)s;
  *b = eddy_buf(c->buf, sizeof(c->buf));
}

static void echo_read(eddy_stream_t *s, ssize_t n, const eddy_buf_t *b);

static void echo_written(eddy_write_t *w, int status) {
  echo_conn_t *c = w->data;
  if (status == 0) eddy_read_start(EDDY_STREAM(c), echo_alloc, echo_read);
}

static void echo_read(eddy_stream_t *s, ssize_t n, const eddy_buf_t *b) {
  echo_conn_t *c = (echo_conn_t *)s;
  if (n < 0) {
    eddy_close(EDDY_HANDLE(s), echo_closed);
    return;
  }
  if (n == 0) return;
  c->stats->bytes += (size_t)n;
  eddy_read_stop(s); /* one write in flight: the buffer is reused after */
  eddy_buf_t out = eddy_buf(c->buf, (size_t)n);
  c->w.data = c;
  if (eddy_write(&c->w, s, &out, 1, echo_written) < 0)
    eddy_close(EDDY_HANDLE(s), echo_closed);
}

static void echo_conn(eddy_stream_t *server, int status) {
  echo_stats_t *stats = server->data;
  if (status < 0) return;
  echo_conn_t *c = calloc(1, sizeof(*c));
  if (!c) return;
  c->stats = stats;
  if (server->type == EDDY_HANDLE_TCP)
    eddy_tcp_init(server->loop, &c->h.tcp);
  else
    eddy_unix_init(server->loop, &c->h.unx);
  if (eddy_accept(server, EDDY_STREAM(c)) != 0) {
    eddy_close(EDDY_HANDLE(c), echo_closed);
    stats->open++;
    return;
  }
  stats->conns++;
  stats->open++;
  eddy_read_start(EDDY_STREAM(c), echo_alloc, echo_read);
}

int echo_listen(eddy_stream_t *server, echo_stats_t *stats) {
  memset(stats, 0, sizeof(*stats));
  server->data = stats;
  return eddy_listen(server, 128, echo_conn);
}

static void collect_alloc(eddy_stream_t *s, size_t n, eddy_buf_t *b) {
  collector_t *c = (collector_t *)s;
  if (c->cap - c->len < n) {
    c->cap = c->cap * 2 + n;
    c->data = realloc(c->data, c->cap);
  }
  *b = eddy_buf(c->data + c->len, c->cap - c->len);
}

static void collect_read(eddy_stream_t *s, ssize_t n, const eddy_buf_t *b) {
  collector_t *c = (collector_t *)s;
  if (n == EDDY_EOF) c->eof = 1;
  if (n < 0 && n != EDDY_EOF) c->err = (int)n;
  if (n > 0) c->len += (size_t)n;
  if ((c->stop_after && c->len >= c->stop_after) || n < 0) c->done = 1;
  if (c->done)
    if (!eddy_is_closing(EDDY_HANDLE(s))) eddy_close(EDDY_HANDLE(s), NULL);
}

void collector_start(collector_t *c) {
  cr_assert_eq(eddy_read_start(EDDY_STREAM(c), collect_alloc, collect_read), 0);
}

void collector_free(collector_t *c) {
  free(c->data);
  c->data = NULL;
}

int stream_port(eddy_stream_t *s) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  cr_assert_eq(eddy_stream_sockname(s, &ss, &len), 0);
  return eddy_net_port((struct sockaddr *)&ss);
}

const char *temp_dir(void) {
  static char path[64];
  memcpy(path, "/tmp/eddy-net-XXXXXX", 21);
  cr_assert_not_null(mkdtemp(path));
  return path;
}

int read_full(int fd, void *buf, size_t len) {
  size_t got = 0;
  while (got < len) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 2000) != 1) return -1;
    ssize_t n = read(fd, (char *)buf + got, len - got);
    if (n <= 0) return -1;
    got += (size_t)n;
  }
  return 0;
}

static void tick(eddy_timer_t *t) {}

void run_until(eddy_loop_t *loop, const int *flag, unsigned ms) {
  eddy_timer_t t; /* wakes ONCE runs so the deadline is checked */
  eddy_timer_init(loop, &t);
  eddy_timer_start(&t, tick, 5, 5);
  uint64_t end = now_ms() + ms;
  while (!*flag && now_ms() < end) eddy_run(loop, EDDY_RUN_ONCE);
  eddy_close(EDDY_HANDLE(&t), NULL);
  eddy_run(loop, EDDY_RUN_NOWAIT);
}

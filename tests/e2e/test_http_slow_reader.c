/*
 * Clients that read slowly or not at all. The send timeout: a client that
 * stops reading is cut off after send_timeout_ms without progress, and its
 * handler hears of it; a slow client that keeps taking bytes is never cut
 * off, even in the middle of one large write. Backpressure: a pipelining
 * client that does not read makes the server stop reading its requests,
 * not buffer every answer.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eddy/http.h"
#include "support/e2e_helpers.h"
#include "support/httpsrv_helpers.h"
#include "support/loop_helpers.h"

TestSuite(http_slow_reader, .timeout = 60);

#define CHUNK (256u * 1024u)
#define BIG (8u * 1024u * 1024u)

static char *body;
static _Atomic int gone;          /* the stalled exchange's close callback ran */
static _Atomic uint64_t gone_ms;

static void fill_body(void) {
  body = malloc(BIG);
  for (size_t i = 0; i < BIG; i++) body[i] = (char)(i * 13 + (i >> 12));
}

/* Streams CHUNKs while the queue is below its mark, until the client goes. */
static void stream_more(eddy_http_res_t *res) {
  while (eddy_http_res_write(res, body, CHUNK) == 0) {
  }
}

static void stream_gone(eddy_http_res_t *res) {
  atomic_store(&gone_ms, now_ms());
  atomic_store(&gone, 1);
  eddy_http_res_end(res, NULL, 0); /* every response ends, even a lost one */
}

static void stream_handler(eddy_http_server_t *s, eddy_http_request_t *q,
                           eddy_http_res_t *res) {
  eddy_http_res_on_drain(res, stream_more);
  eddy_http_res_on_close(res, stream_gone);
  stream_more(res);
}

static int stalled_client(int port) {
  e2e_server_t s = {.pid = 0, .port = port};
  int fd = e2e_connect(&s);
  static const char req[] = "GET /s HTTP/1.1\r\nHost: x\r\n\r\n";
  e2e_send(fd, req, sizeof(req) - 1);
  return fd; /* and never reads */
}

Test(http_slow_reader, a_client_that_stops_reading_is_cut_off) {
  fill_body();
  atomic_store(&gone, 0);
  eddy_http_server_opts_t o = {.send_timeout_ms = 300};
  tsrv_t t;
  tsrv_init(&t, &o, stream_handler);
  tsrv_run(&t);
  uint64_t t0 = now_ms();
  int fd = stalled_client(t.port);
  while (!atomic_load(&gone) && now_ms() - t0 < 10000) usleep(10000);
  cr_assert(atomic_load(&gone), "the stalled connection is still open");
  uint64_t after = atomic_load(&gone_ms) - t0;
  cr_assert_geq(after, 300, "cut off after %llu ms", (unsigned long long)after);
  cr_assert_lt(after, 5000, "cut off after %llu ms", (unsigned long long)after);
  close(fd);
  tsrv_stop(&t);
  free(body);
}

/* One write of BIG bytes, taken by a client that reads a CHUNK every 40 ms
 * (about 6 MiB/s): progress, though that write stays unfinished for longer
 * than the send timeout. */
static void big_handler(eddy_http_server_t *s, eddy_http_request_t *q,
                        eddy_http_res_t *res) {
  eddy_http_res_end(res, body, BIG);
}

Test(http_slow_reader, a_slow_reader_that_keeps_reading_is_served) {
  fill_body();
  eddy_http_server_opts_t o = {.send_timeout_ms = 150};
  tsrv_t t;
  tsrv_init(&t, &o, big_handler);
  tsrv_run(&t);
  e2e_server_t s = {.pid = 0, .port = t.port};
  int fd = e2e_connect(&s), small = 65536;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  static const char req[] = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
  e2e_send(fd, req, sizeof(req) - 1);
  size_t body_at;
  uint64_t t0 = now_ms();
  char *got = e2e_read_slowly(fd, BIG, CHUNK, 40000, NULL, NULL, &body_at);
  cr_assert_gt(now_ms() - t0, 600, "the transfer was not slow");
  cr_assert_eq(memcmp(got + body_at, body, BIG), 0);
  free(got);
  close(fd);
  tsrv_stop(&t);
  free(body);
}

/* One request for the big answer on a fresh connection, with a small
 * receive buffer: the server's first send takes part of the answer and the
 * rest is queued from inside its buffer. */
static int big_request(int port) {
  e2e_server_t s = {.pid = 0, .port = port};
  int fd = e2e_connect(&s), small = 65536;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  static const char req[] = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
  e2e_send(fd, req, sizeof(req) - 1);
  return fd;
}

static void read_whole_big(int port, int half_close) {
  int fd = big_request(port);
  if (half_close) shutdown(fd, SHUT_WR); /* answered all the same */
  size_t body_at;
  char *got = e2e_read_slowly(fd, BIG, CHUNK, 1000, NULL, NULL, &body_at);
  cr_assert_eq(memcmp(got + body_at, body, BIG), 0, "bytes differ");
  free(got);
  close(fd);
}

/* The client goes while the rest of a part-sent answer waits in the
 * stream (the write points into the connection's buffer): a reset after a
 * little was read, a close without reading, then a client that half-closes
 * after its request. Under ASan no access may touch the freed buffer, and
 * the server goes on answering whole. */
Test(http_slow_reader, clients_that_leave_while_the_rest_of_an_answer_waits) {
  fill_body();
  tsrv_t t;
  tsrv_init(&t, NULL, big_handler);
  tsrv_run(&t);
  char buf[65536];
  for (int i = 0; i < 4; i++) {
    int fd = big_request(t.port);
    if (i % 2 == 0) { /* read a little, then reset */
      usleep(20 * 1000);
      cr_assert_gt(recv(fd, buf, sizeof(buf), 0), 0);
      struct linger l = {1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    }
    close(fd);
  }
  read_whole_big(t.port, 1);
  read_whole_big(t.port, 0);
  tsrv_stop(&t);
  free(body);
}

/* ---------------------------------------------- pipelining backpressure */

#define NREQ 200
#define RESP (256u * 1024u)
static _Atomic int handled;

static void numbered_handler(eddy_http_server_t *s, eddy_http_request_t *q,
                             eddy_http_res_t *res) {
  char path[32];
  size_t n = q->path.len < sizeof(path) - 1 ? q->path.len : sizeof(path) - 1;
  memcpy(path, q->path.base, n);
  path[n] = 0;
  atomic_fetch_add(&handled, 1);
  eddy_http_res_set_header(res, "X-Path", path);
  eddy_http_res_end(res, body, RESP);
}

/* Reads one response: its X-Path must be /i and its body RESP bytes of
 * `body`. */
static void read_numbered(int fd, int i, char *buf) {
  size_t len = 0;
  char *end = NULL;
  while (!end) {
    ssize_t r = recv(fd, buf + len, 1, 0); /* byte by byte: stop at the head */
    cr_assert_eq(r, 1, "response %d: connection ended", i);
    len++;
    buf[len] = 0;
    if (len >= 4) end = strstr(buf + len - 4, "\r\n\r\n");
  }
  char want[48];
  snprintf(want, sizeof(want), "\r\nX-Path: /%d\r\n", i);
  cr_assert(strstr(buf, want), "response %d out of order:\n%s", i, buf);
  for (size_t got = 0; got < RESP;) {
    ssize_t r = recv(fd, buf, RESP - got < 65536 ? RESP - got : 65536, 0);
    cr_assert_gt(r, 0, "response %d: body ended at %zu", i, got);
    cr_assert_eq(memcmp(buf, body + got, (size_t)r), 0);
    got += (size_t)r;
  }
}

Test(http_slow_reader, pipelining_client_that_does_not_read_is_paused) {
  fill_body();
  atomic_store(&handled, 0);
  tsrv_t t;
  tsrv_init(&t, NULL, numbered_handler);
  tsrv_run(&t);
  e2e_server_t s = {.pid = 0, .port = t.port};
  int fd = e2e_connect(&s), small = 65536;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  char req[64];
  for (int i = 0; i < NREQ; i++) {
    int n = snprintf(req, sizeof(req), "GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
    e2e_send(fd, req, (size_t)n);
  }
  usleep(500000);
  /* The kernel holds a few MiB of answers; eddy stops just past 64 KiB of
   * its own. Without the pause all 200 (50 MiB) would be made now. */
  int made = atomic_load(&handled);
  cr_assert_lt(made, NREQ / 2, "%d of %d answered while the client did not read",
               made, NREQ);
  char *buf = malloc(65536 + 1);
  for (int i = 0; i < NREQ; i++) read_numbered(fd, i, buf);
  cr_assert_eq(atomic_load(&handled), NREQ);
  free(buf);
  close(fd);
  tsrv_stop(&t);
  free(body);
}

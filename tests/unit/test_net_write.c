/* Write queues: many small writes, partial writes to a slow reader, the
 * high-water mark and drain, shutdown, cancellation on close, deferral. */
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy/net.h"
#include "support/loop_helpers.h"
#include "support/net_helpers.h"

static eddy_loop_t loop;
static int connected;

static void on_connected(eddy_connect_t *req, int status) {
  cr_assert_eq(status, 0, "connect: %s", eddy_strerror(status));
  connected = 1;
}

/*
 * Connects `client` to a plain socket accepted here; returns that peer fd,
 * non-blocking, with small socket buffers on both sides so big writes are
 * partial.
 */
static int raw_peer(eddy_tcp_t *client) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  int small = 16384;
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  eddy_net_addr("127.0.0.1", 0, &ss);
  cr_assert_eq(bind(lfd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
  cr_assert_eq(listen(lfd, 4), 0);
  getsockname(lfd, (struct sockaddr *)&ss, &len);
  eddy_connect_t req;
  eddy_tcp_init(&loop, client);
  connected = 0;
  cr_assert_eq(eddy_tcp_connect(&req, client, (struct sockaddr *)&ss,
                                on_connected), 0);
  setsockopt(eddy_stream_fd(EDDY_STREAM(client)), SOL_SOCKET, SO_SNDBUF,
             &small, sizeof(small));
  run_until(&loop, &connected, 3000);
  cr_assert(connected);
  int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
  cr_assert_geq(fd, 0);
  close(lfd);
  return fd;
}

/* Reads what is available from the raw peer, at most `max` bytes. */
static size_t drain_raw(int fd, char *dst, size_t max) {
  size_t got = 0;
  while (got < max) {
    ssize_t n = read(fd, dst + got, max - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  return got;
}

/* ----------------------------------------------- many small writes */

static eddy_tcp_t server, client;
static collector_t sink;
static void accept_sink(eddy_stream_t *srv, int status) {
  eddy_tcp_init(srv->loop, &sink.h.tcp);
  cr_assert_eq(eddy_accept(srv, EDDY_STREAM(&sink)), 0);
  collector_start(&sink);
}

static int write_ok, write_calls;
static void count_ok(eddy_write_t *w, int status) {
  write_calls++;
  if (status == 0) write_ok++;
}

Test(net, two_thousand_small_writes_arrive_identical) {
  enum { N = 2000 };
  static eddy_write_t w[N];
  static char expect[N * 40];
  size_t total = 0;
  eddy_connect_t req;
  eddy_shutdown_t sh;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  memset(&sink, 0, sizeof(sink));
  eddy_tcp_init(&loop, &server);
  cr_assert_eq(eddy_tcp_bind_ip(&server, "127.0.0.1", 0, 0), 0);
  cr_assert_eq(eddy_listen(EDDY_STREAM(&server), 0, accept_sink), 0);
  eddy_tcp_init(&loop, &client);
  connected = 0;
  eddy_tcp_connect_ip(&req, &client, "127.0.0.1",
                      stream_port(EDDY_STREAM(&server)), on_connected);
  write_ok = write_calls = 0;
  for (int i = 0; i < N; i++) { /* queued before the connect completes */
    size_t len = 1 + (size_t)(i * 7) % 37;
    for (size_t k = 0; k < len; k++) expect[total + k] = (char)(i + k * 3);
    eddy_buf_t b = eddy_buf(expect + total, len);
    cr_assert_geq(eddy_write(&w[i], EDDY_STREAM(&client), &b, 1, count_ok), 0);
    total += len;
  }
  cr_assert_eq(eddy_shutdown(&sh, EDDY_STREAM(&client), NULL), 0);
  run_until(&loop, &sink.eof, 5000);
  cr_assert_eq(write_ok, N);
  cr_assert_eq(sink.len, total);
  cr_assert_eq(memcmp(sink.data, expect, total), 0, "bytes differ");
  collector_free(&sink);
  close_loop(&loop);
}

/* ------------------------------------- large write to a slow reader */

static int peer_fd, drains, write_status, write_done_before_drain;
static size_t got, queued_changes, last_queued, big_size;
static char *big, *recv_buf;
static eddy_timer_t reader;

static void slow_read(eddy_timer_t *t) {
  /* At most 64 KiB, and never past the buffer: the kernel writes only
   * what arrived, but read() is handed the whole range (memcheck). */
  size_t room = big_size - got;
  got += drain_raw(peer_fd, recv_buf + got, room < 64 * 1024 ? room : 64 * 1024);
  size_t q = eddy_stream_queued(EDDY_STREAM(&client));
  if (q != last_queued) queued_changes++;
  last_queued = q;
}

static void big_written(eddy_write_t *w, int status) {
  write_status = status;
  write_calls++;
}

static void on_drain(eddy_stream_t *s) {
  drains++;
  write_done_before_drain = write_calls;
  cr_assert_eq(eddy_stream_queued(s), 0);
}

static void setup_big(size_t size) {
  big = malloc(size);
  recv_buf = malloc(size);
  big_size = size;
  for (size_t i = 0; i < size; i++) big[i] = (char)(i * 131 + (i >> 12));
  got = queued_changes = 0;
  drains = write_calls = write_done_before_drain = 0;
  write_status = 1;
}

Test(net, large_write_to_slow_reader_completes_in_parts) {
  const size_t size = 6u << 20;
  eddy_write_t w;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  peer_fd = raw_peer(&client);
  setup_big(size);
  eddy_stream_set_high_water(EDDY_STREAM(&client), 0, on_drain);
  eddy_buf_t b[2] = {eddy_buf(big, size / 3), eddy_buf(big + size / 3,
                                                       size - size / 3)};
  cr_assert_eq(eddy_write(&w, EDDY_STREAM(&client), b, 2, big_written), 1);
  last_queued = eddy_stream_queued(EDDY_STREAM(&client));
  cr_assert_gt(last_queued, 0, "the kernel cannot take 6 MiB at once");
  cr_assert_lt(last_queued, size, "the first write was not tried at once");
  eddy_timer_init(&loop, &reader);
  eddy_timer_start(&reader, slow_read, 1, 1);
  run_until(&loop, &drains, 15000);
  fcntl(peer_fd, F_SETFL, 0); /* the rest is in flight: wait for it */
  if (read_full(peer_fd, recv_buf + got, size - got) == 0) got = size;
  cr_assert_eq(write_status, 0);
  cr_assert_eq(drains, 1);
  cr_assert_gt(queued_changes, 3, "the queue should shrink in many steps");
  cr_assert_eq(got, size);
  cr_assert_eq(memcmp(recv_buf, big, size), 0, "bytes differ");
  free(big);
  free(recv_buf);
  close(peer_fd);
  close_loop(&loop);
}

Test(net, high_water_mark_and_drain) {
  const size_t size = 1u << 20;
  eddy_write_t w1, w2;
  int never = 0;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  peer_fd = raw_peer(&client);
  setup_big(size);
  cr_assert_eq(eddy_stream_set_high_water(EDDY_STREAM(&client), 1000,
                                          on_drain), 0);
  eddy_buf_t b = eddy_buf(big, 100);
  cr_assert_eq(eddy_write(&w1, EDDY_STREAM(&client), &b, 1, big_written), 0,
               "below the mark");
  b = eddy_buf(big + 100, size - 100);
  cr_assert_eq(eddy_write(&w2, EDDY_STREAM(&client), &b, 1, big_written), 1,
               "at or above the mark");
  run_until(&loop, &never, 50); /* the peer does not read yet */
  cr_assert_eq(drains, 0, "drain before the queue emptied");
  cr_assert_gt(eddy_stream_queued(EDDY_STREAM(&client)), 0);
  eddy_timer_init(&loop, &reader);
  eddy_timer_start(&reader, slow_read, 1, 1);
  run_until(&loop, &drains, 15000);
  run_until(&loop, &never, 20);
  cr_assert_eq(drains, 1);
  cr_assert_eq(write_done_before_drain, 2, "write callbacks come first");
  free(big);
  free(recv_buf);
  close(peer_fd);
  close_loop(&loop);
}

/* Sends now or not at all: whole when the kernel has room, part when it
 * fills, -EAGAIN with a write queued (bytes must not overtake it), and the
 * eddy_write() refusals; the peer gets every byte once, in order. */
Test(net, try_write_sends_now_and_never_overtakes_the_queue) {
  const size_t size = 4u << 20;
  eddy_write_t w;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  peer_fd = raw_peer(&client);
  setup_big(size);
  eddy_stream_t *s = EDDY_STREAM(&client);
  eddy_buf_t b = eddy_buf(big, 100);
  cr_assert_eq(eddy_try_write(s, &b, 1), 100);
  cr_assert_eq(eddy_try_write(s, &b, 0), -EINVAL);
  b = eddy_buf(big + 100, size - 100);
  ssize_t part = eddy_try_write(s, &b, 1);
  cr_assert(part > 0 && (size_t)part < size - 100, "took %zd", part);
  cr_assert_eq(eddy_stream_queued(s), 0, "try_write queued bytes");
  /* Queue the rest, then nothing may go before it. */
  b = eddy_buf(big + 100 + part, size - 100 - (size_t)part);
  cr_assert_eq(eddy_write(&w, s, &b, 1, big_written), 1);
  eddy_buf_t one = eddy_buf("x", 1);
  cr_assert_eq(eddy_try_write(s, &one, 1), -EAGAIN, "overtook the queue");
  eddy_timer_init(&loop, &reader);
  eddy_timer_start(&reader, slow_read, 1, 1);
  run_until(&loop, &write_calls, 15000); /* the queued write finished */
  cr_assert_eq(write_status, 0);
  fcntl(peer_fd, F_SETFL, 0);
  if (read_full(peer_fd, recv_buf + got, size - got) == 0) got = size;
  cr_assert_eq(got, size);
  cr_assert_eq(memcmp(recv_buf, big, size), 0, "bytes differ");
  eddy_shutdown_t sh;
  cr_assert_eq(eddy_shutdown(&sh, s, NULL), 0);
  cr_assert_eq(eddy_try_write(s, &one, 1), -EPIPE);
  free(big);
  free(recv_buf);
  close(peer_fd);
  close_loop(&loop);
}

/* ------------------------------------------------------- shutdown */

static int shut_status = 1;
static void on_shut(eddy_shutdown_t *req, int status) { shut_status = status; }

Test(net, shutdown_gives_peer_eof) {
  eddy_connect_t req;
  eddy_shutdown_t sh;
  eddy_write_t w;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  memset(&sink, 0, sizeof(sink));
  eddy_tcp_init(&loop, &server);
  cr_assert_eq(eddy_tcp_bind_ip(&server, "127.0.0.1", 0, 0), 0);
  cr_assert_eq(eddy_listen(EDDY_STREAM(&server), 0, accept_sink), 0);
  eddy_tcp_init(&loop, &client);
  connected = 0;
  eddy_tcp_connect_ip(&req, &client, "127.0.0.1",
                      stream_port(EDDY_STREAM(&server)), on_connected);
  run_until(&loop, &connected, 3000);
  eddy_buf_t b = eddy_buf("bye", 3);
  cr_assert_eq(eddy_write(&w, EDDY_STREAM(&client), &b, 1, NULL), 0);
  cr_assert_eq(eddy_shutdown(&sh, EDDY_STREAM(&client), on_shut), 0);
  cr_assert_eq(shut_status, 1, "shutdown callback ran inline");
  cr_assert_eq(eddy_shutdown(&sh, EDDY_STREAM(&client), on_shut), -EALREADY);
  cr_assert_eq(eddy_write(&w, EDDY_STREAM(&client), &b, 1, NULL), -EPIPE);
  run_until(&loop, &sink.eof, 3000);
  cr_assert_eq(shut_status, 0);
  cr_assert(sink.eof);
  cr_assert_eq(sink.len, 3);
  cr_assert_eq(memcmp(sink.data, "bye", 3), 0);
  collector_free(&sink);
  close_loop(&loop);
}

/* ----------------------------------------------- close and deferral */

static int order[16], norder;
static void log_write(eddy_write_t *w, int status) {
  order[norder++] = status;
}
static void log_close(eddy_handle_t *h) { order[norder++] = 1000; }

Test(net, close_cancels_pending_writes_before_close_cb) {
  const size_t size = 2u << 20;
  eddy_write_t w[3];
  cr_assert_eq(eddy_loop_init(&loop), 0);
  peer_fd = raw_peer(&client);
  setup_big(size);
  norder = 0;
  eddy_buf_t b = eddy_buf(big, size);
  for (int i = 0; i < 3; i++)
    cr_assert_geq(eddy_write(&w[i], EDDY_STREAM(&client), &b, 1, log_write), 0);
  cr_assert_gt(eddy_stream_queued(EDDY_STREAM(&client)), 2 * size);
  cr_assert_eq(eddy_close(EDDY_HANDLE(&client), log_close), 0);
  cr_assert_eq(norder, 0, "callbacks ran inside eddy_close");
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(norder, 4);
  for (int i = 0; i < 3; i++)
    cr_assert_eq(order[i], -ECANCELED, "write %d: %d", i, order[i]);
  cr_assert_eq(order[3], 1000, "close callback comes last");
  free(big);
  free(recv_buf);
  close(peer_fd);
  close_loop(&loop);
}

Test(net, write_callback_is_never_inline) {
  eddy_write_t w;
  char got3[3];
  cr_assert_eq(eddy_loop_init(&loop), 0);
  peer_fd = raw_peer(&client);
  norder = 0;
  eddy_buf_t b = eddy_buf("abc", 3);
  cr_assert_eq(eddy_write(&w, EDDY_STREAM(&client), &b, 1, log_write), 0);
  cr_assert_eq(eddy_stream_queued(EDDY_STREAM(&client)), 0,
               "a small write goes out at once");
  cr_assert_eq(norder, 0, "write callback ran inside eddy_write");
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(norder, 1);
  cr_assert_eq(order[0], 0);
  fcntl(peer_fd, F_SETFL, 0);
  cr_assert_eq(read_full(peer_fd, got3, 3), 0);
  cr_assert_eq(memcmp(got3, "abc", 3), 0);
  close(peer_fd);
  close_loop(&loop);
}

Test(net, many_buffers_in_one_write) {
  enum { NB = 3000 }; /* more than IOV_MAX: flushed in several sendmsg */
  static eddy_buf_t bufs[NB];
  static char bytes[NB], got_all[NB];
  eddy_write_t w;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  peer_fd = raw_peer(&client);
  for (int i = 0; i < NB; i++) {
    bytes[i] = (char)(i * 7);
    bufs[i] = eddy_buf(bytes + i, 1);
  }
  norder = 0;
  cr_assert_eq(eddy_write(&w, EDDY_STREAM(&client), bufs, NB, log_write), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(norder, 1);
  cr_assert_eq(order[0], 0);
  fcntl(peer_fd, F_SETFL, 0);
  cr_assert_eq(read_full(peer_fd, got_all, NB), 0);
  cr_assert_eq(memcmp(got_all, bytes, NB), 0);
  close(peer_fd);
  close_loop(&loop);
}

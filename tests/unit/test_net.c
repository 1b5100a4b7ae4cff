/* Streams: listen/connect/echo on IPv4, IPv6 and Unix; connect errors;
 * reads; options and addresses; misuse. */
#include <fcntl.h>
#include <stdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>

#include "eddy/net.h"
#include "support/loop_helpers.h"
#include "support/net_helpers.h"

TestSuite(net, .timeout = 20);

static eddy_loop_t loop;
static int conn_status, conn_calls;
static eddy_write_t hello_w;
static const char hello[] = "hello eddy";

static void send_hello(eddy_connect_t *req, int status) {
  conn_status = status;
  conn_calls++;
  if (status) return;
  collector_t *c = req->data;
  eddy_buf_t b = eddy_buf(hello, sizeof(hello) - 1);
  cr_assert_eq(eddy_write(&hello_w, EDDY_STREAM(c), &b, 1, NULL), 0);
  collector_start(c);
}

static void expect_echo(collector_t *c, echo_stats_t *st) {
  run_until(&loop, &c->done, 3000);
  cr_assert_eq(conn_status, 0, "connect: %s", eddy_strerror(conn_status));
  cr_assert_eq(c->len, sizeof(hello) - 1);
  cr_assert_eq(memcmp(c->data, hello, c->len), 0);
  cr_assert_eq(st->conns, 1);
  collector_free(c);
}

static void echo_tcp(const char *ip) {
  eddy_tcp_t server;
  echo_stats_t st;
  collector_t c = {.stop_after = sizeof(hello) - 1};
  eddy_connect_t req = {.data = &c};
  eddy_tcp_init(&loop, &server);
  int err = eddy_tcp_bind_ip(&server, ip, 0, 0);
  if (err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT) {
    close_loop(&loop);
    cr_skip_test("%s cannot be bound on this machine: %s", ip,
                 eddy_strerror(err));
  }
  cr_assert_eq(err, 0, "bind %s: %s", ip, eddy_strerror(err));
  cr_assert_eq(echo_listen(EDDY_STREAM(&server), &st), 0);
  eddy_tcp_init(&loop, &c.h.tcp);
  cr_assert_eq(eddy_tcp_connect_ip(&req, &c.h.tcp, ip,
                                   stream_port(EDDY_STREAM(&server)),
                                   send_hello), 0);
  expect_echo(&c, &st);
  close_loop(&loop);
}

Test(net, echo_ipv4) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  echo_tcp("127.0.0.1");
}

Test(net, echo_ipv6) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  echo_tcp("::1");
}

Test(net, echo_unix) {
  char path[128];
  const char *dir = temp_dir();
  snprintf(path, sizeof(path), "%s/s.sock", dir);
  eddy_unix_t server;
  echo_stats_t st;
  collector_t c = {.stop_after = sizeof(hello) - 1};
  eddy_connect_t req = {.data = &c};
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_unix_init(&loop, &server);
  cr_assert_eq(eddy_unix_bind(&server, path), 0);
  cr_assert_eq(echo_listen(EDDY_STREAM(&server), &st), 0);
  eddy_unix_init(&loop, &c.h.unx);
  cr_assert_eq(eddy_unix_connect(&req, &c.h.unx, path, send_hello), 0);
  cr_assert_eq(conn_calls, 0, "connect callback ran inline");
  expect_echo(&c, &st);
  close_loop(&loop);
  unlink(path);
  rmdir(dir);
}

static void record_connect(eddy_connect_t *req, int status) {
  conn_status = status;
  conn_calls++;
}

Test(net, connect_refused_arrives_in_callback) {
  /* A bound socket that does not listen: its port refuses connections. */
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  eddy_net_addr("127.0.0.1", 0, &ss);
  cr_assert_eq(bind(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
  getsockname(fd, (struct sockaddr *)&ss, &len);
  eddy_tcp_t t;
  eddy_connect_t req;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_tcp_init(&loop, &t);
  conn_calls = 0;
  cr_assert_eq(eddy_tcp_connect(&req, &t, (struct sockaddr *)&ss,
                                record_connect), 0);
  cr_assert_eq(conn_calls, 0, "callback ran inside eddy_tcp_connect");
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(conn_calls, 1);
  cr_assert_eq(conn_status, -ECONNREFUSED, "got %s", eddy_err_name(conn_status));
  close(fd);
  close_loop(&loop);
}

Test(net, unix_connect_missing_path_gives_enoent) {
  eddy_unix_t u;
  eddy_connect_t req;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_unix_init(&loop, &u);
  conn_calls = 0;
  cr_assert_eq(eddy_unix_connect(&req, &u, "/nonexistent/eddy.sock",
                                 record_connect), 0);
  cr_assert_eq(conn_calls, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(conn_calls, 1);
  cr_assert_eq(conn_status, -ENOENT);
  close_loop(&loop);
}

static int writes_called;
static void count_write(eddy_write_t *w, int status) { writes_called++; }
static void nop_alloc(eddy_stream_t *s, size_t n, eddy_buf_t *b) {}
static void nop_read(eddy_stream_t *s, ssize_t n, const eddy_buf_t *b) {}
static void nop_conn(eddy_stream_t *s, int status) {}

Test(net, misuse_returns_errors_without_callbacks) {
  eddy_tcp_t t, server;
  eddy_write_t w;
  eddy_connect_t req;
  eddy_buf_t b = eddy_buf("x", 1);
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_tcp_init(&loop, &t);
  writes_called = conn_calls = 0;
  cr_assert_eq(eddy_write(&w, EDDY_STREAM(&t), &b, 1, count_write), -ENOTCONN);
  cr_assert_eq(eddy_write(&w, EDDY_STREAM(&t), &b, 0, count_write), -EINVAL);
  cr_assert_eq(eddy_write_fd(&w, EDDY_STREAM(&t), &b, 1, 0, count_write),
               -EINVAL, "fds go over Unix streams only");
  cr_assert_eq(eddy_read_start(EDDY_STREAM(&t), nop_alloc, nop_read),
               -ENOTCONN);
  cr_assert_eq(eddy_read_start(EDDY_STREAM(&t), NULL, nop_read), -EINVAL);
  cr_assert_eq(eddy_listen(EDDY_STREAM(&t), 0, nop_conn), -EBADF);
  cr_assert_eq(eddy_tcp_nodelay(&t, 1), -EBADF);
  cr_assert_eq(eddy_tcp_connect_ip(&req, &t, "localhost", 80, record_connect),
               -EINVAL, "names are never resolved");
  cr_assert_eq(eddy_tcp_connect_ip(&req, &t, "127.0.0.1", 80, NULL), -EINVAL);
  cr_assert_eq(eddy_tcp_bind_ip(&t, "127.0.0.1", 0, 0x100), -EINVAL);
  cr_assert_eq(eddy_tcp_bind_ip(&t, "127.0.0.1", 70000, 0), -EINVAL);
  eddy_tcp_init(&loop, &server);
  cr_assert_eq(eddy_tcp_bind_ip(&server, "127.0.0.1", 0, 0), 0);
  cr_assert_eq(eddy_listen(EDDY_STREAM(&server), 0, nop_conn), 0);
  cr_assert_eq(eddy_accept(EDDY_STREAM(&server), EDDY_STREAM(&t)), -EAGAIN);
  cr_assert_eq(eddy_write(&w, EDDY_STREAM(&server), &b, 1, count_write),
               -EINVAL);
  eddy_close(EDDY_HANDLE(&t), NULL);
  cr_assert_eq(eddy_tcp_bind_ip(&t, "127.0.0.1", 0, 0), -EINVAL);
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(writes_called + conn_calls, 0);
  close_loop(&loop);
}

/* Two connected TCP streams of the loop: a client and its accepted peer. */
static eddy_tcp_t acc_server, acc_peer;
static int accepted;
static void accept_peer(eddy_stream_t *server, int status) {
  cr_assert_eq(status, 0);
  eddy_tcp_init(server->loop, &acc_peer);
  cr_assert_eq(eddy_accept(server, EDDY_STREAM(&acc_peer)), 0);
  cr_assert_eq(eddy_accept(server, EDDY_STREAM(&acc_peer)), -EAGAIN);
  accepted = 1;
}

static void tcp_pair(eddy_tcp_t *client) {
  eddy_connect_t req;
  eddy_tcp_init(&loop, &acc_server);
  cr_assert_eq(eddy_tcp_bind_ip(&acc_server, "127.0.0.1", 0, 0), 0);
  cr_assert_eq(eddy_listen(EDDY_STREAM(&acc_server), 0, accept_peer), 0);
  eddy_tcp_init(&loop, client);
  conn_calls = accepted = 0;
  cr_assert_eq(eddy_tcp_connect_ip(&req, client, "127.0.0.1",
                                   stream_port(EDDY_STREAM(&acc_server)),
                                   record_connect), 0);
  while (!conn_calls || !accepted) eddy_run(&loop, EDDY_RUN_ONCE);
  cr_assert_eq(conn_status, 0);
}

Test(net, addresses_and_options) {
  eddy_tcp_t client;
  struct sockaddr_storage a, b;
  socklen_t la = sizeof(a), lb = sizeof(b);
  int v;
  socklen_t lv = sizeof(v);
  cr_assert_eq(eddy_loop_init(&loop), 0);
  tcp_pair(&client);
  cr_assert_eq(eddy_stream_peername(EDDY_STREAM(&client), &a, &la), 0);
  cr_assert_eq(eddy_net_port((struct sockaddr *)&a),
               stream_port(EDDY_STREAM(&acc_server)));
  cr_assert_eq(eddy_stream_sockname(EDDY_STREAM(&client), &a, &la), 0);
  cr_assert_eq(eddy_stream_peername(EDDY_STREAM(&acc_peer), &b, &lb), 0);
  cr_assert_eq(eddy_net_port((struct sockaddr *)&a),
               eddy_net_port((struct sockaddr *)&b));
  int fd = eddy_stream_fd(EDDY_STREAM(&client));
  cr_assert_eq(eddy_tcp_nodelay(&client, 1), 0);
  getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &lv);
  cr_assert_neq(v, 0);
  cr_assert_eq(eddy_tcp_keepalive(&client, 1, 30), 0);
  getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &lv);
  cr_assert_neq(v, 0);
  getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &lv);
  cr_assert_eq(v, 30);
  cr_assert_eq(eddy_tcp_keepalive(&client, 0, 0), 0);
  getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &lv);
  cr_assert_eq(v, 0);
  getsockopt(eddy_stream_fd(EDDY_STREAM(&acc_server)), SOL_SOCKET,
             SO_REUSEADDR, &v, &lv);
  cr_assert_neq(v, 0, "listeners always get SO_REUSEADDR");
  cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
  cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  close_loop(&loop);
}

Test(net, reuseport_lets_two_listeners_share_a_port) {
  eddy_tcp_t a, b, c;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_tcp_init(&loop, &a);
  eddy_tcp_init(&loop, &b);
  eddy_tcp_init(&loop, &c);
  cr_assert_eq(eddy_tcp_bind_ip(&a, "127.0.0.1", 0, EDDY_TCP_REUSEPORT), 0);
  cr_assert_eq(eddy_listen(EDDY_STREAM(&a), 0, nop_conn), 0);
  int port = stream_port(EDDY_STREAM(&a));
  cr_assert_eq(eddy_tcp_bind_ip(&b, "127.0.0.1", port, EDDY_TCP_REUSEPORT), 0);
  cr_assert_eq(eddy_tcp_bind_ip(&c, "127.0.0.1", port, 0), -EADDRINUSE);
  close_loop(&loop);
}

Test(net, stream_open_wraps_an_existing_socket) {
  int sv[2];
  eddy_unix_t u;
  eddy_write_t w;
  char got[3];
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_unix_init(&loop, &u);
  cr_assert_eq(eddy_stream_open(EDDY_STREAM(&u), sv[0]), 0);
  cr_assert_eq(eddy_stream_open(EDDY_STREAM(&u), sv[0]), -EISCONN);
  cr_assert(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
  eddy_buf_t b = eddy_buf("abc", 3);
  cr_assert_eq(eddy_write(&w, EDDY_STREAM(&u), &b, 1, NULL), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(read_full(sv[1], got, 3), 0);
  cr_assert_eq(memcmp(got, "abc", 3), 0);
  close_loop(&loop);
  cr_assert_eq(read(sv[1], got, 1), 0, "closing the stream closed the fd");
  close(sv[1]);
}

/* Reader that stops after each callback, or closes on the first. */
static int reads, read_bytes, close_on_read;
static char small[4];
static void small_alloc(eddy_stream_t *s, size_t n, eddy_buf_t *b) {
  *b = eddy_buf(small, sizeof(small));
}
static void stop_read(eddy_stream_t *s, ssize_t n, const eddy_buf_t *b) {
  reads++;
  if (n > 0) read_bytes += (int)n;
  if (close_on_read)
    eddy_close(EDDY_HANDLE(s), NULL);
  else
    eddy_read_stop(s);
}

Test(net, read_stop_stops_callbacks) {
  eddy_unix_t a, b;
  eddy_write_t w1, w2;
  int never = 0;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_unix_init(&loop, &a);
  eddy_unix_init(&loop, &b);
  cr_assert_eq(eddy_unix_pair(&a, &b), 0);
  reads = read_bytes = close_on_read = 0;
  eddy_buf_t x = eddy_buf("one", 3), y = eddy_buf("two", 3);
  cr_assert_eq(eddy_read_start(EDDY_STREAM(&b), small_alloc, stop_read), 0);
  eddy_write(&w1, EDDY_STREAM(&a), &x, 1, NULL);
  run_until(&loop, &reads, 2000);
  cr_assert_eq(reads, 1);
  eddy_write(&w2, EDDY_STREAM(&a), &y, 1, NULL);
  run_until(&loop, &never, 50);
  cr_assert_eq(reads, 1, "a stopped stream got a read callback");
  cr_assert_eq(eddy_read_start(EDDY_STREAM(&b), small_alloc, stop_read), 0);
  run_until(&loop, &never, 50);
  cr_assert_eq(reads, 2);
  cr_assert_eq(read_bytes, 6);
  close_loop(&loop);
}

Test(net, close_inside_read_callback_with_more_data) {
  eddy_unix_t a, b;
  eddy_write_t w;
  int never = 0;
  static char lots[1000];
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_unix_init(&loop, &a);
  eddy_unix_init(&loop, &b);
  cr_assert_eq(eddy_unix_pair(&a, &b), 0);
  reads = read_bytes = 0;
  close_on_read = 1;
  eddy_buf_t x = eddy_buf(lots, sizeof(lots));
  eddy_write(&w, EDDY_STREAM(&a), &x, 1, NULL);
  eddy_run(&loop, EDDY_RUN_NOWAIT); /* the bytes are in b's socket now */
  cr_assert_eq(eddy_read_start(EDDY_STREAM(&b), small_alloc, stop_read), 0);
  run_until(&loop, &never, 30);
  cr_assert_eq(reads, 1);
  cr_assert(eddy_is_closing(EDDY_HANDLE(&b)));
  close_loop(&loop);
}

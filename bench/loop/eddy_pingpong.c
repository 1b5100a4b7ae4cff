/*
 * eddy side of the TCP ping-pong in bench/loop: a client and a server on
 * one loop over 127.0.0.1 exchange a 4-byte "PING" `n` times, one in flight
 * (libuv's tcp_pingpong shape). Prints the result line of common.h.
 */
#include "eddy.h"
#include "common.h"

static eddy_loop_t loop;
static eddy_tcp_t server, accepted, client;
static eddy_connect_t conn_req;
static eddy_write_t wreq_client, wreq_server;
static char cbuf[64], sbuf[64];
static long rounds, target;
static double t0;

static void on_write(eddy_write_t *req, int status) {
  if (status) fprintf(stderr, "write: %s\n", eddy_strerror(status)), exit(1);
}

static void send_ping(eddy_stream_t *s, eddy_write_t *req) {
  eddy_buf_t b = {.base = "PING", .len = 4};
  eddy_write(req, s, &b, 1, on_write);
}

static void alloc_client(eddy_stream_t *s, size_t hint, eddy_buf_t *b) {
  b->base = cbuf;
  b->len = sizeof(cbuf);
}
static void alloc_server(eddy_stream_t *s, size_t hint, eddy_buf_t *b) {
  b->base = sbuf;
  b->len = sizeof(sbuf);
}

static void server_read(eddy_stream_t *s, ssize_t n, const eddy_buf_t *b) {
  if (n <= 0) return;
  eddy_buf_t echo = {.base = sbuf, .len = (size_t)n}; /* one in flight */
  eddy_write(&wreq_server, s, &echo, 1, on_write);
}

static long got_bytes;

static void client_read(eddy_stream_t *s, ssize_t n, const eddy_buf_t *b) {
  if (n <= 0) return;
  got_bytes += n;
  if (got_bytes < 4) return; /* a split PING */
  got_bytes -= 4;
  if (++rounds == target) {
    report("eddy", "pingpong", target, now_s() - t0);
    eddy_close(EDDY_HANDLE(&client), NULL);
    eddy_close(EDDY_HANDLE(&accepted), NULL);
    eddy_close(EDDY_HANDLE(&server), NULL);
    return;
  }
  send_ping(s, &wreq_client);
}

static void on_connection(eddy_stream_t *srv, int status) {
  eddy_tcp_init(&loop, &accepted);
  eddy_accept(srv, EDDY_STREAM(&accepted));
  eddy_tcp_nodelay(&accepted, 1);
  eddy_read_start(EDDY_STREAM(&accepted), alloc_server, server_read);
}

static void on_connect(eddy_connect_t *req, int status) {
  if (status) fprintf(stderr, "connect: %s\n", eddy_strerror(status)), exit(1);
  eddy_tcp_nodelay(&client, 1);
  eddy_read_start(EDDY_STREAM(&client), alloc_client, client_read);
  t0 = now_s();
  send_ping(EDDY_STREAM(&client), &wreq_client);
}

int main(int argc, char **argv) {
  target = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  eddy_loop_init(&loop);
  eddy_tcp_init(&loop, &server);
  eddy_tcp_bind_ip(&server, "127.0.0.1", 0, 0);
  eddy_listen(EDDY_STREAM(&server), 16, on_connection);
  eddy_stream_sockname(EDDY_STREAM(&server), &ss, &len);
  eddy_tcp_init(&loop, &client);
  eddy_tcp_connect_ip(&conn_req, &client, "127.0.0.1",
                      eddy_net_port((struct sockaddr *)&ss), on_connect);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  return eddy_loop_close(&loop) ? 1 : 0;
}

/*
 * libuv side of the TCP ping-pong in bench/loop: the same exchange as
 * eddy_pingpong.c (one loop, client and server, 4 bytes, one in flight).
 */
#include <uv.h>

#include "common.h"

static uv_loop_t *loop;
static uv_tcp_t server, accepted, client;
static uv_connect_t conn_req;
static uv_write_t wreq_client, wreq_server;
static char cbuf[64], sbuf[64];
static long rounds, target, got_bytes;
static double t0;

static void on_write(uv_write_t *req, int status) {
  if (status) fprintf(stderr, "write: %s\n", uv_strerror(status)), exit(1);
}

static void alloc_client(uv_handle_t *h, size_t hint, uv_buf_t *b) { *b = uv_buf_init(cbuf, sizeof(cbuf)); }
static void alloc_server(uv_handle_t *h, size_t hint, uv_buf_t *b) { *b = uv_buf_init(sbuf, sizeof(sbuf)); }

static void server_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  if (n <= 0) return;
  uv_buf_t echo = uv_buf_init(sbuf, (unsigned)n);
  uv_write(&wreq_server, s, &echo, 1, on_write);
}

static void send_ping(void) {
  uv_buf_t b = uv_buf_init("PING", 4);
  uv_write(&wreq_client, (uv_stream_t *)&client, &b, 1, on_write);
}

static void client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  if (n <= 0) return;
  got_bytes += n;
  if (got_bytes < 4) return;
  got_bytes -= 4;
  if (++rounds == target) {
    report("libuv", "pingpong", target, now_s() - t0);
    uv_close((uv_handle_t *)&client, NULL);
    uv_close((uv_handle_t *)&accepted, NULL);
    uv_close((uv_handle_t *)&server, NULL);
    return;
  }
  send_ping();
}

static void on_connection(uv_stream_t *srv, int status) {
  uv_tcp_init(loop, &accepted);
  uv_accept(srv, (uv_stream_t *)&accepted);
  uv_tcp_nodelay(&accepted, 1);
  uv_read_start((uv_stream_t *)&accepted, alloc_server, server_read);
}

static void on_connect(uv_connect_t *req, int status) {
  if (status) fprintf(stderr, "connect: %s\n", uv_strerror(status)), exit(1);
  uv_tcp_nodelay(&client, 1);
  uv_read_start((uv_stream_t *)&client, alloc_client, client_read);
  t0 = now_s();
  send_ping();
}

int main(int argc, char **argv) {
  target = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
  struct sockaddr_in addr;
  struct sockaddr_storage ss;
  int len = sizeof(ss);
  loop = uv_default_loop();
  uv_ip4_addr("127.0.0.1", 0, &addr);
  uv_tcp_init(loop, &server);
  uv_tcp_bind(&server, (struct sockaddr *)&addr, 0);
  uv_listen((uv_stream_t *)&server, 16, on_connection);
  uv_tcp_getsockname(&server, (struct sockaddr *)&ss, &len);
  uv_tcp_init(loop, &client);
  uv_tcp_connect(&conn_req, &client, (struct sockaddr *)&ss, on_connect);
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}

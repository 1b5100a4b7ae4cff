/*
 * The HTTP server: listener, connection limit, graceful close.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "http/conn.h"

/* Leaves room under the open-file limit for the listener, files being
 * sent, logs and the program's own descriptors. */
static unsigned default_max_connections(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
    return 65536;
  rlim_t n = rl.rlim_cur > 128 ? rl.rlim_cur - 64 : 64;
  return n > 0xFFFFFFF ? 0xFFFFFFF : (unsigned)n;
}

static void fill_defaults(eddy_http_server_opts_t *o) {
  eddy_http_limits_t *l = &o->limits;
  if (!l->max_request_line)
    l->max_request_line = EDDY_HTTP_DEFAULT_MAX_REQUEST_LINE;
  if (!l->max_header_bytes)
    l->max_header_bytes = EDDY_HTTP_DEFAULT_MAX_HEADER_BYTES;
  if (!l->max_headers) l->max_headers = EDDY_HTTP_DEFAULT_MAX_HEADERS;
  if (!l->max_body) l->max_body = EDDY_HTTP_DEFAULT_MAX_BODY;
  if (!l->max_chunk_ext) l->max_chunk_ext = EDDY_HTTP_DEFAULT_MAX_CHUNK_EXT;
  if (!l->max_trailer_bytes)
    l->max_trailer_bytes = EDDY_HTTP_DEFAULT_MAX_TRAILER_BYTES;
  if (!o->headers_timeout_ms) o->headers_timeout_ms = 60000;
  if (!o->request_timeout_ms) o->request_timeout_ms = 300000;
  if (!o->keep_alive_timeout_ms) o->keep_alive_timeout_ms = 5000;
  if (!o->send_timeout_ms) o->send_timeout_ms = 60000;
  if (!o->backlog) o->backlog = 511;
  if (!o->body_timeout_ms) o->body_timeout_ms = 60000;
  if (!o->max_connections) o->max_connections = default_max_connections();
}

int eddy_http_server_init(eddy_loop_t *loop, eddy_http_server_t *s,
                          const eddy_http_server_opts_t *opts,
                          eddy_http_handler_cb handler) {
  if (!loop || !s || !handler) return -EINVAL;
  memset(s, 0, sizeof(*s));
  s->loop = loop;
  if (opts) s->_opts = *opts;
  fill_defaults(&s->_opts);
  /* Bodies are checked against the request's own limit after the on-head
   * hook (which may raise it), so the parser does not check them. */
  s->_parse_limits = s->_opts.limits;
  s->_parse_limits.max_body = UINT64_MAX;
  s->_handler = handler;
  if (eddy__http_cache_init(s)) return -ENOMEM;
  eddy_queue_init(&s->_conns);
  eddy_tcp_init(loop, &s->_tcp);
  s->_tcp.data = s;
  eddy_timer_init(loop, &s->_grace);
  s->_grace.data = s;
  return 0;
}

static void on_connection(eddy_stream_t *l, int status) {
  eddy_http_server_t *s = l->data;
  if (status < 0 || s->_closing) return;
  /* Over the limit: not accepting makes the listener close it at once. */
  if (s->_nconns >= s->_opts.max_connections) return;
  eddy__http_conn_accept(s);
}

int eddy_http_server_listen(eddy_http_server_t *s, const char *host, int port) {
  int r = eddy_tcp_bind_ip(&s->_tcp, host ? host : "127.0.0.1", port, 0);
  if (r < 0) return r;
  r = eddy_listen(EDDY_STREAM(&s->_tcp), s->_opts.backlog, on_connection);
  if (r == 0) s->_listening = 1;
  return r;
}

int eddy_http_server_listen_fd(eddy_http_server_t *s, int fd, unsigned flags) {
  if (fd < 0 || (flags & ~EDDY_HTTP_LISTEN_EXCLUSIVE)) return -EINVAL;
  int r = eddy_stream_open(EDDY_STREAM(&s->_tcp), fd);
  if (r < 0) return r;
  if (flags & EDDY_HTTP_LISTEN_EXCLUSIVE)
    eddy_listen_exclusive(EDDY_STREAM(&s->_tcp));
  r = eddy_listen(EDDY_STREAM(&s->_tcp), s->_opts.backlog, on_connection);
  if (r == 0) s->_listening = 1;
  return r;
}

int eddy_http_server_port(const eddy_http_server_t *s) {
  struct sockaddr_storage a;
  socklen_t len = sizeof(a);
  int r = eddy_stream_sockname(EDDY_STREAM(&s->_tcp), &a, &len);
  return r < 0 ? r : eddy_net_port((struct sockaddr *)&a);
}

void eddy_http_server_on_head(eddy_http_server_t *s,
                              eddy_http_handler_cb hook) {
  s->_on_head = hook;
}

unsigned eddy_http_server_connections(const eddy_http_server_t *s) {
  return s->_nconns;
}

/* The grace timer is the last handle: once it is closed, the server's
 * memory is the caller's again. */
static void on_grace_closed(eddy_handle_t *h) {
  eddy_http_server_t *s = h->data;
  eddy__http_res_free_all(s);
  eddy__http_cache_free(s);
  if (s->_close_cb) s->_close_cb(s);
}

/* The listener, every connection and every send_path job are gone. */
static void maybe_done(eddy_http_server_t *s) {
  if (s->_closing != 2 || s->_nconns || s->_path_jobs) return;
  s->_closing = 3;
  eddy_close(EDDY_HANDLE(&s->_grace), on_grace_closed);
}

/* The grace timer keeps running after the listener is closed: it is what
 * ends connections whose answers never finish (slow readers, handlers
 * that never answer). */
static void on_listener_closed(eddy_handle_t *h) {
  eddy_http_server_t *s = h->data;
  s->_closing = 2;
  maybe_done(s);
}

static void on_grace(eddy_timer_t *t) {
  eddy_http_server_t *s = t->data;
  eddy_queue_t *q, *next;
  for (q = s->_conns.next; q != &s->_conns; q = next) {
    next = q->next;
    eddy__http_conn_close(EDDY_CONTAINER_OF(q, eddy__http_conn_t, node));
  }
}

void eddy__http_server_job_done(eddy_http_server_t *s) {
  s->_path_jobs--;
  maybe_done(s);
}

void eddy__http_server_conn_gone(eddy_http_server_t *s) {
  s->_nconns--;
  maybe_done(s);
}

int eddy_http_server_close(eddy_http_server_t *s, uint64_t grace_ms,
                           eddy_http_server_close_cb cb) {
  if (s->_closing) return -EALREADY;
  s->_closing = 1;
  s->_close_cb = cb;
  eddy_queue_t *q, *next;
  for (q = s->_conns.next; q != &s->_conns; q = next) {
    next = q->next;
    eddy__http_conn_idle_close(EDDY_CONTAINER_OF(q, eddy__http_conn_t, node));
  }
  if (grace_ms == 0)
    on_grace(&s->_grace);
  else if (s->_nconns) {
    eddy_timer_start(&s->_grace, on_grace, grace_ms, 0);
    eddy_unref(EDDY_HANDLE(&s->_grace));
  }
  eddy_close(EDDY_HANDLE(&s->_tcp), on_listener_closed);
  return 0;
}

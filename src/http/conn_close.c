/*
 * Closing a connection: after the response that asked for it (or the
 * client's half-close), a lingering close; on errors and timeouts, at
 * once. Handlers still working on an exchange hear of it (on_close).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "http/conn.h"

/* How long a closing connection drains the client's unread bytes. */
#define LINGER_MS 2000

static void on_linger_end(eddy_timer_t *t) { eddy__http_conn_close(t->data); }
static void on_shutdown(eddy_shutdown_t *req, int status) { (void)req; }

/*
 * Lingering is for a client that may still be sending: a close with bytes
 * unread (or arriving after it) makes the kernel answer RST, which can
 * destroy the reply in the client's buffers (RFC 9112 section 9.6). There
 * is nothing to fear when the client has half-closed (it can send nothing
 * more) or when its last request was read whole, nothing is buffered
 * after it and nothing waits in the socket -- nginx's rule too. Then the
 * close is immediate, which saves a shutdown, two epoll changes and a
 * loop turn per connection for clients that send `Connection: close`.
 */
static int may_close_at_once(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  if (c->peer_eof) return 1;
  if (c->input_dropped || busy->body_res ||
      (busy->read_buf && busy->read_buf->len > busy->parse_pos))
    return 0;
  char byte;
  ssize_t n = recv(eddy_stream_fd(EDDY_STREAM(&c->tcp)), &byte, 1,
                   MSG_PEEK | MSG_DONTWAIT);
  /* 0: the client's FIN is already here, so nothing can follow it */
  return n == 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

/* After the last response: FIN, then drain what the client still sends so
 * the kernel does not answer it with a RST that would destroy the reply. */
static void linger(eddy__http_conn_t *c) {
  eddy_stream_t *s = EDDY_STREAM(&c->tcp);
  if (!eddy__http_conn_busy(c) || may_close_at_once(c)) {
    eddy__http_conn_close(c);
    return;
  }
  c->lingering = 1;
  c->timeout = EDDY__TIMEOUT_LINGER;
  if (eddy_shutdown(&c->busy->shutdown_req, s, on_shutdown) < 0) {
    eddy__http_conn_close(c);
    return;
  }
  /* Reading goes on (or starts again after a pause); on_read discards
   * while lingering. */
  int r = eddy__http_conn_read_start(c);
  if (r < 0 && r != -EALREADY) {
    eddy__http_conn_close(c);
    return;
  }
  eddy_timer_start(&c->timer, on_linger_end, LINGER_MS, 0);
}

void eddy__http_conn_after_flush(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  if (c->closing || c->lingering || c->writing || busy->out.len ||
      busy->file_res)
    return;
  if (c->close_after || (c->peer_eof && busy->res_count == 0))
    linger(c);
  else if (c->server->_closing && busy->res_count == 0 && !busy->body_res)
    eddy__http_conn_close(c);
}

static void on_closed(eddy_handle_t *h) {
  eddy__http_conn_t *c = h->data;
  if (--c->handles_open) return;
  eddy_http_server_t *s = c->server;
  eddy__http_conn_busy_free(c);
  eddy_queue_remove(&c->node);
  free(c);
  eddy__http_server_conn_gone(s);
}

/* Closing: handlers still working hear of it; the rest is released. An
 * exchange a handler still holds stays valid (conn NULL, ABORTED) until
 * the handler's eddy_http_res_end, which releases it. */
static void abort_exchanges(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  eddy_immediate_stop(&busy->flush_imm);
  if (busy->spare) eddy__http_res_put(c->server, busy->spare);
  busy->spare = NULL;
  busy->body_res = NULL;
  busy->file_res = NULL;
  while (!eddy_queue_empty(&busy->res_queue)) {
    eddy_http_res_t *res = EDDY_CONTAINER_OF(eddy_queue_head(&busy->res_queue),
                                             eddy_http_res_t, node);
    eddy_queue_remove(&res->node);
    eddy__http_res_unpin(res);
    res->conn = NULL;
    res->flags |= EDDY__RES_ABORTED | EDDY__RES_DONE;
    if ((res->flags & EDDY__RES_ENDED) || !(res->flags & EDDY__RES_DISPATCHED))
      eddy__http_res_release(res);
    else if (res->on_close)
      res->on_close(res);
  }
  busy->res_count = 0;
  busy->request_bytes = 0;
}

void eddy__http_conn_close(eddy__http_conn_t *c) {
  if (c->closing) return;
  c->closing = 1;
  if (c->busy) abort_exchanges(c);
  eddy_close(EDDY_HANDLE(&c->tcp), on_closed);
  eddy_close(EDDY_HANDLE(&c->timer), on_closed);
}

/*
 * The server is closing. An idle keep-alive connection closes now; one
 * whose next request may be on its way -- never used yet (its request may
 * still be in the socket), or with part of a head read -- is left to
 * answer it (with Connection: close) or to the grace timer.
 */
void eddy__http_conn_idle_close(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  int partial = busy && busy->read_buf && busy->read_buf->len > busy->parse_pos;
  if (!c->had_request || (partial && !busy->res_count)) return;
  c->stop_parse = 1;
  if (c->writing) return;
  if (!busy || (busy->res_count == 0 && !busy->out.len && !busy->file_res &&
                !busy->file_writing && !busy->body_res))
    eddy__http_conn_close(c);
}

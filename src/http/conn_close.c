/*
 * Closing a connection: after the response that asked for it (or the
 * client's half-close), a lingering close; on errors and timeouts, at
 * once. Handlers still working on an exchange hear of it (on_close).
 */
#include <stdlib.h>

#include "http/conn.h"

/* How long a closing connection drains the client's unread bytes. */
#define LINGER_MS 2000

static void on_linger_end(eddy_timer_t *t) { eddy__http_conn_close(t->data); }
static void on_shutdown(eddy_shutdown_t *req, int status) { (void)req; }

/* After the last response: FIN, then drain what the client still sends so
 * the kernel does not answer it with a RST that would destroy the reply. */
static void linger(eddy__http_conn_t *c) {
  eddy_stream_t *s = EDDY_STREAM(&c->tcp);
  if (!eddy__http_conn_busy(c)) {
    eddy__http_conn_close(c);
    return;
  }
  c->lingering = 1;
  c->timeout = EDDY__TIMEOUT_LINGER;
  if (eddy_shutdown(&c->busy->shutdown_req, s, on_shutdown) < 0) {
    eddy__http_conn_close(c);
    return;
  }
  eddy_read_stop(s);
  if (eddy__http_conn_read_start(c) < 0) {
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

void eddy__http_conn_idle_close(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  c->stop_parse = 1;
  if (c->writing) return;
  if (!busy || (busy->res_count == 0 && !busy->out.len && !busy->file_res &&
                !busy->file_writing && !busy->body_res))
    eddy__http_conn_close(c);
}

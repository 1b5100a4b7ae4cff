/*
 * HTTP connections: accepting one, and the busy part (conn.h) that a
 * connection takes from the server's cache while it has work and gives
 * back when it is idle, so an idle keep-alive connection costs little.
 */
#include <stdlib.h>

#include "http/conn.h"

const eddy_http_limits_t *eddy__http_conn_limits(eddy__http_conn_t *c) {
  return &c->server->_opts.limits;
}

/* Parts come back from the cache in their idle state (busy_release_idle). */
eddy__http_busy_t *eddy__http_conn_busy(eddy__http_conn_t *c) {
  if (c->busy) return c->busy;
  eddy__http_busy_t *busy = eddy__http_cache_get(c->server,
                                                 EDDY__HTTP_CACHE_BUSY);
  if (!busy && !(busy = calloc(1, sizeof(*busy)))) return NULL;
  eddy_immediate_init(c->server->loop, &busy->flush_imm);
  busy->flush_imm.data = c;
  eddy_queue_init(&busy->res_queue);
  c->busy = busy;
  return busy;
}

/* Nothing read, queued, written or scheduled: the busy part goes back. */
void eddy__http_conn_busy_release_idle(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  if (!busy || c->closing || c->lingering || c->writing || c->close_after)
    return;
  if (busy->read_buf || busy->res_count || busy->body_res || busy->file_res ||
      busy->file_writing || busy->out.len ||
      eddy_immediate_queued(&busy->flush_imm))
    return;
  eddy__http_buf_release(c->server, &busy->out);
  eddy__http_buf_release(c->server, &busy->writing_buf);
  if (busy->spare) eddy__http_res_put(c->server, busy->spare);
  busy->spare = NULL;
  busy->chunk_pos = busy->head_len = 0;
  c->want_drain = 0; /* no exchange is left to drain */
  c->busy = NULL;
  eddy__http_cache_put(c->server, EDDY__HTTP_CACHE_BUSY, busy);
}

void eddy__http_conn_busy_free(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  if (!busy) return;
  eddy__http_read_buf_unref(busy->read_buf);
  free(busy->out.base);
  free(busy->writing_buf.base);
  if (busy->spare) eddy__http_res_put(c->server, busy->spare);
  free(busy);
  c->busy = NULL;
}

static void free_failed(eddy_handle_t *h) { free(h->data); }

void eddy__http_conn_accept(eddy_http_server_t *s) {
  eddy__http_conn_t *c = calloc(1, sizeof(*c));
  if (!c) return;
  c->server = s;
  eddy_tcp_init(s->loop, &c->tcp);
  c->tcp.data = c;
  if (eddy_accept(EDDY_STREAM(&s->_tcp), EDDY_STREAM(&c->tcp)) < 0) {
    eddy_close(EDDY_HANDLE(&c->tcp), free_failed);
    return;
  }
  eddy_tcp_nodelay(&c->tcp, 1);
  eddy_timer_init(s->loop, &c->timer);
  c->timer.data = c;
  eddy_queue_push(&s->_conns, &c->node);
  s->_nconns++;
  c->handles_open = 2;
  if (eddy__http_conn_read_start(c) < 0) {
    eddy__http_conn_close(c);
    return;
  }
  eddy__http_conn_timer_accepted(c);
}

/*
 * Reading a connection: where the bytes go (the read buffer, or a discard
 * buffer while lingering), what a read sets off (parse, flush, timers),
 * and what the end of the client's input means.
 */
#include "http/conn.h"

#define MIN_READ 2048

/* Input that no parse will ever look at: while lingering, and after a
 * closing request or a refusal once its body (if any) is done. It is read
 * and dropped rather than buffered, so a client that keeps sending cannot
 * fill the read buffer (whose limit would close the connection, and with
 * unread bytes, by RST) before the answer has gone. */
static int input_unwanted(const eddy__http_conn_t *c) {
  return c->lingering || (c->stop_parse && !(c->busy && c->busy->body_res));
}

static void on_alloc(eddy_stream_t *s, size_t sugg, eddy_buf_t *buf) {
  static _Thread_local char discard[4096];
  eddy__http_conn_t *c = s->data;
  if (input_unwanted(c)) {
    *buf = eddy_buf(discard, sizeof(discard));
    return;
  }
  eddy__http_busy_t *busy = eddy__http_conn_busy(c);
  if (!busy ||
      (!busy->read_buf && !(busy->read_buf = eddy__http_read_buf_get(c)))) {
    *buf = eddy_buf(NULL, 0); /* the read fails with -ENOBUFS: closes */
    return;
  }
  eddy__http_read_buf_t *r = busy->read_buf;
  if (r->cap - r->len < MIN_READ) eddy__http_read_buf_make_room(c);
  r = busy->read_buf;
  /* Full at its limit: the parser refuses a head before that, so only
   * memory being short gets here; the read then fails and closes. */
  *buf = r->cap > r->len ? eddy_buf(r->data + r->len, r->cap - r->len)
                         : eddy_buf(NULL, 0);
}

/* Nothing is left to answer or to write: closing loses nothing. */
static int nothing_owed(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  return !busy || (busy->res_count == 0 && !c->writing && !busy->out.len &&
                   !busy->file_res && !busy->file_writing);
}

/* A body cut short by the end of the input can never complete: 400. */
static void fail_unfinished_body(eddy__http_conn_t *c) {
  eddy_http_res_t *body_res = c->busy->body_res;
  if (!body_res) return;
  if (body_res->flags & EDDY__RES_STREAM) {
    eddy__http_stream_fail(c, 400);
    return;
  }
  c->busy->body_res = NULL;
  c->busy->chunk_pos = 0;
  eddy__http_res_error(c, body_res, 400);
}

/*
 * The client half-closed (EOF) or the read failed. After an error nothing
 * can be delivered: close. After EOF every request read in full is still
 * answered (a client may send its requests, shut down its write side and
 * wait for the answers, as `nc -N` does); the connection lingers and closes
 * once the last of them is written.
 */
static void on_read_end(eddy__http_conn_t *c, ssize_t status) {
  if (status != EDDY_EOF || !c->busy) {
    eddy__http_conn_close(c);
    return;
  }
  c->stop_parse = 1;
  c->peer_eof = 1;
  eddy_read_stop(EDDY_STREAM(&c->tcp));
  fail_unfinished_body(c);
  if (c->closing) return;
  if (nothing_owed(c)) {
    eddy__http_conn_close(c);
    return;
  }
  eddy__http_conn_flush(c);
  eddy__http_conn_after_flush(c);
  eddy__http_conn_update_timer(c);
}

static void on_read(eddy_stream_t *s, ssize_t n, const eddy_buf_t *buf) {
  eddy__http_conn_t *c = s->data;
  if (c->lingering) {
    if (n < 0) eddy__http_conn_close(c);
    return;
  }
  if (n > 0 && input_unwanted(c)) { /* on_alloc gave the discard buffer */
    c->input_dropped = 1;           /* the close must linger */
    return;
  }
  if (n < 0) {
    on_read_end(c, n);
    return;
  }
  if (n == 0) return;
  c->busy->read_buf->len += (size_t)n;
  c->last_read_ms = eddy_loop_now(c->server->loop);
  c->in_read = 1;
  eddy__http_conn_parse(c);
  c->in_read = 0;
  if (c->closing) return;
  eddy__http_read_buf_release_idle(c);
  eddy__http_conn_flush(c);
  eddy__http_conn_after_flush(c);
  eddy__http_conn_update_timer(c);
  eddy__http_conn_busy_release_idle(c);
}

int eddy__http_conn_read_start(eddy__http_conn_t *c) {
  return eddy_read_start(EDDY_STREAM(&c->tcp), on_alloc, on_read);
}

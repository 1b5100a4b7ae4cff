/*
 * Writing a connection: everything gathered for it in one loop iteration
 * leaves at once (eddy_try_write) when nothing is queued, else in one
 * eddy_write; late answers are flushed from the check phase (flush_soon).
 * A file segment follows its head with sendfile, and handlers whose writes
 * returned 1 are told to go on (drain) once the output has gone down.
 */
#include "http/conn.h"

static void written(eddy__http_conn_t *c);

/* Output queued for `res`: what waits in the connection and its own held
 * output. eddy_http_res_write returns 1 above the mark, and the drain
 * callback runs once it is below again. */
size_t eddy__http_res_backlog(eddy_http_res_t *res) {
  eddy__http_conn_t *c = res->conn;
  return c->busy->out.len + res->held.len +
         eddy_stream_queued(EDDY_STREAM(&c->tcp));
}

static void on_write(eddy_write_t *req, int status) {
  eddy__http_conn_t *c = req->data;
  c->writing = 0;
  c->busy->writes_done++;
  c->busy->writing_buf.len = 0;
  if (c->closing) return;
  if (status < 0) {
    eddy__http_conn_close(c);
    return;
  }
  written(c);
}

/*
 * Sends `out` at once when the stream has nothing queued, as a response
 * usually goes whole: no write request, no callback a loop turn later
 * (~600 instructions per keep-alive request). Every caller of
 * eddy__http_conn_flush goes on with the after-flush steps that written()
 * would take. A connection that owes a drain takes the queued path, where
 * written() tells it. Returns the bytes sent, or -1 after a close.
 */
static ssize_t send_now(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  if (c->want_drain) return 0;
  eddy_buf_t b = eddy_buf(busy->out.base, busy->out.len);
  ssize_t n = eddy_try_write(EDDY_STREAM(&c->tcp), &b, 1);
  if (n == -EAGAIN) return 0;
  if (n < 0) {
    eddy__http_conn_close(c);
    return -1;
  }
  if (n > 0) busy->writes_done++; /* progress, for the send timeout */
  if ((size_t)n == busy->out.len && c->paused)
    eddy__http_conn_flush_soon(c); /* may it read again? */
  return n;
}

static void write_out(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  ssize_t sent = send_now(c);
  if (sent < 0) return;
  if ((size_t)sent == busy->out.len) {
    busy->out.len = 0;
    return;
  }
  /* The rest goes queued; `out` becomes the buffer being written. The
   * write keeps a pointer `sent` bytes into writing_buf: valid until
   * on_write, because nothing grows, swaps or releases writing_buf while
   * c->writing is set (this swap needs !c->writing, busy_release_idle
   * returns early, and a close cancels the write, whose callback runs
   * before the busy part is freed). */
  eddy__http_buf_t t = busy->writing_buf;
  busy->writing_buf = busy->out;
  busy->out = t;
  busy->out.len = 0;
  c->writing = 1;
  busy->write_req.data = c;
  eddy_buf_t b = eddy_buf(busy->writing_buf.base + sent,
                          busy->writing_buf.len - (size_t)sent);
  if (eddy_write(&busy->write_req, EDDY_STREAM(&c->tcp), &b, 1, on_write) < 0) {
    c->writing = 0;
    eddy__http_conn_close(c);
  }
}

static void on_file_write(eddy_write_t *req, int status) {
  eddy__http_conn_t *c = req->data;
  c->busy->file_writing = 0;
  c->busy->writes_done++;
  if (c->closing) return;
  if (status < 0) {
    eddy__http_conn_close(c);
    return;
  }
  c->busy->file_res->flags |= EDDY__RES_FILE_SENT;
  c->busy->file_res = NULL;
  eddy__http_res_promote(c);
  written(c);
}

/* The file of file_res goes once the bytes before it (its head) are
 * queued. */
static void start_file(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  eddy_http_res_t *res = busy->file_res;
  busy->file_write_req.data = c;
  busy->file_writing = 1;
  if (eddy_write_file(&busy->file_write_req, EDDY_STREAM(&c->tcp), res->file_fd,
                      res->file_off, res->file_len, on_file_write) < 0) {
    busy->file_writing = 0;
    eddy__http_conn_close(c);
  }
}

void eddy__http_conn_flush(eddy__http_conn_t *c) {
  if (c->closing) return;
  eddy__http_busy_t *busy = c->busy;
  if (!c->writing && busy->out.len) write_out(c);
  if (!c->closing && busy->file_res && !busy->file_writing && !busy->out.len)
    start_file(c);
}

/* The first exchange, in request order, still owed a drain; NULL if none
 * or if its output is still above the mark. */
static eddy_http_res_t *next_to_drain(eddy__http_conn_t *c) {
  eddy_queue_t *q = &c->busy->res_queue, *it;
  for (it = q->next; it != q; it = it->next) {
    eddy_http_res_t *res = EDDY_CONTAINER_OF(it, eddy_http_res_t, node);
    if (!(res->flags & EDDY__RES_WANT_DRAIN)) continue;
    return eddy__http_res_backlog(res) <= EDDY_HIGH_WATER_DEFAULT ? res : NULL;
  }
  return NULL;
}

/*
 * Every exchange whose write returned 1 is told when its output went
 * below the mark -- not only the first in line: a pipelined response that
 * streams while an earlier one is still going must hear it too. A drain
 * callback may write, end or close; the queue is searched anew each time.
 */
static void run_drains(eddy__http_conn_t *c) {
  eddy_http_res_t *res;
  while (c->want_drain && !c->closing && !c->writing &&
         (res = next_to_drain(c))) {
    res->flags &= ~(unsigned)EDDY__RES_WANT_DRAIN;
    if (res->drain) res->drain(res);
  }
  if (c->closing) return;
  c->want_drain = 0;
  eddy_queue_t *q = &c->busy->res_queue, *it;
  for (it = q->next; it != q; it = it->next)
    if (EDDY_CONTAINER_OF(it, eddy_http_res_t, node)->flags &
        EDDY__RES_WANT_DRAIN)
      c->want_drain = 1;
}

/* After a write finished: more output, drains, close or timers. */
static void written(eddy__http_conn_t *c) {
  eddy__http_conn_flush(c);
  if (c->want_drain && !c->writing) run_drains(c);
  if (c->closing) return;
  eddy__http_conn_after_flush(c);
  if (c->paused) eddy__http_conn_flush_soon(c); /* may it read again? */
  eddy__http_conn_update_timer(c);
  eddy__http_conn_busy_release_idle(c);
}

/* Reads again: after a streamed body was resumed, or once a paused
 * connection's output has gone down. */
static void read_again(eddy__http_conn_t *c, int restart) {
  if (restart && !c->lingering && !c->peer_eof) eddy__http_conn_read_start(c);
  c->in_read = 1;
  eddy__http_conn_parse(c);
  c->in_read = 0;
}

static void on_flush_imm(eddy_immediate_t *imm) {
  eddy__http_conn_t *c = imm->data;
  if (c->closing) return;
  if (c->body_resume) {
    c->body_resume = 0;
    read_again(c, !c->paused);
    if (c->closing) return;
  }
  if (c->paused && eddy__http_conn_may_resume(c) && !c->stop_parse &&
      !c->body_paused) {
    c->paused = 0;
    read_again(c, 1);
    if (c->closing) return;
  }
  eddy__http_conn_flush(c);
  eddy__http_conn_after_flush(c);
  eddy__http_conn_update_timer(c);
  eddy__http_conn_busy_release_idle(c);
}

void eddy__http_conn_flush_soon(eddy__http_conn_t *c) {
  if (c->in_read || c->closing) return;
  eddy__http_busy_t *busy = c->busy;
  if (eddy_immediate_queued(&busy->flush_imm)) return;
  busy->flush_imm.data = c;
  eddy_immediate_start(&busy->flush_imm, on_flush_imm);
}

void eddy__http_conn_res_done(eddy__http_conn_t *c) {
  c->busy->res_count--;
  if (c->paused) eddy__http_conn_flush_soon(c);
}

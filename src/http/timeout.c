/*
 * A connection's timeouts, all on its one timer: which one runs follows
 * the connection's state (update_timer), and what happens when it fires.
 *   HEAD  the head must arrive within headers_timeout (slowloris: 408);
 *   BODY  head and body within request_timeout from the first byte (408);
 *   SEND  output blocked: the client must take some bytes every
 *         send_timeout (nginx's send_timeout; a reader that stops reading
 *         would otherwise hold its connection and output forever);
 *   IDLE  a keep-alive connection with nothing to do closes.
 */
#include <linux/sockios.h>
#include <sys/ioctl.h>

#include "http/conn.h"

static void on_timeout(eddy_timer_t *t);

/* Bytes the client has not acknowledged yet: queued in the stream, and in
 * the kernel's send queue (SIOCOUTQ). The kernel wakes a writer only when
 * half its send buffer is free, megabytes on a fast link, so the stream's
 * queue alone would call a slow, steady reader stuck. */
static size_t unacked(eddy__http_conn_t *c) {
  int outq = 0, fd = eddy_stream_fd(EDDY_STREAM(&c->tcp));
  if (fd < 0 || ioctl(fd, SIOCOUTQ, &outq) < 0 || outq < 0) outq = 0;
  return eddy_stream_queued(EDDY_STREAM(&c->tcp)) + (size_t)outq;
}

/* The client took bytes since the send timer was armed (or last checked):
 * a write finished, or fewer bytes wait for the client. */
static int send_progressed(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  size_t left = unacked(c);
  int moved = busy->writes_done != busy->send_writes || left < busy->send_left;
  busy->send_writes = busy->writes_done;
  busy->send_left = left;
  return moved;
}

/* How much earlier than due an idle timer may be set: 1/16 of the
 * keep-alive timeout, at most 250 ms (nginx lets its timers fire up to
 * 300 ms early; eddy re-arms instead, so an idle close is never early). */
static uint64_t idle_slack(const eddy__http_conn_t *c) {
  uint64_t s = c->server->_opts.keep_alive_timeout_ms / 16;
  return s < 250 ? s : 250;
}

/*
 * The idle deadline moves with every response and read: moving the timer
 * in its list each time was two re-arms per keep-alive request (~300
 * instructions). When the timer already runs IDLE and is set at most
 * idle_slack before the new due time, only the due time moves; on_timeout
 * re-arms for the rest. 1 when that was enough.
 */
static int lazy_idle(eddy__http_conn_t *c, uint64_t ms) {
  uint64_t due = eddy_loop_now(c->server->loop) + ms;
  int lazy = c->timeout == EDDY__TIMEOUT_IDLE &&
             eddy_is_active((eddy_handle_t *)&c->timer) &&
             due >= c->timer.deadline &&
             due - c->timer.deadline < idle_slack(c);
  c->idle_due_ms = due;
  return lazy;
}

static void timer_set(eddy__http_conn_t *c, int state, uint64_t ms) {
  if (state == EDDY__TIMEOUT_IDLE && ms && lazy_idle(c, ms)) return;
  /* IDLE and BODY re-arm on every call: each is counted from the last
   * thing that happened (a response, a read). The others keep their
   * deadline while their state lasts. */
  if (state == c->timeout && state != EDDY__TIMEOUT_IDLE &&
      state != EDDY__TIMEOUT_BODY)
    return;
  /* A request starts with its first byte: the head timer, or the body
   * timer when the whole head came in one read. */
  if ((state == EDDY__TIMEOUT_HEAD || state == EDDY__TIMEOUT_BODY) &&
      c->timeout != EDDY__TIMEOUT_HEAD && c->timeout != EDDY__TIMEOUT_BODY)
    c->req_start_ms = eddy_loop_now(c->server->loop);
  if (state == EDDY__TIMEOUT_SEND)
    send_progressed(c); /* the marks to compare with */
  c->timeout = state;
  if (!ms)
    eddy_timer_stop(&c->timer);
  else
    eddy_timer_start(&c->timer, on_timeout, ms, 0);
}

/* Slow client (slowloris): answer 408 and close, as Node does. 0 if no
 * exchange could be had for the answer. */
static int answer_408(eddy__http_conn_t *c) {
  eddy_http_res_t *res = c->busy->body_res;
  if (res && (res->flags & EDDY__RES_STREAM)) { /* the handler answers */
    eddy__http_stream_fail(c, 408);
    eddy__http_conn_flush_soon(c);
    return 1;
  }
  c->busy->body_res = NULL;
  if (!res) res = eddy__http_res_get(c->server);
  if (!res) return 0;
  if (!res->conn) eddy__http_conn_enqueue(c, res);
  eddy__http_res_error(c, res, 408);
  eddy__http_conn_flush_soon(c);
  return 1;
}

/* The first exchange waits for a handler that has not begun to answer. */
static eddy_http_res_t *stuck_res(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  if (!busy || busy->body_res || eddy_queue_empty(&busy->res_queue))
    return NULL;
  eddy_http_res_t *res = EDDY_CONTAINER_OF(eddy_queue_head(&busy->res_queue),
                                           eddy_http_res_t, node);
  unsigned f = res->flags;
  if (!(f & EDDY__RES_DISPATCHED) ||
      (f & (EDDY__RES_ENDED | EDDY__RES_HEAD_SENT)))
    return NULL;
  return res;
}

/*
 * The response timeout: the handler is told (on_close) and keeps its
 * exchange, detached like one whose client left, until its res_end; a
 * fresh exchange takes its place in the queue and answers 503, and the
 * connection closes after it. 0 if no exchange could be had.
 */
static int answer_503(eddy__http_conn_t *c, eddy_http_res_t *stuck) {
  eddy_http_res_t *fresh = eddy__http_res_get(c->server);
  if (!fresh) return 0;
  fresh->req.method = stuck->req.method;
  fresh->conn = c;
  eddy_queue_push(&stuck->node, &fresh->node); /* just before stuck */
  eddy_queue_remove(&stuck->node);
  eddy__http_res_unpin(stuck);
  stuck->conn = NULL;
  stuck->flags |= EDDY__RES_ABORTED | EDDY__RES_DONE;
  eddy__http_res_error(c, fresh, 503);
  eddy__http_conn_flush_soon(c);
  if (stuck->on_close) stuck->on_close(stuck);
  return 1;
}

static void on_timeout(eddy_timer_t *t) {
  eddy__http_conn_t *c = t->data;
  int state = c->timeout;
  if (state == EDDY__TIMEOUT_IDLE &&
      eddy_loop_now(c->server->loop) < c->idle_due_ms) { /* see lazy_idle */
    eddy_timer_start(t, on_timeout, idle_slack(c), 0);
    return;
  }
  if (state == EDDY__TIMEOUT_SEND && send_progressed(c)) { /* slow, not stuck */
    eddy_timer_start(t, on_timeout, c->server->_opts.send_timeout_ms, 0);
    return;
  }
  c->timeout = EDDY__TIMEOUT_NONE;
  int partial = c->busy && c->busy->read_buf &&
                c->busy->read_buf->len > c->busy->parse_pos;
  if ((state == EDDY__TIMEOUT_HEAD && partial && c->busy->res_count == 0) ||
      state == EDDY__TIMEOUT_BODY)
    if (answer_408(c)) return;
  eddy_http_res_t *stuck = stuck_res(c);
  if (state == EDDY__TIMEOUT_RESPONSE && stuck && answer_503(c, stuck)) return;
  eddy__http_conn_close(c);
}

/* Output the kernel would not take at once. A write that went out whole
 * (the common case) arms nothing: that costs no system call per response. */
static int output_blocked(eddy__http_conn_t *c) {
  return (c->writing || (c->busy && c->busy->file_writing)) &&
         eddy_stream_queued(EDDY_STREAM(&c->tcp)) > 0;
}

static uint64_t left(uint64_t since, uint64_t now, uint64_t limit) {
  uint64_t used = now - since;
  return used < limit ? limit - used : 1; /* never 0: that stops the timer */
}

/* A body must keep coming (body_timeout from the last read, nginx) and be
 * whole within request_timeout from the request's first byte (Node). */
static uint64_t body_time_left(eddy__http_conn_t *c) {
  const eddy_http_server_opts_t *o = &c->server->_opts;
  uint64_t now = eddy_loop_now(c->server->loop);
  uint64_t start = c->timeout == EDDY__TIMEOUT_HEAD ||
                           c->timeout == EDDY__TIMEOUT_BODY
                       ? c->req_start_ms
                       : now;
  uint64_t whole = left(start, now, o->request_timeout_ms);
  uint64_t idle = left(c->last_read_ms, now, o->body_timeout_ms);
  return whole < idle ? whole : idle;
}

/* Arms the response timeout for the exchange now first in line. */
static void response_timer(eddy__http_conn_t *c, eddy_http_res_t *stuck) {
  if (c->busy->timed_res != stuck) c->timeout = EDDY__TIMEOUT_NONE;
  c->busy->timed_res = stuck;
  timer_set(c, EDDY__TIMEOUT_RESPONSE, c->server->_opts.response_timeout_ms);
}

void eddy__http_conn_update_timer(eddy__http_conn_t *c) {
  const eddy_http_server_opts_t *o = &c->server->_opts;
  eddy__http_busy_t *busy = c->busy;
  eddy_http_res_t *stuck;
  if (c->closing || c->lingering) return;
  if (busy && busy->body_res)
    timer_set(c, EDDY__TIMEOUT_BODY, body_time_left(c));
  else if (output_blocked(c))
    timer_set(c, EDDY__TIMEOUT_SEND, o->send_timeout_ms);
  else if (busy && busy->read_buf && busy->read_buf->len > busy->parse_pos &&
           !c->stop_parse)
    timer_set(c, EDDY__TIMEOUT_HEAD, o->headers_timeout_ms);
  else if ((!busy || busy->res_count == 0) && !c->stop_parse)
    timer_set(c, EDDY__TIMEOUT_IDLE, o->keep_alive_timeout_ms);
  else if (o->response_timeout_ms && (stuck = stuck_res(c)))
    response_timer(c, stuck);
  else
    timer_set(c, EDDY__TIMEOUT_NONE, 0);
}

/* A new connection: its first request's head is due from now on. */
void eddy__http_conn_timer_accepted(eddy__http_conn_t *c) {
  c->timeout = EDDY__TIMEOUT_HEAD;
  c->req_start_ms = eddy_loop_now(c->server->loop);
  c->last_read_ms = c->req_start_ms;
  eddy_timer_start(&c->timer, on_timeout, c->server->_opts.headers_timeout_ms,
                   0);
}

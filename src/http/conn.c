/*
 * HTTP connections: the read buffer, the parse loop (pipelining, bodies,
 * 100-continue), one flush per loop iteration, timeouts and closing.
 */
#include <stdlib.h>
#include <string.h>

#include "http/conn.h"

#define RB_INIT 8192
#define MIN_READ 2048
/* Parsed requests waiting on one connection before reading pauses. */
#define MAX_PIPELINE 256
/* Response bytes waiting for the client above which no new request is
 * read (resumed below half). */
#define OUT_HIGH_WATER (64u * 1024u)
/* How long a closing connection drains the client's unread bytes. */
#define LINGER_MS 2000

static void on_read(eddy_stream_t *s, ssize_t n, const eddy_buf_t *buf);
static void on_alloc(eddy_stream_t *s, size_t sugg, eddy_buf_t *buf);
static void abort_exchanges(conn_t *c);

static rbuf_t *rb_new(size_t cap) {
  rbuf_t *r = malloc(sizeof(*r) + cap);
  if (!r) return NULL;
  r->refs = 1;
  r->cap = cap;
  r->len = 0;
  return r;
}

static void rb_unref(rbuf_t *r) {
  if (r && --r->refs == 0) free(r);
}

/* A read buffer for `c`: one an idle connection gave back, or a new one. */
static rbuf_t *rb_get(conn_t *c) {
  rbuf_t *r = eddy__http_cache_get(c->server, EDDY__HTTP_CACHE_RB);
  if (!r) return rb_new(RB_INIT);
  r->refs = 1;
  r->len = 0;
  return r;
}

/* Idle connections hold no read buffer: when everything read has been
 * parsed and no request points into it, it goes back to the server. */
static void rb_release_idle(conn_t *c) {
  rbuf_t *r = c->b->rb;
  if (!r || r->refs != 1 || c->b->rpos != r->len || c->b->body_x) return;
  c->b->rb = NULL;
  c->b->rpos = c->b->last_len = 0;
  if (r->cap == RB_INIT)
    eddy__http_cache_put(c->server, EDDY__HTTP_CACHE_RB, r);
  else
    free(r);
}

/* The busy part of `c` (see conn.h): the one it has, one an idle
 * connection gave back, or a new one; NULL when memory is short. Parts come
 * back from the cache in their idle state (see busy_release_idle). */
static conn_busy_t *busy_get(conn_t *c) {
  if (c->b) return c->b;
  conn_busy_t *b = eddy__http_cache_get(c->server, EDDY__HTTP_CACHE_BUSY);
  if (!b && !(b = calloc(1, sizeof(*b)))) return NULL;
  eddy_immediate_init(c->server->loop, &b->flush_imm);
  b->flush_imm.data = c;
  eddy_queue_init(&b->xq);
  c->b = b;
  return b;
}

/* Nothing read, queued, written or scheduled: the busy part goes back. */
static void busy_release_idle(conn_t *c) {
  conn_busy_t *b = c->b;
  if (!b || c->closing || c->lingering || c->writing || c->close_after)
    return;
  if (b->rb || b->nx || b->body_x || b->file_x || b->file_writing ||
      b->out.len || eddy_immediate_queued(&b->flush_imm))
    return;
  eddy__http_buf_release(c->server, &b->out);
  eddy__http_buf_release(c->server, &b->wbuf);
  if (b->spare) eddy__http_x_put(c->server, b->spare);
  b->spare = NULL;
  b->raw = b->head_len = 0;
  c->want_drain = 0; /* no exchange is left to drain */
  c->b = NULL;
  eddy__http_cache_put(c->server, EDDY__HTTP_CACHE_BUSY, b);
}

/* On close: everything goes, nothing is cached. */
static void busy_free(conn_t *c) {
  conn_busy_t *b = c->b;
  if (!b) return;
  rb_unref(b->rb);
  free(b->out.base);
  free(b->wbuf.base);
  if (b->spare) eddy__http_x_put(c->server, b->spare);
  free(b);
  c->b = NULL;
}

static const eddy_http_limits_t *limits(conn_t *c) {
  return &c->server->_opts.limits;
}

/*
 * The slices of the request whose body is being read move with the buffer.
 * Only slices that point into the moved bytes [from, from + len] move: the
 * parser's defaults (path "/", host "", ...) point at static strings and
 * must stay where they are. A slice of length 0 may point just past the
 * last byte, hence the inclusive end.
 */
typedef struct {
  uintptr_t from, len;
  intptr_t by;
} buf_move_t;

static void slide(eddy_http_slice_t *sl, const buf_move_t *m) {
  uintptr_t p = (uintptr_t)sl->base;
  if (sl->base && p >= m->from && p - m->from <= m->len)
    sl->base = (const char *)(p + (uintptr_t)m->by);
}

static void rebase(eddy_http_res_t *x, const buf_move_t *m) {
  eddy_http_request_t *q = &x->req;
  slide(&q->method_name, m);
  slide(&q->target, m);
  slide(&q->path, m);
  slide(&q->query, m);
  slide(&q->host, m);
  for (size_t i = 0; i < q->nheaders; i++) {
    slide(&q->headers[i].name, m);
    slide(&q->headers[i].value, m);
  }
}

/* Bytes the buffer may hold from rpos on. */
static size_t rb_limit(conn_t *c) {
  const eddy_http_limits_t *l = limits(c);
  size_t head = l->max_request_line + l->max_header_bytes + 256;
  eddy_http_res_t *x = c->b->body_x;
  if (!x || (x->flags & X_STREAM)) return head; /* streamed: consumed */
  if (x->req.flags & EDDY_HTTP_F_CHUNKED)
    return c->b->head_len + (size_t)x->max_body + 65536;
  return c->b->head_len + (size_t)x->req.content_length + MIN_READ;
}

/* Moves the live bytes (from rpos) to the front of a buffer big enough. */
static int make_room(conn_t *c) {
  rbuf_t *r = c->b->rb;
  size_t keep = c->b->rpos, live = r->len - keep, limit = rb_limit(c);
  size_t want = live + MIN_READ > RB_INIT ? live + MIN_READ : RB_INIT;
  if (c->b->body_x && !(c->b->body_x->req.flags & EDDY_HTTP_F_CHUNKED))
    want = want > limit ? want : limit;
  if (want > limit) want = limit;
  if (want <= live) return -1;
  rbuf_t *n = r;
  if (r->refs > 1 || want > r->cap) {
    size_t cap = r->cap * 2 > want ? r->cap * 2 : want;
    if (cap > limit && limit > want) cap = limit;
    n = rb_new(cap);
    if (!n) return -1;
  }
  buf_move_t moved = {(uintptr_t)(r->data + keep), live,
                      (intptr_t)n->data - (intptr_t)(r->data + keep)};
  memmove(n->data, r->data + keep, live);
  n->len = live;
  /* A streamed body_x holds the old buffer (hold()): its slices stay. */
  if (c->b->body_x && !(c->b->body_x->flags & X_STREAM))
    rebase(c->b->body_x, &moved);
  if (c->b->raw) c->b->raw -= keep;
  c->b->rpos = 0;
  if (n != r) {
    rb_unref(r);
    c->b->rb = n;
  }
  return 0;
}

static void on_alloc(eddy_stream_t *s, size_t sugg, eddy_buf_t *buf) {
  static _Thread_local char discard[4096];
  conn_t *c = s->data;
  if (c->lingering) {
    *buf = eddy_buf(discard, sizeof(discard));
    return;
  }
  if (!busy_get(c) || (!c->b->rb && !(c->b->rb = rb_get(c)))) {
    *buf = eddy_buf(NULL, 0); /* the read fails with -ENOBUFS: closes */
    return;
  }
  rbuf_t *r = c->b->rb;
  if (r->cap - r->len < MIN_READ) make_room(c);
  r = c->b->rb;
  *buf = eddy_buf(r->data + r->len, r->cap - r->len);
}

void eddy__http_conn_enqueue(conn_t *c, eddy_http_res_t *x) {
  x->conn = c;
  eddy_queue_push(&c->b->xq, &x->node);
  c->b->nx++;
}

static int is_head(conn_t *c, eddy_http_res_t *x) {
  return eddy_queue_head(&c->b->xq) == &x->node;
}

static void send_continue(conn_t *c, eddy_http_res_t *x) {
  static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
  if (!(x->req.flags & EDDY_HTTP_F_EXPECT_CONTINUE) ||
      x->req.minor_version < 1 || (x->flags & X_CONTINUE))
    return;
  x->flags |= X_CONTINUE;
  eddy__http_buf_put(is_head(c, x) ? &c->b->out : &x->pend, cont,
                     sizeof(cont) - 1);
  eddy__http_conn_flush_soon(c);
}

/* The exchange now belongs to the handler: its slices pin the buffer. */
static void hold(conn_t *c, eddy_http_res_t *x) {
  x->rb = c->b->rb;
  c->b->rb->refs++;
  x->flags |= X_DISPATCHED;
}

static void dispatch(conn_t *c, eddy_http_res_t *x) {
  hold(c, x);
  c->server->_handler(c->server, &x->req, x);
}

/* Continues the body of body_x; 1 when it is complete and dispatched. */
static int body_more(conn_t *c) {
  eddy_http_res_t *x = c->b->body_x;
  if (x->flags & X_STREAM) return eddy__http_stream_more(c);
  rbuf_t *r = c->b->rb;
  size_t start = c->b->rpos + c->b->head_len;
  if (!(x->req.flags & EDDY_HTTP_F_CHUNKED)) {
    size_t cl = (size_t)x->req.content_length;
    if (r->len - start < cl) return 0;
    x->body = r->data + start;
    x->body_len = cl;
    c->b->rpos = start + cl;
  } else {
    size_t used = 0, made = 0;
    int rc = eddy_http_chunked_decode(&c->b->chunked, r->data + c->b->raw,
                                      r->len - c->b->raw,
                                      r->data + start + x->body_len, &used,
                                      &made);
    x->body_len += made;
    c->b->raw += used;
    if (rc == EDDY_HTTP_INCOMPLETE) return 0;
    if (rc < 0) {
      c->b->body_x = NULL;
      c->b->raw = 0;
      eddy__http_x_error(c, x, -rc);
      return 0;
    }
    x->body = r->data + start;
    c->b->rpos = c->b->raw;
    c->b->raw = 0;
  }
  c->b->body_x = NULL;
  dispatch(c, x);
  return 1;
}

/* The on-head hook; 0 if it answered (the body is then never read). */
static int run_hook(conn_t *c, eddy_http_res_t *x) {
  x->flags |= X_IN_HOOK;
  c->server->_on_head(c->server, &x->req, x);
  if (c->closing || c->b->body_x != x) return 0; /* answered and ended */
  x->flags &= ~(unsigned)X_IN_HOOK;
  if (!(x->flags & X_HEAD_SENT)) return 1;
  /* Answering, not ended yet: the body is never read. */
  c->b->body_x = NULL;
  c->stop_parse = 1;
  hold(c, x);
  return 0;
}

/*
 * What the server itself cannot do, answered 501 before any handler sees
 * it: CONNECT (a 2xx would tell the client a tunnel is open, and eddy has
 * no tunnels), and a transfer coding other than chunked, which it does not
 * decode (RFC 9112 §6.1). Like nginx.
 */
static int unsupported(const eddy_http_request_t *q) {
  return q->method == EDDY_HTTP_CONNECT || (q->flags & EDDY_HTTP_F_TE_ENCODED);
}

static void start_request(conn_t *c, eddy_http_res_t *x, size_t head_len) {
  eddy_http_request_t *q = &x->req;
  if (unsupported(q)) {
    eddy__http_x_error(c, x, 501);
    return;
  }
  if (q->method == EDDY_HTTP_HEAD) x->flags |= X_HEAD_REQ;
  if (!(q->flags & EDDY_HTTP_F_KEEP_ALIVE) || c->server->_closing) {
    x->flags |= X_CLOSE;
    c->stop_parse = 1; /* nothing after a closing request is answered */
  }
  if (!(q->flags & EDDY_HTTP_F_CHUNKED) && q->content_length <= 0) {
    c->b->rpos += head_len;
    dispatch(c, x);
    return;
  }
  c->b->body_x = x;
  c->b->head_len = head_len;
  if (c->server->_on_head && !run_hook(c, x)) return;
  if (q->content_length > 0 && (uint64_t)q->content_length > x->max_body) {
    eddy__http_x_error(c, x, 413);
    return;
  }
  if (q->flags & EDDY_HTTP_F_CHUNKED) {
    eddy_http_chunked_init(&c->b->chunked, limits(c));
    c->b->chunked._max_body = x->max_body;
    c->b->raw = c->b->rpos + head_len;
  }
  if (x->flags & X_STREAM) {
    x->body_left = q->flags & EDDY_HTTP_F_CHUNKED ? 0 : (uint64_t)q->content_length;
    c->b->rpos += head_len;
    c->b->raw = 0;
    hold(c, x);
    if (c->b->rpos == c->b->rb->len) send_continue(c, x);
    return; /* process() delivers the body */
  }
  if (!body_more(c)) send_continue(c, x);
}

/* Response bytes not yet taken by the kernel: queued on the stream, and
 * the output being filled. */
static size_t backlog(conn_t *c) {
  return eddy_stream_queued(EDDY_STREAM(&c->tcp)) + c->b->out.len;
}

/* Reading new requests stops while the client does not take the answers
 * to the old ones (Node pauses above the socket's high-water mark too): a
 * pipelining client that never reads would make the server buffer every
 * response, up to MAX_PIPELINE of them. */
static int must_pause(conn_t *c) {
  return c->b->nx >= MAX_PIPELINE || backlog(c) > OUT_HIGH_WATER;
}

static int may_resume(conn_t *c) {
  return c->b->nx < MAX_PIPELINE / 2 && backlog(c) <= OUT_HIGH_WATER / 2;
}

static void process(conn_t *c) {
  while (!c->closing && (c->b->body_x || !c->stop_parse)) {
    if (c->b->body_x) {
      if (!body_more(c)) return;
      continue;
    }
    rbuf_t *r = c->b->rb;
    size_t avail = r ? r->len - c->b->rpos : 0;
    if (!avail) return;
    if (must_pause(c)) {
      eddy_read_stop(EDDY_STREAM(&c->tcp));
      c->paused = 1;
      return;
    }
    if (!c->b->spare && !(c->b->spare = eddy__http_x_get(c->server))) {
      eddy__http_conn_close(c);
      return;
    }
    eddy_http_res_t *x = c->b->spare;
    int rc = eddy_http_parse_request(r->data + c->b->rpos, avail, &x->req,
                                     x->headers, x->max_headers, c->b->last_len,
                                     &c->server->_parse_limits);
    if (rc == EDDY_HTTP_INCOMPLETE) {
      c->b->last_len = avail;
      return;
    }
    c->b->last_len = 0;
    c->b->spare = NULL;
    eddy__http_conn_enqueue(c, x);
    if (rc < 0) {
      eddy__http_x_error(c, x, eddy_http_error_status(rc) ? -rc : 400);
      return;
    }
    start_request(c, x, (size_t)rc);
  }
}

/* ----------------------------------------------------- writing, closing */

static void on_linger_end(eddy_timer_t *t) { eddy__http_conn_close(t->data); }
static void on_shutdown(eddy_shutdown_t *req, int status) { (void)req; }

/* After the last response: FIN, then drain what the client still sends so
 * the kernel does not answer it with a RST that would destroy the reply. */
static void linger(conn_t *c) {
  eddy_stream_t *s = EDDY_STREAM(&c->tcp);
  if (!busy_get(c)) {
    eddy__http_conn_close(c);
    return;
  }
  c->lingering = 1;
  c->tstate = T_LINGER;
  if (eddy_shutdown(&c->b->sreq, s, on_shutdown) < 0) {
    eddy__http_conn_close(c);
    return;
  }
  eddy_read_stop(s);
  if (eddy_read_start(s, on_alloc, on_read) < 0) {
    eddy__http_conn_close(c);
    return;
  }
  eddy_timer_start(&c->timer, on_linger_end, LINGER_MS, 0);
}

/* All output so far is written: close if a response or the client said so. */
static void after_flush(conn_t *c) {
  if (c->closing || c->lingering || c->writing || c->b->out.len || c->b->file_x)
    return;
  if (c->close_after || (c->peer_eof && c->b->nx == 0))
    linger(c);
  else if (c->server->_closing && c->b->nx == 0 && !c->b->body_x)
    eddy__http_conn_close(c);
}

static void flush(conn_t *c);
static void write_out(conn_t *c);
static void written(conn_t *c);

static void on_write(eddy_write_t *req, int status) {
  conn_t *c = req->data;
  c->writing = 0;
  c->b->writes_done++;
  c->b->wbuf.len = 0;
  if (c->closing) return;
  if (status < 0) {
    eddy__http_conn_close(c);
    return;
  }
  written(c);
}

/* After a write finished: more output, drain callback, close or timers. */
static void written(conn_t *c) {
  flush(c);
  if (c->want_drain && !c->writing && !eddy_queue_empty(&c->b->xq)) {
    eddy_http_res_t *x = EDDY_CONTAINER_OF(eddy_queue_head(&c->b->xq),
                                           eddy_http_res_t, node);
    c->want_drain = 0;
    if (x->drain) x->drain(x);
  }
  after_flush(c);
  if (c->paused) eddy__http_conn_flush_soon(c); /* may it read again? */
  eddy__http_conn_update_timer(c);
  busy_release_idle(c);
}

static void on_file_write(eddy_write_t *req, int status) {
  conn_t *c = req->data;
  c->b->file_writing = 0;
  c->b->writes_done++;
  if (c->closing) return;
  if (status < 0) {
    eddy__http_conn_close(c);
    return;
  }
  c->b->file_x->flags |= X_FILE_SENT;
  c->b->file_x = NULL;
  eddy__http_x_promote(c);
  written(c);
}

/* The file of file_x goes once the bytes before it (its head) are queued. */
static void start_file(conn_t *c) {
  eddy_http_res_t *x = c->b->file_x;
  c->b->fwreq.data = c;
  c->b->file_writing = 1;
  if (eddy_write_file(&c->b->fwreq, EDDY_STREAM(&c->tcp), x->file_fd,
                      x->file_off, x->file_len, on_file_write) < 0) {
    c->b->file_writing = 0;
    eddy__http_conn_close(c);
  }
}

static void flush(conn_t *c) {
  if (c->closing) return;
  if (!c->writing && c->b->out.len) write_out(c);
  if (!c->closing && c->b->file_x && !c->b->file_writing && !c->b->out.len)
    start_file(c);
}

static void write_out(conn_t *c) {
  hbuf_t t = c->b->wbuf;
  c->b->wbuf = c->b->out;
  c->b->out = t;
  c->b->out.len = 0;
  c->writing = 1;
  c->b->wreq.data = c;
  eddy_buf_t b = eddy_buf(c->b->wbuf.base, c->b->wbuf.len);
  if (eddy_write(&c->b->wreq, EDDY_STREAM(&c->tcp), &b, 1, on_write) < 0) {
    c->writing = 0;
    eddy__http_conn_close(c);
  }
}

static void on_flush_imm(eddy_immediate_t *imm) {
  conn_t *c = imm->data;
  if (c->closing) return;
  if (c->body_resume) {
    c->body_resume = 0;
    if (!c->paused && !c->lingering)
      eddy_read_start(EDDY_STREAM(&c->tcp), on_alloc, on_read);
    c->in_read = 1;
    process(c);
    c->in_read = 0;
    if (c->closing) return;
  }
  if (c->paused && may_resume(c) && !c->stop_parse && !c->body_paused) {
    c->paused = 0;
    eddy_read_start(EDDY_STREAM(&c->tcp), on_alloc, on_read);
    c->in_read = 1;
    process(c);
    c->in_read = 0;
  }
  flush(c);
  after_flush(c);
  eddy__http_conn_update_timer(c);
  busy_release_idle(c);
}

void eddy__http_conn_flush_soon(conn_t *c) {
  if (c->in_read || c->closing || eddy_immediate_queued(&c->b->flush_imm))
    return;
  eddy_immediate_start(&c->b->flush_imm, on_flush_imm);
}

void eddy__http_conn_x_done(conn_t *c) {
  c->b->nx--;
  if (c->paused) eddy__http_conn_flush_soon(c);
}

/* Nothing is left to answer or to write: closing loses nothing. */
static int nothing_owed(conn_t *c) {
  conn_busy_t *b = c->b;
  return !b || (b->nx == 0 && !c->writing && !b->out.len && !b->file_x &&
                !b->file_writing);
}

/*
 * The client half-closed (EOF) or the read failed. After an error nothing
 * can be delivered: close. After EOF every request read in full is still
 * answered (a client may send its requests, shut down its write side and
 * wait for the answers, as `nc -N` does); the connection lingers and closes
 * once the last of them is written. A body cut short by the EOF can never
 * complete: that request is answered 400.
 */
static void on_read_end(conn_t *c, ssize_t status) {
  if (status != EDDY_EOF || !c->b) {
    eddy__http_conn_close(c);
    return;
  }
  c->stop_parse = 1;
  c->peer_eof = 1;
  eddy_read_stop(EDDY_STREAM(&c->tcp));
  eddy_http_res_t *body_x = c->b->body_x;
  if (body_x && (body_x->flags & X_STREAM))
    eddy__http_stream_fail(c, 400);
  else if (body_x) {
    c->b->body_x = NULL;
    c->b->raw = 0;
    eddy__http_x_error(c, body_x, 400);
  }
  if (c->closing) return;
  if (nothing_owed(c)) {
    eddy__http_conn_close(c);
    return;
  }
  flush(c);
  after_flush(c);
  eddy__http_conn_update_timer(c);
}

static void on_read(eddy_stream_t *s, ssize_t n, const eddy_buf_t *buf) {
  conn_t *c = s->data;
  if (c->lingering) {
    if (n < 0) eddy__http_conn_close(c);
    return;
  }
  if (n < 0) {
    on_read_end(c, n);
    return;
  }
  if (n == 0) return;
  c->b->rb->len += (size_t)n;
  c->in_read = 1;
  process(c);
  c->in_read = 0;
  if (c->closing) return;
  rb_release_idle(c);
  flush(c);
  after_flush(c);
  eddy__http_conn_update_timer(c);
  busy_release_idle(c);
}

static void on_closed(eddy_handle_t *h) {
  conn_t *c = h->data;
  if (--c->handles) return;
  eddy_http_server_t *s = c->server;
  busy_free(c);
  eddy_queue_remove(&c->node);
  free(c);
  eddy__http_server_conn_gone(s);
}

void eddy__http_conn_close(conn_t *c) {
  if (c->closing) return;
  c->closing = 1;
  if (c->b) abort_exchanges(c);
  eddy_close(EDDY_HANDLE(&c->tcp), on_closed);
  eddy_close(EDDY_HANDLE(&c->timer), on_closed);
}

/* Closing: handlers still working hear of it; the rest is released. */
static void abort_exchanges(conn_t *c) {
  eddy_immediate_stop(&c->b->flush_imm);
  if (c->b->spare) eddy__http_x_put(c->server, c->b->spare);
  c->b->spare = NULL;
  c->b->body_x = NULL;
  c->b->file_x = NULL;
  while (!eddy_queue_empty(&c->b->xq)) {
    eddy_http_res_t *x = EDDY_CONTAINER_OF(eddy_queue_head(&c->b->xq),
                                           eddy_http_res_t, node);
    eddy_queue_remove(&x->node);
    x->conn = NULL;
    x->flags |= X_ABORTED | X_DONE;
    if ((x->flags & X_ENDED) || !(x->flags & X_DISPATCHED))
      eddy__http_x_release(x);
    else if (x->on_close)
      x->on_close(x);
  }
  c->b->nx = 0;
}

void eddy__http_conn_idle_close(conn_t *c) {
  c->stop_parse = 1;
  if (!c->writing && (!c->b || (c->b->nx == 0 && !c->b->out.len)))
    eddy__http_conn_close(c);
}

static void free_failed(eddy_handle_t *h) { free(h->data); }

void eddy__http_conn_accept(eddy_http_server_t *s) {
  conn_t *c = calloc(1, sizeof(*c));
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
  c->handles = 2;
  if (eddy_read_start(EDDY_STREAM(&c->tcp), on_alloc, on_read) < 0) {
    eddy__http_conn_close(c);
    return;
  }
  eddy__http_conn_timer_accepted(c);
}

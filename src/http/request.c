/*
 * The parse loop: every complete request in the read buffer is parsed in
 * place and dispatched in order (pipelining); a body is buffered until
 * complete, or streamed when the on-head hook asks; "100 Continue" goes
 * out only when the body is really wanted. Reading pauses while too many
 * answers wait for the client.
 */
#include <stdint.h>
#include <string.h>

#include "http/conn.h"

/* Parsed requests waiting on one connection before reading pauses. */
#define MAX_PIPELINE 256
/* Response bytes waiting for the client above which no new request is
 * read (resumed below half). */
#define OUT_HIGH_WATER (64u * 1024u)
/* Request heads the unanswered requests of one connection may pin. */
#define HELD_HEADS (1024u * 1024u)
/* A buffered body must fit in memory whatever size_t is (32-bit builds). */
#define MAX_BUFFERED_BODY ((uint64_t)(SIZE_MAX / 4))

static int is_first(eddy__http_conn_t *c, eddy_http_res_t *res) {
  return eddy_queue_head(&c->busy->res_queue) == &res->node;
}

static void send_continue(eddy__http_conn_t *c, eddy_http_res_t *res) {
  static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
  if (!(res->req.flags & EDDY_HTTP_F_EXPECT_CONTINUE) ||
      res->req.minor_version < 1 || (res->flags & EDDY__RES_CONTINUE))
    return;
  res->flags |= EDDY__RES_CONTINUE;
  eddy__http_buf_t *dst = is_first(c, res) ? &c->busy->out : &res->held;
  if (eddy__http_buf_put(dst, cont, sizeof(cont) - 1) < 0) {
    eddy__http_conn_close(c); /* the client would wait for it in vain */
    return;
  }
  eddy__http_conn_flush_soon(c);
}

/* `bytes`: the head and body it was parsed from, which its slices pin. */
static void dispatch(eddy__http_conn_t *c, eddy_http_res_t *res, size_t bytes) {
  res->req_bytes = bytes;
  c->busy->request_bytes += bytes;
  eddy__http_res_hold(c, res);
  c->server->_handler(c->server, &res->req, res);
}

enum { BODY_FAILED = -1, BODY_INCOMPLETE = 0, BODY_DISPATCHED = 1 };

/* The next piece of a buffered chunked body, decoded in place. */
static int chunked_more(eddy__http_conn_t *c, eddy_http_res_t *res,
                        size_t start) {
  eddy__http_busy_t *busy = c->busy;
  eddy__http_read_buf_t *r = busy->read_buf;
  size_t used = 0, made = 0;
  int rc = eddy_http_chunked_decode(&busy->chunked, r->data + busy->chunk_pos,
                                    r->len - busy->chunk_pos,
                                    r->data + start + res->body_len, &used,
                                    &made);
  res->body_len += made;
  busy->chunk_pos += used;
  if (rc == EDDY_HTTP_INCOMPLETE) return BODY_INCOMPLETE;
  if (rc < 0) {
    busy->body_res = NULL;
    busy->chunk_pos = 0;
    eddy__http_res_error(c, res, -rc);
    return BODY_FAILED;
  }
  res->body = r->data + start;
  res->req_bytes = busy->chunk_pos - busy->parse_pos;
  busy->parse_pos = busy->chunk_pos;
  busy->chunk_pos = 0;
  return BODY_DISPATCHED;
}

/* Continues the body of body_res: dispatched when complete. */
static int body_more(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  eddy_http_res_t *res = busy->body_res;
  if (res->flags & EDDY__RES_STREAM) return eddy__http_stream_more(c);
  size_t start = busy->parse_pos + busy->head_len;
  if (res->req.flags & EDDY_HTTP_F_CHUNKED) {
    int rc = chunked_more(c, res, start);
    if (rc != BODY_DISPATCHED) return rc;
  } else {
    size_t cl = (size_t)res->req.content_length; /* <= MAX_BUFFERED_BODY */
    if (busy->read_buf->len - start < cl) return BODY_INCOMPLETE;
    res->body = busy->read_buf->data + start;
    res->body_len = cl;
    res->req_bytes = busy->head_len + cl;
    busy->parse_pos = start + cl;
  }
  busy->body_res = NULL;
  dispatch(c, res, res->req_bytes);
  return BODY_DISPATCHED;
}

/* The on-head hook; 0 if it answered (the body is then never read). */
static int run_hook(eddy__http_conn_t *c, eddy_http_res_t *res) {
  res->flags |= EDDY__RES_IN_HOOK;
  c->server->_on_head(c->server, &res->req, res);
  if (c->closing || c->busy->body_res != res) return 0; /* answered, ended */
  res->flags &= ~(unsigned)EDDY__RES_IN_HOOK;
  if (!(res->flags & EDDY__RES_HEAD_SENT)) return 1;
  /* Answering, not ended yet: the body is never read. */
  c->busy->body_res = NULL;
  c->stop_parse = 1;
  eddy__http_res_hold(c, res);
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

/* A streamed body: the hook's callbacks get it from parse on. */
static void start_stream(eddy__http_conn_t *c, eddy_http_res_t *res) {
  eddy__http_busy_t *busy = c->busy;
  eddy_http_request_t *q = &res->req;
  res->body_left = q->flags & EDDY_HTTP_F_CHUNKED ? 0
                                                  : (uint64_t)q->content_length;
  busy->parse_pos += busy->head_len;
  busy->chunk_pos = 0;
  eddy__http_res_hold(c, res);
  if (busy->parse_pos == busy->read_buf->len) send_continue(c, res);
}

/* Over its limit: 413. A streaming hook owns `res` and hears it through
 * on_end, as http.h promises; a buffered one is answered here. */
static void too_large(eddy__http_conn_t *c, eddy_http_res_t *res) {
  if (res->flags & EDDY__RES_STREAM) {
    eddy__http_res_hold(c, res);
    eddy__http_stream_fail(c, 413);
    return;
  }
  c->busy->body_res = NULL;
  eddy__http_res_error(c, res, 413);
}

static int over_limit(const eddy_http_res_t *res) {
  const eddy_http_request_t *q = &res->req;
  if (q->content_length > 0 && (uint64_t)q->content_length > res->max_body)
    return 1;
  return !(res->flags & EDDY__RES_STREAM) && q->content_length > 0 &&
         (uint64_t)q->content_length > MAX_BUFFERED_BODY;
}

static void start_body(eddy__http_conn_t *c, eddy_http_res_t *res,
                       size_t head_len) {
  eddy__http_busy_t *busy = c->busy;
  busy->body_res = res;
  busy->head_len = head_len;
  if (c->server->_on_head && !run_hook(c, res)) return;
  if (over_limit(res)) {
    too_large(c, res);
    return;
  }
  if (res->req.flags & EDDY_HTTP_F_CHUNKED) {
    eddy_http_chunked_init(&busy->chunked, eddy__http_conn_limits(c));
    busy->chunked._max_body = res->max_body;
    busy->chunk_pos = busy->parse_pos + head_len;
  }
  if (res->flags & EDDY__RES_STREAM)
    start_stream(c, res); /* eddy__http_conn_parse delivers the body */
  else if (body_more(c) == BODY_INCOMPLETE)
    send_continue(c, res);
}

static void start_request(eddy__http_conn_t *c, eddy_http_res_t *res,
                          size_t head_len) {
  eddy_http_request_t *q = &res->req;
  if (unsupported(q)) {
    eddy__http_res_error(c, res, 501);
    return;
  }
  if (q->method == EDDY_HTTP_HEAD) res->flags |= EDDY__RES_HEAD_REQ;
  if (!(q->flags & EDDY_HTTP_F_KEEP_ALIVE) || c->server->_closing) {
    res->flags |= EDDY__RES_CLOSE;
    c->stop_parse = 1; /* nothing after a closing request is answered */
  }
  if (!(q->flags & EDDY_HTTP_F_CHUNKED) && q->content_length <= 0) {
    c->busy->parse_pos += head_len;
    dispatch(c, res, head_len);
    return;
  }
  start_body(c, res, head_len);
}

/* Response bytes not yet taken by the kernel: queued on the stream, and
 * the output being gathered. */
static size_t backlog(eddy__http_conn_t *c) {
  return eddy_stream_queued(EDDY_STREAM(&c->tcp)) + c->busy->out.len;
}

/* Request bytes the unanswered requests of one connection may pin (their
 * heads and bodies keep their read buffers alive): one body at the limit
 * and a MiB of heads. Reading resumes below half. */
static size_t held_limit(eddy__http_conn_t *c) {
  uint64_t max_body = eddy__http_conn_limits(c)->max_body;
  return max_body < MAX_BUFFERED_BODY ? (size_t)max_body + HELD_HEADS
                                      : (size_t)MAX_BUFFERED_BODY;
}

/* Reading new requests stops while the client does not take the answers
 * to the old ones (Node pauses above the socket's high-water mark too): a
 * pipelining client that never reads would make the server buffer every
 * response, up to MAX_PIPELINE of them. */
static int must_pause(eddy__http_conn_t *c) {
  return c->busy->res_count >= MAX_PIPELINE || backlog(c) > OUT_HIGH_WATER ||
         c->busy->request_bytes > held_limit(c);
}

int eddy__http_conn_may_resume(eddy__http_conn_t *c) {
  return c->busy->res_count < MAX_PIPELINE / 2 &&
         backlog(c) <= OUT_HIGH_WATER / 2 &&
         c->busy->request_bytes <= held_limit(c) / 2;
}

/* A refused head: its status, and no body if it was a HEAD request (the
 * parser leaves the request unspecified, so look at the bytes). */
static void refuse(eddy__http_conn_t *c, eddy_http_res_t *res, int rc,
                   const char *head, size_t avail) {
  int status = eddy_http_error_status(rc) ? -rc : 400;
  int is_head = avail >= 5 && memcmp(head, "HEAD ", 5) == 0;
  res->req.method = is_head ? EDDY_HTTP_HEAD : EDDY_HTTP_METHOD_UNKNOWN;
  eddy__http_res_error(c, res, status);
}

/* Parses one request head at parse_pos; 0 when the loop must stop. */
static int parse_one(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  eddy__http_read_buf_t *r = busy->read_buf;
  size_t avail = r ? r->len - busy->parse_pos : 0;
  if (!avail) return 0;
  if (must_pause(c)) {
    eddy_read_stop(EDDY_STREAM(&c->tcp));
    c->paused = 1;
    return 0;
  }
  if (!busy->spare && !(busy->spare = eddy__http_res_get(c->server))) {
    eddy__http_conn_close(c);
    return 0;
  }
  eddy_http_res_t *res = busy->spare;
  const char *head = r->data + busy->parse_pos;
  int rc = eddy_http_parse_request(head, avail, &res->req, res->headers,
                                   res->max_headers, busy->parse_scanned,
                                   &c->server->_parse_limits);
  if (rc == EDDY_HTTP_INCOMPLETE) {
    busy->parse_scanned = avail;
    return 0;
  }
  busy->parse_scanned = 0;
  busy->spare = NULL;
  eddy__http_conn_enqueue(c, res);
  if (rc < 0) {
    refuse(c, res, rc, head, avail);
    return 0;
  }
  start_request(c, res, (size_t)rc);
  return 1;
}

void eddy__http_conn_parse(eddy__http_conn_t *c) {
  while (!c->closing && (c->busy->body_res || !c->stop_parse)) {
    if (c->busy->body_res) {
      if (body_more(c) != BODY_DISPATCHED) return;
    } else if (!parse_one(c)) {
      return;
    }
  }
}

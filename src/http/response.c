/*
 * Responses: header staging, head serialization (into the connection's
 * output buffer when the response is first in line, so a simple GET costs
 * no allocation), bodies with Content-Length or chunked framing, and
 * strict request-order release of the output.
 */
#include <stdlib.h>
#include <string.h>

#include "http/conn.h"
#include "http/parser.h"

/* Out of memory in the middle of a response: its bytes can no longer be
 * made whole, so the connection closes (never a corrupt response). The
 * handler learns it from the -ENOMEM it gets, not from on_close. */
static int fail_oom(eddy_http_res_t *res) {
  res->on_close = NULL;
  eddy__http_conn_close(res->conn);
  return -ENOMEM;
}

/* Where res's bytes go: straight out if it is first in line, else held.
 * After a response that closes the connection nothing more goes out: the
 * next one in line is held too (its bytes would follow a Connection:
 * close, or end up in an HTTP/1.0 body delimited by the close). */
eddy__http_buf_t *eddy__http_dest(eddy_http_res_t *res) {
  eddy__http_conn_t *c = res->conn;
  if (c->close_after || eddy_queue_head(&c->busy->res_queue) != &res->node)
    return &res->held;
  eddy__http_buf_from_cache(c->server, &c->busy->out);
  return &c->busy->out;
}

/*
 * The head is written with one reservation and then plain stores: its
 * size is bounded by the lengths known up front (HEAD_FIXED covers the
 * constant parts, a 3-digit status and a 20-digit Content-Length), so no
 * append below needs its own check. `o` points into b->base after the
 * reserve; nothing can move the buffer until b->len is set at the end.
 */
#define HEAD_FIXED 192
#define PUT(o, s, n) (memcpy((o), (s), (n)), (o) += (n))
#define PUT_LIT(o, lit) PUT(o, lit, sizeof(lit) - 1)

static char *put_dec(char *o, uint64_t v) {
  if (v < 100) { /* most bodies of small answers: no loop */
    if (v >= 10) *o++ = (char)('0' + v / 10);
    *o++ = (char)('0' + v % 10);
    return o;
  }
  char tmp[20];
  int i = (int)sizeof(tmp);
  do {
    tmp[--i] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return PUT(o, tmp + i, sizeof(tmp) - (size_t)i);
}

static char *put_status_line(eddy_http_res_t *res, char *o, const char *reason,
                             size_t rlen, const char *name, size_t nlen) {
  int s = res->status; /* 100..999: eddy_http_res_status checks */
  if (s == 200) {
    PUT_LIT(o, "HTTP/1.1 200 OK");
  } else {
    PUT_LIT(o, "HTTP/1.1 ");
    o[0] = (char)('0' + s / 100), o[1] = (char)('0' + s / 10 % 10);
    o[2] = (char)('0' + s % 10), o[3] = ' ';
    o += 4;
    PUT(o, reason, rlen);
  }
  if (!(res->flags & EDDY__RES_USER_DATE)) {
    PUT_LIT(o, "\r\nDate: ");
    PUT(o, eddy__http_date_now(NULL), 29);
  }
  if (name && !(res->flags & EDDY__RES_USER_SERVER)) {
    PUT_LIT(o, "\r\nServer: ");
    PUT(o, name, nlen);
  }
  return PUT_LIT(o, "\r\n");
}

/* Content-Length (cl >= 0), else chunked (HTTP/1.1), else close-delimited. */
static char *put_framing(eddy_http_res_t *res, char *o, int64_t cl) {
  int s = res->status;
  if ((res->flags & EDDY__RES_USER_CL) || s < 200 || s == 204 || s == 304)
    return o;
  if (cl >= 0) {
    PUT_LIT(o, "Content-Length: ");
    o = put_dec(o, (uint64_t)cl);
    return PUT_LIT(o, "\r\n");
  }
  if (res->req.minor_version >= 1) {
    res->flags |= EDDY__RES_CHUNKED;
    return PUT_LIT(o, "Transfer-Encoding: chunked\r\n");
  }
  res->flags |= EDDY__RES_CLOSE; /* HTTP/1.0: the close delimits the body */
  return o;
}

int eddy__http_head(eddy_http_res_t *res, eddy__http_buf_t *b, int64_t cl) {
  eddy__http_conn_t *c = res->conn;
  int s = res->status;
  if ((s < 200 || s == 204) && (res->flags & EDDY__RES_USER_CL))
    eddy__http_res_drop_length(res); /* before `staged` is measured */
  const char *reason = s == 200 ? "OK" : eddy_http_status_reason(s);
  const char *name = c->server->_opts.server_name;
  size_t rlen = s == 200 ? 2 : strlen(reason), nlen = name ? strlen(name) : 0;
  size_t staged = res->staged_headers.len;
  if (eddy__http_buf_reserve(b, HEAD_FIXED + rlen + nlen + staged))
    return -ENOMEM;
  char *o = put_status_line(res, b->base + b->len, reason, rlen, name, nlen);
  if (staged) PUT(o, res->staged_headers.base, staged);
  if (s < 200 || s == 204 || s == 304 || (res->flags & EDDY__RES_HEAD_REQ))
    res->flags |= EDDY__RES_NO_BODY;
  o = put_framing(res, o, cl);
  if (c->server->_closing || c->busy->body_res == res)
    res->flags |= EDDY__RES_CLOSE;
  if (res->flags & EDDY__RES_CLOSE)
    PUT_LIT(o, "Connection: close\r\n");
  else if (res->req.minor_version == 0)
    PUT_LIT(o, "Connection: keep-alive\r\n");
  PUT_LIT(o, "\r\n");
  b->len = (size_t)(o - b->base);
  res->flags |= EDDY__RES_HEAD_SENT;
  return 0;
}

/* Moves finished responses at the front of the line into the output. */
void eddy__http_res_promote(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  while (!eddy_queue_empty(&busy->res_queue) && !c->close_after) {
    eddy_http_res_t *res = EDDY_CONTAINER_OF(eddy_queue_head(&busy->res_queue),
                                             eddy_http_res_t, node);
    if (res->held.len) {
      if (eddy__http_buf_put(&busy->out, res->held.base, res->held.len)) {
        eddy__http_conn_close(c); /* the answer would be cut: close */
        return;
      }
      res->held.len = 0;
    }
    if (!(res->flags & EDDY__RES_ENDED)) break;
    if ((res->flags & (EDDY__RES_FILE | EDDY__RES_FILE_SENT)) ==
        EDDY__RES_FILE) {
      busy->file_res = res; /* its head is in out; the file follows alone */
      break;
    }
    eddy_queue_remove(&res->node);
    res->flags |= EDDY__RES_DONE;
    if (res->flags & EDDY__RES_CLOSE) {
      c->close_after = 1;
      c->stop_parse = 1;
    }
    eddy__http_conn_res_done(c);
    eddy__http_res_release(res);
  }
  eddy__http_conn_flush_soon(c);
}

static int emit_body(eddy_http_res_t *res, const void *p, size_t n) {
  if (!n || (res->flags & EDDY__RES_NO_BODY)) return 0;
  eddy__http_buf_t *b = eddy__http_dest(res);
  int err = 0;
  if (res->flags & EDDY__RES_CHUNKED) {
    err |= eddy__http_buf_reserve(b, n + 20);
    err |= eddy__http_buf_put_num(b, n, 16);
    err |= eddy__http_buf_put_str(b, "\r\n");
  }
  err |= eddy__http_buf_put(b, p, n);
  if (res->flags & EDDY__RES_CHUNKED) err |= eddy__http_buf_put_str(b, "\r\n");
  return err ? -ENOMEM : 0;
}

int eddy__http_finish(eddy_http_res_t *res) {
  eddy__http_conn_t *c = res->conn;
  res->flags |= EDDY__RES_ENDED;
  if (c->busy->body_res == res) { /* answered before the body was read */
    c->busy->body_res = NULL;
    c->stop_parse = 1;
    c->body_paused = 0;
    res->flags |= EDDY__RES_CLOSE;
    eddy_read_stop(EDDY_STREAM(&c->tcp));
  }
  if (eddy_queue_head(&c->busy->res_queue) == &res->node)
    eddy__http_res_promote(c);
  return 0;
}

/* The server's own answer to a request it refuses (status >= 400), then
 * the close. A HEAD request gets the head only. */
int eddy__http_res_error(eddy__http_conn_t *c, eddy_http_res_t *res,
                         int status) {
  const char *reason = eddy_http_status_reason(status);
  res->flags = EDDY__RES_CLOSE | EDDY__RES_DISPATCHED;
  if (res->req.method == EDDY_HTTP_HEAD) res->flags |= EDDY__RES_HEAD_REQ;
  res->status = status;
  res->staged_headers.len = 0;
  res->req.minor_version = 1;
  c->stop_parse = 1;
  eddy_read_stop(EDDY_STREAM(&c->tcp));
  size_t n = strlen(reason);
  int err = eddy__http_buf_put_str(&res->staged_headers,
                                   "Content-Type: text/plain\r\n");
  err |= eddy__http_head(res, eddy__http_dest(res), (int64_t)n + 1);
  err |= emit_body(res, reason, n);
  err |= emit_body(res, "\n", 1);
  if (err) {
    res->flags |= EDDY__RES_ENDED; /* released by the close */
    eddy__http_conn_close(c);
    return -ENOMEM;
  }
  return eddy__http_finish(res);
}

/* ------------------------------------------------------------ public API */

void **eddy_http_res_data(eddy_http_res_t *res) { return &res->data; }

eddy_http_request_t *eddy_http_res_req(eddy_http_res_t *res) {
  return &res->req;
}

const char *eddy_http_req_body(const eddy_http_request_t *req, size_t *len) {
  const eddy_http_res_t *res = EDDY_CONTAINER_OF(req, eddy_http_res_t, req);
  if (len) *len = res->body_len;
  return res->body;
}

int eddy_http_res_peername(const eddy_http_res_t *res,
                           struct sockaddr_storage *addr, socklen_t *len) {
  if (!res->conn || (res->flags & EDDY__RES_ABORTED)) return -ECANCELED;
  return eddy_stream_peername(EDDY_STREAM(&res->conn->tcp), addr, len);
}

void eddy_http_res_on_drain(eddy_http_res_t *res, eddy_http_res_cb drain) {
  res->drain = drain;
}

void eddy_http_res_on_close(eddy_http_res_t *res, eddy_http_res_cb cb) {
  res->on_close = cb;
}

static int usable(eddy_http_res_t *res) {
  if (res->flags & EDDY__RES_ABORTED) return -ECANCELED;
  if (res->flags & (EDDY__RES_HEAD_SENT | EDDY__RES_ENDED)) return -EINVAL;
  return 0;
}

int eddy_http_res_status(eddy_http_res_t *res, int status) {
  int r = usable(res);
  if (r) return r;
  /* A 1xx is interim: the client would take the next response for this
   * request's (RFC 9110 §15.2). 100 Continue is the server's to send. */
  if (status < 200 || status > 999) return -EINVAL;
  res->status = status;
  return 0;
}

/* `n` more body bytes would go past the handler's Content-Length. */
static int past_length(const eddy_http_res_t *res, size_t n) {
  return (res->flags & EDDY__RES_USER_CL) && n > res->user_cl - res->body_sent;
}

/* A body is sent (not HEAD, 1xx, 204, 304); valid before the head too. */
static int sends_body(const eddy_http_res_t *res) {
  int s = res->status;
  return !(res->flags & EDDY__RES_HEAD_REQ) && s >= 200 && s != 204 && s != 304;
}

int eddy_http_res_write(eddy_http_res_t *res, const void *data, size_t len) {
  if (res->flags & EDDY__RES_ABORTED) return -ECANCELED;
  if (res->flags & EDDY__RES_ENDED) return -EINVAL;
  if (past_length(res, len)) return -EMSGSIZE; /* nothing of it is sent */
  if (!(res->flags & EDDY__RES_HEAD_SENT) &&
      eddy__http_head(res, eddy__http_dest(res), -1) < 0)
    return fail_oom(res);
  if (len && emit_body(res, data, len)) return fail_oom(res);
  res->body_sent += len;
  eddy__http_conn_t *c = res->conn;
  eddy__http_conn_flush_soon(c);
  if (eddy__http_res_backlog(res) <= EDDY_HIGH_WATER_DEFAULT) return 0;
  res->flags |= EDDY__RES_WANT_DRAIN;
  c->want_drain = 1;
  return 1;
}

/* The last bytes of a response whose head is already out. */
static int end_body(eddy_http_res_t *res, const void *body, size_t len) {
  int err = emit_body(res, body, len);
  /* HEAD: the head announced chunked, but no body bytes, not even the
   * last chunk (RFC 9110 §9.3.2). */
  if ((res->flags & (EDDY__RES_CHUNKED | EDDY__RES_NO_BODY)) ==
      EDDY__RES_CHUNKED)
    err |= eddy__http_buf_put_str(eddy__http_dest(res), "0\r\n\r\n");
  return err;
}

/*
 * The last bytes against the handler's Content-Length. Past it: none of
 * them go (-EMSGSIZE). Short of it, with a body to send: the client
 * cannot tell where this response ends, so it is the last on the
 * connection, which closes after it (-EMSGSIZE; h2o and Node's
 * strictContentLength likewise never let such a response be followed).
 */
static int check_length(eddy_http_res_t *res, const void **body, size_t *len) {
  int r = 0;
  if (!(res->flags & EDDY__RES_USER_CL)) return 0;
  if (past_length(res, *len)) {
    *body = NULL;
    *len = 0;
    r = -EMSGSIZE;
  }
  res->body_sent += *len;
  if (res->body_sent < res->user_cl && sends_body(res)) {
    res->flags |= EDDY__RES_CLOSE;
    r = -EMSGSIZE;
  }
  return r;
}

int eddy_http_res_end(eddy_http_res_t *res, const void *body, size_t len) {
  if (res->flags & EDDY__RES_ABORTED) {
    res->flags |= EDDY__RES_ENDED;
    eddy__http_res_release(res);
    return -ECANCELED;
  }
  if (res->flags & EDDY__RES_ENDED) return -EINVAL;
  int r = check_length(res, &body, &len), err;
  if (!(res->flags & EDDY__RES_HEAD_SENT)) {
    err = eddy__http_head(res, eddy__http_dest(res), (int64_t)len);
    err |= emit_body(res, body, len);
  } else {
    err = end_body(res, body, len);
  }
  if (err) {
    res->flags |= EDDY__RES_ENDED; /* released by the close */
    return fail_oom(res);
  }
  eddy__http_finish(res);
  return r;
}

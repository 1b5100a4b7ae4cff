/*
 * Responses: header staging, head serialization (into the connection's
 * output buffer when the response is first in line, so a simple GET costs
 * no allocation), bodies with Content-Length or chunked framing, and
 * strict request-order release of the output.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http/conn.h"
#include "http/parser.h"

#define BUF_INIT 1024

void eddy__http_buf_release(eddy_http_server_t *s, hbuf_t *b) {
  if (!b->base) return;
  if (b->cap == BUF_INIT)
    eddy__http_cache_put(s, EDDY__HTTP_CACHE_BUF, b->base);
  else
    free(b->base);
  b->base = NULL;
  b->len = b->cap = 0;
}

int eddy__http_buf_reserve(hbuf_t *b, size_t more) {
  if (b->cap - b->len >= more) return 0;
  size_t cap = b->cap ? b->cap : BUF_INIT;
  while (cap - b->len < more) cap *= 2;
  char *p = realloc(b->base, cap);
  if (!p) return -ENOMEM;
  b->base = p;
  b->cap = cap;
  return 0;
}

int eddy__http_buf_put(hbuf_t *b, const void *p, size_t n) {
  if (!n) return 0; /* p may be NULL (no staged headers) */
  if (eddy__http_buf_reserve(b, n)) return -ENOMEM;
  memcpy(b->base + b->len, p, n);
  b->len += n;
  return 0;
}

static void put_str(hbuf_t *b, const char *s) { eddy__http_buf_put(b, s, strlen(s)); }

/* Decimal or hex digits of v, no allocation. */
static void put_num(hbuf_t *b, uint64_t v, unsigned base) {
  char tmp[24];
  int i = (int)sizeof(tmp);
  do {
    tmp[--i] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  eddy__http_buf_put(b, tmp + i, sizeof(tmp) - (size_t)i);
}

void eddy__http_x_release(eddy_http_res_t *x) {
  if (x->file_fd >= 0) close(x->file_fd); /* reads nothing: never blocks */
  x->file_fd = -1;
  if (x->rb && --x->rb->refs == 0) free(x->rb);
  x->rb = NULL;
  eddy__http_x_put(x->conn ? x->conn->server : NULL, x);
}

/* Where x's bytes go: straight out if it is first in line, else held. */
hbuf_t *eddy__http_dest(eddy_http_res_t *x) {
  conn_t *c = x->conn;
  if (eddy_queue_head(&c->b->xq) != &x->node) return &x->pend;
  hbuf_t *out = &c->b->out;
  if (!out->base &&
      (out->base = eddy__http_cache_get(c->server, EDDY__HTTP_CACHE_BUF)))
    out->cap = BUF_INIT; /* a buffer an idle connection gave back */
  return out;
}

size_t eddy__http_head(eddy_http_res_t *x, hbuf_t *b, int64_t cl) {
  conn_t *c = x->conn;
  size_t start = b->len;
  int s = x->status;
  eddy__http_buf_reserve(b, 160 + x->hdrs.len);
  put_str(b, "HTTP/1.1 ");
  put_num(b, (uint64_t)s, 10);
  put_str(b, " ");
  put_str(b, eddy_http_status_reason(s));
  if (!(x->flags & X_USER_DATE)) {
    put_str(b, "\r\nDate: ");
    eddy__http_buf_put(b, eddy__http_date_now(NULL), 29);
  }
  const char *name = c->server->_opts.server_name;
  if (name && !(x->flags & X_USER_SERVER)) {
    put_str(b, "\r\nServer: ");
    put_str(b, name);
  }
  put_str(b, "\r\n");
  eddy__http_buf_put(b, x->hdrs.base, x->hdrs.len);
  if (s < 200 || s == 204 || s == 304 || (x->flags & X_HEAD_REQ))
    x->flags |= X_NO_BODY;
  if (!(x->flags & X_USER_CL) && s >= 200 && s != 204 && s != 304) {
    if (cl >= 0) {
      put_str(b, "Content-Length: ");
      put_num(b, (uint64_t)cl, 10);
      put_str(b, "\r\n");
    } else if (x->req.minor_version >= 1) {
      put_str(b, "Transfer-Encoding: chunked\r\n");
      x->flags |= X_CHUNKED;
    } else {
      x->flags |= X_CLOSE; /* HTTP/1.0: the close delimits the body */
    }
  }
  if (c->server->_closing || c->b->body_x == x) x->flags |= X_CLOSE;
  if (x->flags & X_CLOSE)
    put_str(b, "Connection: close\r\n");
  else if (x->req.minor_version == 0)
    put_str(b, "Connection: keep-alive\r\n");
  put_str(b, "\r\n");
  x->flags |= X_HEAD_SENT;
  return b->len - start;
}

/* Moves finished responses at the front of the line into the output. */
void eddy__http_x_promote(conn_t *c) {
  while (!eddy_queue_empty(&c->b->xq) && !c->close_after) {
    eddy_http_res_t *x = EDDY_CONTAINER_OF(eddy_queue_head(&c->b->xq),
                                           eddy_http_res_t, node);
    if (x->pend.len) {
      eddy__http_buf_put(&c->b->out, x->pend.base, x->pend.len);
      x->pend.len = 0;
    }
    if (!(x->flags & X_ENDED)) break;
    if ((x->flags & (X_FILE | X_FILE_SENT)) == X_FILE) {
      c->b->file_x = x; /* its head is in out; the file follows it alone */
      break;
    }
    eddy_queue_remove(&x->node);
    x->flags |= X_DONE;
    if (x->flags & X_CLOSE) {
      c->close_after = 1;
      c->stop_parse = 1;
    }
    eddy__http_conn_x_done(c);
    eddy__http_x_release(x);
  }
  eddy__http_conn_flush_soon(c);
}

static int emit_body(eddy_http_res_t *x, const void *p, size_t n) {
  if (!n || (x->flags & X_NO_BODY)) return 0;
  hbuf_t *b = eddy__http_dest(x);
  if (x->flags & X_CHUNKED) {
    put_num(b, n, 16);
    put_str(b, "\r\n");
  }
  if (eddy__http_buf_put(b, p, n)) return -ENOMEM;
  if (x->flags & X_CHUNKED) put_str(b, "\r\n");
  return 0;
}

int eddy__http_finish(eddy_http_res_t *x) {
  conn_t *c = x->conn;
  x->flags |= X_ENDED;
  if (c->b->body_x == x) { /* answered before the body was read: never read */
    c->b->body_x = NULL;
    c->stop_parse = 1;
    c->body_paused = 0;
    x->flags |= X_CLOSE;
    eddy_read_stop(EDDY_STREAM(&c->tcp));
  }
  if (eddy_queue_head(&c->b->xq) == &x->node) eddy__http_x_promote(c);
  return 0;
}

int eddy__http_x_error(conn_t *c, eddy_http_res_t *x, int status) {
  const char *reason = eddy_http_status_reason(status);
  x->flags = X_CLOSE | X_DISPATCHED;
  x->status = status;
  x->hdrs.len = 0;
  x->req.minor_version = 1;
  put_str(&x->hdrs, "Content-Type: text/plain\r\n");
  c->stop_parse = 1;
  eddy_read_stop(EDDY_STREAM(&c->tcp));
  size_t n = strlen(reason);
  eddy__http_head(x, eddy__http_dest(x), (int64_t)n + 1);
  emit_body(x, reason, n);
  emit_body(x, "\n", 1);
  return eddy__http_finish(x);
}

/* ------------------------------------------------------------ public API */

void **eddy_http_res_data(eddy_http_res_t *res) { return &res->data; }

eddy_http_request_t *eddy_http_res_req(eddy_http_res_t *res) {
  return &res->req;
}

const char *eddy_http_req_body(const eddy_http_request_t *req, size_t *len) {
  const eddy_http_res_t *x = EDDY_CONTAINER_OF(req, eddy_http_res_t, req);
  if (len) *len = x->body_len;
  return x->body;
}

void eddy_http_res_on_drain(eddy_http_res_t *res, eddy_http_res_cb drain) {
  res->drain = drain;
}

void eddy_http_res_on_close(eddy_http_res_t *res, eddy_http_res_cb cb) {
  res->on_close = cb;
}

static int usable(eddy_http_res_t *x) {
  if (x->flags & X_ABORTED) return -ECANCELED;
  if (x->flags & (X_HEAD_SENT | X_ENDED)) return -EINVAL;
  return 0;
}

int eddy_http_res_status(eddy_http_res_t *res, int status) {
  int r = usable(res);
  if (r) return r;
  if (status < 100 || status > 999) return -EINVAL;
  res->status = status;
  return 0;
}

/* Bytes of class `cls` only, at least one if `nonempty` (as Node checks
 * header names and values: no response splitting, no control bytes). */
static int all_of(const char *s, int cls, int nonempty) {
  if (nonempty && !*s) return 0;
  for (; *s; s++)
    if (!EDDY__HC(*s, cls)) return 0;
  return 1;
}

/* Removes every "name: ..." line from the staged headers. */
static void drop(hbuf_t *h, const char *name, size_t nlen) {
  size_t i = 0;
  while (i < h->len) {
    char *eol = memchr(h->base + i, '\n', h->len - i);
    size_t end = (size_t)(eol - h->base) + 1;
    if (end - i > nlen && h->base[i + nlen] == ':' &&
        strncasecmp(h->base + i, name, nlen) == 0) {
      memmove(h->base + i, h->base + end, h->len - end);
      h->len -= end - i;
    } else {
      i = end;
    }
  }
}

/* The header names the server writes itself unless the handler does, as
 * the flag that says the handler did (Connection: X_CLOSE, by value). One
 * length test and at most one strcasecmp per call: set_header is hot. */
static unsigned own_header(const char *name) {
  switch (strlen(name)) {
  case 4: return strcasecmp(name, "date") == 0 ? X_USER_DATE : 0;
  case 6: return strcasecmp(name, "server") == 0 ? X_USER_SERVER : 0;
  case 10: return strcasecmp(name, "connection") == 0 ? X_CLOSE : 0;
  case 14: return strcasecmp(name, "content-length") == 0 ? X_USER_CL : 0;
  default: return 0;
  }
}

static void note(eddy_http_res_t *x, unsigned own, const char *value) {
  if (own != X_CLOSE) x->flags |= own;
  else if (strcasecmp(value, "close") == 0) x->flags |= X_CLOSE;
}

int eddy_http_res_append_header(eddy_http_res_t *res, const char *name,
                                const char *value) {
  int r = usable(res);
  if (r) return r;
  if (!name || !value || !all_of(name, EDDY__HC_TCHAR, 1) ||
      !all_of(value, EDDY__HC_VALUE, 0))
    return -EINVAL;
  /* Connection is ours to write (keep-alive/close); record the wish. */
  unsigned own = own_header(name);
  if (own == X_CLOSE) {
    note(res, own, value);
    return 0;
  }
  hbuf_t *h = &res->hdrs;
  size_t nl = strlen(name), vl = strlen(value);
  if (eddy__http_buf_reserve(h, nl + vl + 4)) return -ENOMEM;
  eddy__http_buf_put(h, name, nl);
  eddy__http_buf_put(h, ": ", 2);
  eddy__http_buf_put(h, value, vl);
  eddy__http_buf_put(h, "\r\n", 2);
  note(res, own, value);
  return 0;
}

int eddy_http_res_remove_header(eddy_http_res_t *res, const char *name) {
  int r = usable(res);
  if (r) return r;
  if (!name) return -EINVAL;
  drop(&res->hdrs, name, strlen(name));
  res->flags &= ~(own_header(name) & (X_USER_CL | X_USER_DATE | X_USER_SERVER));
  return 0;
}

int eddy_http_res_set_header(eddy_http_res_t *res, const char *name,
                             const char *value) {
  int r = eddy_http_res_remove_header(res, name);
  return r ? r : eddy_http_res_append_header(res, name, value);
}

int eddy_http_res_write(eddy_http_res_t *res, const void *data, size_t len) {
  if (res->flags & X_ABORTED) return -ECANCELED;
  if (res->flags & X_ENDED) return -EINVAL;
  if (!(res->flags & X_HEAD_SENT)) eddy__http_head(res, eddy__http_dest(res), -1);
  if (len && emit_body(res, data, len)) return -ENOMEM;
  conn_t *c = res->conn;
  eddy__http_conn_flush_soon(c);
  size_t queued = c->b->out.len + res->pend.len +
                  eddy_stream_queued(EDDY_STREAM(&c->tcp));
  if (queued <= EDDY_HIGH_WATER_DEFAULT) return 0;
  c->want_drain = 1;
  return 1;
}

int eddy_http_res_end(eddy_http_res_t *res, const void *body, size_t len) {
  if (res->flags & X_ABORTED) {
    res->flags |= X_ENDED;
    eddy__http_x_release(res);
    return -ECANCELED;
  }
  if (res->flags & X_ENDED) return -EINVAL;
  int r = 0;
  if (!(res->flags & X_HEAD_SENT)) {
    eddy__http_head(res, eddy__http_dest(res), (int64_t)len);
    r = emit_body(res, body, len);
  } else {
    r = emit_body(res, body, len);
    /* HEAD: the head announced chunked, but no body bytes, not even the
     * last chunk (RFC 9110 §9.3.2). */
    if ((res->flags & (X_CHUNKED | X_NO_BODY)) == X_CHUNKED)
      put_str(eddy__http_dest(res), "0\r\n\r\n");
  }
  eddy__http_finish(res);
  return r;
}

/*
 * A connection's read buffer: where requests are parsed in place. It
 * grows up to the head limit (or to hold a buffered body), is compacted
 * when its front is parsed, and goes back to the server's cache when
 * everything in it is parsed and no request points into it.
 */
#include <stdlib.h>
#include <string.h>

#include "http/conn.h"

#define READ_BUF_INIT 8192
#define MIN_READ 2048
/* Chunk framing a buffered chunked body may add beyond its data limit. */
#define CHUNK_FRAMING_ROOM 65536

static eddy__http_read_buf_t *read_buf_new(size_t cap) {
  eddy__http_read_buf_t *r = malloc(sizeof(*r) + cap);
  if (!r) return NULL;
  r->refs = 1;
  r->cap = cap;
  r->len = 0;
  return r;
}

void eddy__http_read_buf_unref(eddy__http_read_buf_t *r) {
  if (r && --r->refs == 0) free(r);
}

eddy__http_read_buf_t *eddy__http_read_buf_get(eddy__http_conn_t *c) {
  eddy__http_read_buf_t *r = eddy__http_cache_get(c->server,
                                                  EDDY__HTTP_CACHE_RB);
  if (!r) return read_buf_new(READ_BUF_INIT);
  r->refs = 1;
  r->len = 0;
  return r;
}

void eddy__http_read_buf_release_idle(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  eddy__http_read_buf_t *r = busy->read_buf;
  if (!r || r->refs != 1 || busy->parse_pos != r->len || busy->body_res) return;
  busy->read_buf = NULL;
  busy->parse_pos = busy->parse_scanned = 0;
  if (r->cap == READ_BUF_INIT)
    eddy__http_cache_put(c->server, EDDY__HTTP_CACHE_RB, r);
  else
    free(r);
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

static void rebase(eddy_http_res_t *res, const buf_move_t *m) {
  eddy_http_request_t *q = &res->req;
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

/* Bytes the buffer may hold from parse_pos on: a head, or a head and the
 * whole body of a request whose body is buffered. */
static size_t limit(eddy__http_conn_t *c) {
  const eddy_http_limits_t *l = eddy__http_conn_limits(c);
  size_t head = l->max_request_line + l->max_header_bytes + 256;
  eddy_http_res_t *res = c->busy->body_res;
  if (!res || (res->flags & EDDY__RES_STREAM)) return head; /* consumed */
  if (res->req.flags & EDDY_HTTP_F_CHUNKED)
    return c->busy->head_len + (size_t)res->max_body + CHUNK_FRAMING_ROOM;
  return c->busy->head_len + (size_t)res->req.content_length + MIN_READ;
}

/* How big the buffer should be for `live` unparsed bytes; 0 if full. */
static size_t wanted(eddy__http_conn_t *c, size_t live) {
  size_t lim = limit(c), want = live + MIN_READ;
  if (want < READ_BUF_INIT) want = READ_BUF_INIT;
  eddy_http_res_t *res = c->busy->body_res;
  /* A Content-Length body: room for all of it at once, not by doubling. */
  if (res && !(res->req.flags & EDDY_HTTP_F_CHUNKED) && want < lim) want = lim;
  if (want > lim) want = lim;
  return want > live ? want : 0;
}

/*
 * A buffered chunked body is decoded in place: its data closes up behind
 * the head while the framing it came in leaves a gap before the bytes not
 * yet decoded. Closing the gap keeps the buffer at head + data + one read,
 * so framing never counts against the body limit. Nothing points into the
 * gap or the tail: body_res is not dispatched yet, and every other
 * exchange's slices lie before parse_pos.
 */
static void close_chunk_gap(eddy__http_busy_t *busy) {
  eddy_http_res_t *res = busy->body_res;
  if (!res || !(res->req.flags & EDDY_HTTP_F_CHUNKED) ||
      (res->flags & EDDY__RES_STREAM) || !busy->chunk_pos)
    return;
  eddy__http_read_buf_t *r = busy->read_buf;
  size_t data_end = busy->parse_pos + busy->head_len + res->body_len;
  if (busy->chunk_pos <= data_end) return;
  memmove(r->data + data_end, r->data + busy->chunk_pos,
          r->len - busy->chunk_pos);
  r->len -= busy->chunk_pos - data_end;
  busy->chunk_pos = data_end;
}

/* A new buffer for `want` bytes: the same size if that is enough (the old
 * one is pinned), else doubled while that stays within the limit. */
static eddy__http_read_buf_t *new_buf(eddy__http_conn_t *c, size_t want) {
  size_t cap = c->busy->read_buf->cap, lim = limit(c);
  if (want > cap || cap > lim)
    cap = cap * 2 > want && cap * 2 <= lim ? cap * 2 : want;
  return read_buf_new(cap);
}

int eddy__http_read_buf_make_room(eddy__http_conn_t *c) {
  eddy__http_busy_t *busy = c->busy;
  close_chunk_gap(busy);
  eddy__http_read_buf_t *r = busy->read_buf, *n = r;
  size_t keep = busy->parse_pos, live = r->len - keep;
  size_t want = wanted(c, live);
  if (!want) return -1;
  if (r->cap - r->len >= MIN_READ) return 0; /* the gap was enough */
  if ((r->refs > 1 || want > r->cap) && !(n = new_buf(c, want))) return -1;
  buf_move_t moved = {(uintptr_t)(r->data + keep), live,
                      (intptr_t)n->data - (intptr_t)(r->data + keep)};
  memmove(n->data, r->data + keep, live);
  n->len = live;
  /* A streamed body_res holds the old buffer (res_hold): its slices stay. */
  if (busy->body_res && !(busy->body_res->flags & EDDY__RES_STREAM))
    rebase(busy->body_res, &moved);
  if (busy->chunk_pos) busy->chunk_pos -= keep;
  busy->parse_pos = 0;
  if (n != r) {
    eddy__http_read_buf_unref(r);
    busy->read_buf = n;
  }
  return 0;
}

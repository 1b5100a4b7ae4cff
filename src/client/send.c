/*
 * Writing a request: the head with a buffered body in one write, or the
 * head alone before a streamed body or an awaited "100 Continue"; then the
 * streamed body (chunked when its length is unknown) with Node's
 * backpressure: eddy_client_write returns 1 above the stream's high-water
 * mark and on_ready runs again once it drains.
 *
 * Each write owns a copy of its bytes (one block per write), so a request
 * may end, and be freed, while its writes are still queued. A write's
 * callback finds its connection valid: a stream runs every write callback
 * before its close callback, and a connection is freed only after that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"

typedef struct {
  eddy_write_t w;
  conn_t *conn;
  creq_t *req; /* compared, never followed: the request may be gone */
  int head;    /* the write of a request head */
  char bytes[];
} wblock_t;

static void ready(creq_t *r) {
  r->ready = 1;
  r->o.on_ready(&r->pub);
}

static void on_written(eddy_write_t *w, int status) {
  wblock_t *b = (wblock_t *)w;
  conn_t *conn = b->conn;
  creq_t *r = conn->req;
  int mine = r && r == b->req;
  int head = b->head;
  free(b);
  if (!mine) return;
  if (status < 0 && status != -ECANCELED) {
    eddy__req_fail(r, -ECONNRESET);
    return;
  }
  if (head && status == 0 && r->o.stream_body && !r->wants_continue &&
      !r->ready)
    ready(r);
}

static int send_parts(conn_t *conn, creq_t *r, const eddy_buf_t *parts,
                      unsigned n, int head) {
  size_t total = 0;
  for (unsigned i = 0; i < n; i++) total += parts[i].len;
  wblock_t *b = malloc(sizeof *b + total);
  if (!b) return -ENOMEM;
  b->conn = conn;
  b->req = r;
  b->head = head;
  size_t off = 0;
  for (unsigned i = 0; i < n; i++) {
    memcpy(b->bytes + off, parts[i].base, parts[i].len);
    off += parts[i].len;
  }
  eddy_buf_t one = eddy_buf(b->bytes, total);
  int rc = eddy_write(&b->w, EDDY_STREAM(&conn->tcp), &one, 1, on_written);
  if (rc < 0) free(b);
  return rc;
}

int eddy__send(conn_t *conn, creq_t *r, const eddy_buf_t *parts, unsigned n) {
  return send_parts(conn, r, parts, n, 0);
}

static void on_drain(eddy_stream_t *s) {
  conn_t *conn = s->data;
  creq_t *r = conn->req;
  if (r && r->ready && !r->ended && r->state != REQ_DONE) r->o.on_ready(&r->pub);
}

void eddy__send_request(creq_t *r) {
  conn_t *conn = r->conn;
  eddy_buf_t parts[2] = {eddy_buf(r->head, r->head_len),
                         eddy_buf(r->body, r->body_len)};
  int with_body = r->body_len && !r->wants_continue;
  if (r->o.stream_body)
    eddy_stream_set_high_water(EDDY_STREAM(&conn->tcp), 0, on_drain);
  int rc = send_parts(conn, r, parts, with_body ? 2 : 1, 1);
  if (rc < 0) {
    eddy__req_fail(r, rc == -ENOMEM ? rc : -ECONNRESET);
    return;
  }
  r->body_sent = with_body;
  if (!r->wants_continue) r->state = REQ_HEAD;
}

/* After "100 Continue" (or the wait for it): the body goes now. */
void eddy__send_body(creq_t *r) {
  r->body_sent = 1;
  r->state = REQ_HEAD;
  if (r->o.stream_body) {
    ready(r);
    return;
  }
  eddy_buf_t part = eddy_buf(r->body, r->body_len);
  if (r->body_len && eddy__send(r->conn, r, &part, 1) < 0)
    eddy__req_fail(r, -ECONNRESET);
}

int eddy_client_write(eddy_client_req_t *req, const void *data, size_t len) {
  creq_t *r = (creq_t *)req;
  if (!r || !r->o.stream_body || !r->ready || r->ended) return -EINVAL;
  if (r->state == REQ_DONE || !r->conn) return -EPIPE;
  if (r->o.body_length >= 0 && r->sent + len > (uint64_t)r->o.body_length)
    return -EINVAL;
  if (len == 0) return 0; /* a zero-size chunk would end the body */
  char size[24];
  int sn = snprintf(size, sizeof size, "%zx\r\n", len);
  eddy_buf_t chunked[3] = {eddy_buf(size, (size_t)sn), eddy_buf(data, len),
                           eddy_buf("\r\n", 2)};
  int rc = r->o.body_length < 0 ? eddy__send(r->conn, r, chunked, 3)
                                : eddy__send(r->conn, r, &chunked[1], 1);
  if (rc < 0) return rc == -ENOMEM ? rc : -EPIPE;
  r->sent += len;
  return rc;
}

int eddy_client_end(eddy_client_req_t *req) {
  creq_t *r = (creq_t *)req;
  if (!r || !r->o.stream_body || !r->ready || r->ended) return -EINVAL;
  if (r->o.body_length >= 0 && r->sent != (uint64_t)r->o.body_length)
    return -EINVAL;
  if (r->state == REQ_DONE || !r->conn) return -EPIPE;
  r->ended = 1;
  if (r->o.body_length >= 0) return 0;
  eddy_buf_t last = eddy_buf("0\r\n\r\n", 5);
  int rc = eddy__send(r->conn, r, &last, 1);
  return rc < 0 ? -EPIPE : 0;
}

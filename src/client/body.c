/*
 * A response body: how it ends (RFC 9112 §6.3: no body for HEAD, 1xx, 204
 * and 304; chunked; Content-Length; else at close), and where it goes —
 * appended to one buffer up to max_body, or handed to on_data piece by
 * piece. Chunked data is decoded in place in the connection's buffer.
 */
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"

static int append(creq_t *r, const char *p, size_t n) {
  if (r->rbody_len + n > r->o.max_body) return -EMSGSIZE;
  if (r->rbody_len + n > r->rbody_cap) {
    size_t cap = r->rbody_cap ? r->rbody_cap * 2 : 4096;
    while (cap < r->rbody_len + n) cap *= 2;
    if (cap > r->o.max_body) cap = r->o.max_body;
    char *b = realloc(r->rbody, cap);
    if (!b) return -ENOMEM;
    r->rbody = b;
    r->rbody_cap = cap;
  }
  memcpy(r->rbody + r->rbody_len, p, n);
  r->rbody_len += n;
  return 0;
}

static int deliver(creq_t *r, const char *p, size_t n) {
  if (n == 0 || r->redirecting) return 0;
  if (r->o.buffer_body) return append(r, p, n);
  if (r->o.on_data) r->o.on_data(&r->pub, p, n);
  return 0;
}

static int no_body(const creq_t *r) {
  int s = r->rhead.status;
  return !strcmp(r->method_name, "HEAD") || s == 204 || s == 304 || s < 200;
}

int eddy__body_begin(creq_t *r) {
  const eddy_client_head_t *h = &r->rhead;
  r->keep_alive = (h->flags & EDDY_CLIENT_F_KEEP_ALIVE) != 0;
  r->rbody_len = 0;
  if (no_body(r)) {
    r->mode = BODY_NONE;
  } else if (h->flags & EDDY_CLIENT_F_CHUNKED) {
    eddy_http_limits_t lim = {.max_body = r->o.buffer_body ? r->o.max_body
                                                           : UINT64_MAX};
    r->mode = BODY_CHUNKED;
    eddy_http_chunked_init(&r->chunked, &lim);
  } else if (h->content_length >= 0) {
    r->mode = BODY_LENGTH;
    r->body_left = (uint64_t)h->content_length;
    if (r->o.buffer_body && r->body_left > r->o.max_body) return -EMSGSIZE;
  } else {
    r->mode = BODY_CLOSE;
    r->keep_alive = 0;
  }
  return 0;
}

int eddy__body_feed(creq_t *r, char *data, size_t len, size_t *used) {
  size_t consumed = 0, produced = 0;
  int rc;
  *used = 0;
  switch (r->mode) {
  case BODY_NONE:
    return 1;
  case BODY_LENGTH:
    *used = len < r->body_left ? len : (size_t)r->body_left;
    r->body_left -= *used;
    rc = deliver(r, data, *used);
    return rc < 0 ? rc : r->body_left == 0;
  case BODY_CHUNKED:
    rc = eddy_http_chunked_decode(&r->chunked, data, len, data, &consumed,
                                  &produced);
    if (rc != EDDY_HTTP_INCOMPLETE && rc != EDDY_HTTP_DONE)
      return rc == -413 ? -EMSGSIZE : -EPROTO;
    *used = consumed;
    int d = deliver(r, data, produced);
    return d < 0 ? d : rc == EDDY_HTTP_DONE;
  default:
    *used = len;
    rc = deliver(r, data, len);
    return rc < 0 ? rc : 0;
  }
}

void eddy_client_pause(eddy_client_req_t *req) {
  creq_t *r = (creq_t *)req;
  if (!r || r->paused || !r->conn) return;
  r->paused = 1;
  eddy_read_stop(EDDY_STREAM(&r->conn->tcp));
  eddy_timer_stop(&r->conn->timer);
}

void eddy_client_resume(eddy_client_req_t *req) {
  creq_t *r = (creq_t *)req;
  if (!r || !r->paused) return;
  r->paused = 0;
  if (!r->conn) return;
  eddy__exchange_read_start(r->conn);
  eddy__exchange_arm(r);
}

/*
 * Streamed request bodies: chunks go to the handler straight from the
 * read buffer (chunked data decoded in place) and are consumed at once,
 * so the buffer never holds more than one read; pause stops the socket.
 */
#include "http/conn.h"

static eddy_http_res_t *stream_x(eddy_http_request_t *req) {
  return EDDY_CONTAINER_OF(req, eddy_http_res_t, req);
}

void eddy__http_stream_fail(conn_t *c, int status) {
  eddy_http_res_t *x = c->b->body_x;
  c->b->body_x = NULL;
  c->stop_parse = 1;
  c->body_paused = 0;
  x->flags |= X_CLOSE;
  eddy_read_stop(EDDY_STREAM(&c->tcp));
  x->on_end(&x->req, status);
}

/* Takes the next piece of body from the buffer; returns the parse result. */
static int take(conn_t *c, eddy_http_res_t *x, size_t *used, size_t *made) {
  char *p = c->b->rb->data + c->b->rpos;
  size_t avail = c->b->rb->len - c->b->rpos;
  if (x->req.flags & EDDY_HTTP_F_CHUNKED)
    return eddy_http_chunked_decode(&c->b->chunked, p, avail, p, used, made);
  *used = *made = avail < x->body_left ? avail : (size_t)x->body_left;
  x->body_left -= *used;
  return x->body_left ? EDDY_HTTP_INCOMPLETE : EDDY_HTTP_DONE;
}

/* Delivers what the buffer holds; 1 when the body ended (parse on). */
int eddy__http_stream_more(conn_t *c) {
  eddy_http_res_t *x = c->b->body_x;
  while (c->b->body_x == x && !c->body_paused && !c->closing) {
    if (c->b->rpos == c->b->rb->len && x->body_left) return 0;
    if (c->b->rpos == c->b->rb->len && (x->req.flags & EDDY_HTTP_F_CHUNKED))
      return 0;
    size_t used = 0, made = 0;
    const char *p = c->b->rb->data + c->b->rpos;
    int rc = take(c, x, &used, &made);
    c->b->rpos += used;
    if (rc < 0 && rc != EDDY_HTTP_INCOMPLETE) {
      eddy__http_stream_fail(c, -rc);
      return 0;
    }
    if (made) x->on_data(&x->req, p, made);
    if (c->b->body_x != x || c->closing) return 0; /* answered meanwhile */
    if (rc == EDDY_HTTP_DONE) {
      c->b->body_x = NULL;
      x->on_end(&x->req, 0);
      return !c->closing;
    }
  }
  return 0;
}

int eddy_http_req_on_data(eddy_http_request_t *req, eddy_http_data_cb on_data,
                          eddy_http_end_cb on_end) {
  eddy_http_res_t *x = stream_x(req);
  if (!(x->flags & X_IN_HOOK) || !on_data || !on_end) return -EINVAL;
  x->on_data = on_data;
  x->on_end = on_end;
  x->flags |= X_STREAM;
  return 0;
}

int eddy_http_req_set_max_body(eddy_http_request_t *req, uint64_t max_body) {
  eddy_http_res_t *x = stream_x(req);
  if (!(x->flags & X_IN_HOOK) || !max_body) return -EINVAL;
  x->max_body = max_body;
  return 0;
}

/* The connection whose body `req` is streaming, or NULL with *err set. */
static conn_t *streaming(eddy_http_request_t *req, int *err) {
  eddy_http_res_t *x = stream_x(req);
  *err = (x->flags & X_ABORTED) ? -ECANCELED : -EINVAL;
  if (!x->conn || !(x->flags & X_STREAM) || x->conn->b->body_x != x)
    return NULL;
  *err = 0;
  return x->conn;
}

int eddy_http_req_pause(eddy_http_request_t *req) {
  int err;
  conn_t *c = streaming(req, &err);
  if (!c) return err;
  c->body_paused = 1;
  c->body_resume = 0;
  eddy_read_stop(EDDY_STREAM(&c->tcp));
  return 0;
}

int eddy_http_req_resume(eddy_http_request_t *req) {
  int err;
  conn_t *c = streaming(req, &err);
  if (!c) return err;
  if (!c->body_paused) return 0;
  c->body_paused = 0;
  c->body_resume = 1; /* read and deliver from the loop, not from here */
  eddy__http_conn_flush_soon(c);
  return 0;
}

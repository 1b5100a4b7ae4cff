/*
 * Streamed request bodies: chunks go to the handler straight from the
 * read buffer (chunked data decoded in place) and are consumed at once,
 * so the buffer never holds more than one read; pause stops the socket.
 */
#include "http/conn.h"

static eddy_http_res_t *stream_res(eddy_http_request_t *req) {
  return EDDY_CONTAINER_OF(req, eddy_http_res_t, req);
}

void eddy__http_stream_fail(eddy__http_conn_t *c, int status) {
  eddy_http_res_t *res = c->busy->body_res;
  c->busy->body_res = NULL;
  c->stop_parse = 1;
  c->body_paused = 0;
  res->flags |= EDDY__RES_CLOSE;
  eddy_read_stop(EDDY_STREAM(&c->tcp));
  res->on_end(&res->req, status);
}

/* Takes the next piece of body from the buffer; returns the parse result. */
static int take(eddy__http_conn_t *c, eddy_http_res_t *res, size_t *used,
                size_t *made) {
  char *p = c->busy->read_buf->data + c->busy->parse_pos;
  size_t avail = c->busy->read_buf->len - c->busy->parse_pos;
  if (res->req.flags & EDDY_HTTP_F_CHUNKED)
    return eddy_http_chunked_decode(&c->busy->chunked, p, avail, p, used, made);
  *used = *made = avail < res->body_left ? avail : (size_t)res->body_left;
  res->body_left -= *used;
  return res->body_left ? EDDY_HTTP_INCOMPLETE : EDDY_HTTP_DONE;
}

/* Delivers what the buffer holds; 1 when the body ended (parse on). */
int eddy__http_stream_more(eddy__http_conn_t *c) {
  eddy_http_res_t *res = c->busy->body_res;
  while (c->busy->body_res == res && !c->body_paused && !c->closing) {
    if (c->busy->parse_pos == c->busy->read_buf->len && res->body_left)
      return 0;
    if (c->busy->parse_pos == c->busy->read_buf->len &&
        (res->req.flags & EDDY_HTTP_F_CHUNKED))
      return 0;
    size_t used = 0, made = 0;
    const char *p = c->busy->read_buf->data + c->busy->parse_pos;
    int rc = take(c, res, &used, &made);
    c->busy->parse_pos += used;
    if (rc < 0 && rc != EDDY_HTTP_INCOMPLETE) {
      eddy__http_stream_fail(c, -rc);
      return 0;
    }
    if (made) res->on_data(&res->req, p, made);
    if (c->busy->body_res != res || c->closing)
      return 0; /* answered meanwhile */
    if (rc == EDDY_HTTP_DONE) {
      c->busy->body_res = NULL;
      res->on_end(&res->req, 0);
      return !c->closing;
    }
  }
  return 0;
}

int eddy_http_req_on_data(eddy_http_request_t *req, eddy_http_data_cb on_data,
                          eddy_http_end_cb on_end) {
  eddy_http_res_t *res = stream_res(req);
  if (!(res->flags & EDDY__RES_IN_HOOK) || !on_data || !on_end) return -EINVAL;
  res->on_data = on_data;
  res->on_end = on_end;
  res->flags |= EDDY__RES_STREAM;
  return 0;
}

int eddy_http_req_set_max_body(eddy_http_request_t *req, uint64_t max_body) {
  eddy_http_res_t *res = stream_res(req);
  if (!(res->flags & EDDY__RES_IN_HOOK) || !max_body) return -EINVAL;
  res->max_body = max_body;
  return 0;
}

/* The connection whose body `req` is streaming, or NULL with *err set. */
static eddy__http_conn_t *streaming(eddy_http_request_t *req, int *err) {
  eddy_http_res_t *res = stream_res(req);
  *err = (res->flags & EDDY__RES_ABORTED) ? -ECANCELED : -EINVAL;
  if (!res->conn || !(res->flags & EDDY__RES_STREAM) ||
      res->conn->busy->body_res != res)
    return NULL;
  *err = 0;
  return res->conn;
}

int eddy_http_req_pause(eddy_http_request_t *req) {
  int err;
  eddy__http_conn_t *c = streaming(req, &err);
  if (!c) return err;
  c->body_paused = 1;
  c->body_resume = 0;
  eddy_read_stop(EDDY_STREAM(&c->tcp));
  return 0;
}

int eddy_http_req_resume(eddy_http_request_t *req) {
  int err;
  eddy__http_conn_t *c = streaming(req, &err);
  if (!c) return err;
  if (!c->body_paused) return 0;
  c->body_paused = 0;
  c->body_resume = 1; /* read and deliver from the loop, not from here */
  eddy__http_conn_flush_soon(c);
  return 0;
}

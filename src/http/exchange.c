/*
 * Exchanges: a request and its response in one object (eddy_http_res_t).
 * The server keeps a bounded free list of them so a request costs no
 * malloc in steady state; a connection queues them in request order; a
 * handler holds one from dispatch until eddy_http_res_end.
 */
#include <stdlib.h>
#include <unistd.h>

#include "http/conn.h"

/* Free exchanges a server keeps (about 3.5 KiB each with the default 100
 * header slots); more are freed, so a burst does not pin its peak. */
#define FREE_LIST_MAX 256

static void reset(eddy_http_server_t *s, eddy_http_res_t *res) {
  res->max_headers = s->_opts.limits.max_headers;
  res->conn = NULL;
  res->data = NULL;
  res->flags = 0;
  res->status = 200;
  res->read_buf = NULL;
  res->staged_headers.len = res->held.len = 0;
  res->drain = res->on_close = NULL;
  res->body = "";
  res->body_len = 0;
  res->file_fd = -1;
  res->on_data = NULL;
  res->on_end = NULL;
  res->max_body = s->_opts.limits.max_body;
  res->req_bytes = 0;
  res->user_cl = res->body_sent = 0;
}

eddy_http_res_t *eddy__http_res_get(eddy_http_server_t *s) {
  eddy_http_res_t *res = s->_free;
  if (res) {
    s->_free = res->data;
    s->_free_count--;
  } else {
    size_t maxh = s->_opts.limits.max_headers;
    res = calloc(1, sizeof(*res) + maxh * sizeof(eddy_http_header_t));
    if (!res) return NULL;
  }
  reset(s, res);
  return res;
}

static void destroy(eddy_http_res_t *res) {
  free(res->staged_headers.base);
  free(res->held.base);
  free(res);
}

void eddy__http_res_put(eddy_http_server_t *s, eddy_http_res_t *res) {
  if (s && s->_closing < 3 && s->_free_count < FREE_LIST_MAX &&
      res->staged_headers.cap <= 4096 && res->held.cap <= 65536) {
    res->data = s->_free;
    s->_free = res;
    s->_free_count++;
    return;
  }
  destroy(res);
}

void eddy__http_res_free_all(eddy_http_server_t *s) {
  while (s->_free) {
    eddy_http_res_t *res = s->_free;
    s->_free = res->data;
    destroy(res);
  }
  s->_free_count = 0;
}

void eddy__http_conn_enqueue(eddy__http_conn_t *c, eddy_http_res_t *res) {
  res->conn = c;
  eddy_queue_push(&c->busy->res_queue, &res->node);
  c->busy->res_count++;
}

void eddy__http_res_hold(eddy__http_conn_t *c, eddy_http_res_t *res) {
  res->read_buf = c->busy->read_buf;
  c->busy->read_buf->refs++;
  res->flags |= EDDY__RES_DISPATCHED;
}

/* The connection stops counting the bytes `res` pins. */
void eddy__http_res_unpin(eddy_http_res_t *res) {
  if (res->conn && res->conn->busy)
    res->conn->busy->request_bytes -= res->req_bytes;
  res->req_bytes = 0;
}

void eddy__http_res_release(eddy_http_res_t *res) {
  eddy__http_res_unpin(res);
  if (res->file_fd >= 0) close(res->file_fd); /* reads nothing: never blocks */
  res->file_fd = -1;
  eddy__http_read_buf_unref(res->read_buf);
  res->read_buf = NULL;
  eddy__http_res_put(res->conn ? res->conn->server : NULL, res);
}

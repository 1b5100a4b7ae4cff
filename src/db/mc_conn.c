/*
 * A memcached connection: an eddy TCP stream made by the resource pool's
 * create, commands written as they come (pipelined), answers parsed from
 * one growing read buffer and matched to the FIFO of commands in flight.
 * EOF, a read or write error or an unparsable answer kills it: its
 * commands fail once, and the pool destroys it (closing the stream; the
 * memory goes in the close callback).
 */
#include <stdlib.h>
#include <string.h>

#include "db/mc_int.h"

#define READ_CHUNK 65536u

static void on_closed(eddy_handle_t *h) {
  eddy__mc_conn_t *c = EDDY_CONTAINER_OF(h, eddy__mc_conn_t, tcp);
  int status = c->mc->last_error;
  /* a destroy's op lives in c->res: end it before freeing */
  if (c->destroy_op)
    eddy_respool_done(c->destroy_op, 0, NULL);
  else
    eddy_respool_done(c->create_op, status ? status : -ECONNREFUSED, NULL);
  free(c->rbuf);
  free(c);
}

static void on_alloc(eddy_stream_t *s, size_t suggested, eddy_buf_t *buf) {
  eddy__mc_conn_t *c = EDDY_CONTAINER_OF(s, eddy__mc_conn_t, tcp);
  if (c->rcap - c->rlen < READ_CHUNK) {
    char *n = realloc(c->rbuf, c->rlen + READ_CHUNK);
    if (!n) {
      buf->len = 0; /* -ENOBUFS in the read callback */
      return;
    }
    c->rbuf = n;
    c->rcap = c->rlen + READ_CHUNK;
  }
  *buf = eddy_buf(c->rbuf + c->rlen, c->rcap - c->rlen);
}

/* Matches the buffered answers to the commands in flight. */
static int consume(eddy__mc_conn_t *c) {
  size_t pos = 0;
  while (!c->dead && pos < c->rlen) {
    if (eddy_queue_empty(&c->inflight)) return -EPROTO; /* unasked */
    eddy__mc_req_t *req = EDDY_CONTAINER_OF(eddy_queue_head(&c->inflight),
                                            eddy__mc_req_t, node);
    long n = eddy__mc_parse(req, c->rbuf + pos, c->rlen - pos);
    if (n < 0) return -EPROTO;
    if (n == 0) break;
    pos += (size_t)n;
    eddy_queue_remove(&req->node);
    c->ninflight--;
    req->answered = 1;
    eddy__mc_req_done(req); /* may send more on c */
  }
  if (c->dead) return 0;
  memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
  c->rlen -= pos;
  return 0;
}

static void on_read(eddy_stream_t *s, ssize_t nread, const eddy_buf_t *buf) {
  eddy__mc_conn_t *c = EDDY_CONTAINER_OF(s, eddy__mc_conn_t, tcp);
  eddy_loop_set_label(c->mc->loop, "memcache");
  if (nread == 0) return;
  if (nread < 0) {
    eddy__mc_conn_die(c, -ECONNRESET);
    return;
  }
  c->rlen += (size_t)nread;
  int err = consume(c);
  if (err)
    eddy__mc_conn_die(c, err);
  else if (!c->dead)
    eddy__mc_conn_quiet(c);
}

static void on_connect(eddy_connect_t *creq, int status) {
  eddy__mc_conn_t *c = EDDY_CONTAINER_OF(creq, eddy__mc_conn_t, connect);
  if (!status)
    status = eddy_read_start(EDDY_STREAM(&c->tcp), on_alloc, on_read);
  if (status) {
    c->mc->last_error = status;
    eddy_close(EDDY_HANDLE(&c->tcp), on_closed);
    return;
  }
  eddy_tcp_nodelay(&c->tcp, 1);
  eddy_unref(EDDY_HANDLE(&c->tcp)); /* an idle connection keeps nothing alive */
  eddy_respool_op_t *op = c->create_op;
  c->create_op = NULL;
  eddy_respool_done(op, 0, &c->res);
}

void eddy__mc_create(eddy_respool_t *pool, eddy_respool_op_t *op) {
  struct eddy_mc_s *mc = pool->data;
  eddy__mc_conn_t *c = calloc(1, sizeof(*c));
  if (!c) {
    eddy_respool_done(op, -ENOMEM, NULL);
    return;
  }
  c->mc = mc;
  c->create_op = op;
  eddy_queue_init(&c->inflight);
  eddy_queue_init(&c->node);
  eddy_tcp_init(mc->loop, &c->tcp);
  int err = eddy_tcp_connect(&c->connect, &c->tcp,
                             (const struct sockaddr *)&mc->addr, on_connect);
  if (err) {
    mc->last_error = err;
    eddy_close(EDDY_HANDLE(&c->tcp), on_closed);
  }
}

void eddy__mc_destroy(eddy_respool_t *pool, eddy_respool_op_t *op) {
  eddy__mc_conn_t *c = EDDY_CONTAINER_OF(op->res, eddy__mc_conn_t, res);
  c->dead = 1;
  c->destroy_op = op;
  eddy_close(EDDY_HANDLE(&c->tcp), on_closed);
}

static void on_written(eddy_write_t *w, int status) {
  eddy__mc_req_t *req = EDDY_CONTAINER_OF(w, eddy__mc_req_t, write);
  req->written = 1;
  if (req->answered)
    eddy__mc_req_done(req); /* answered first: free now */
  else if (status && status != -ECANCELED) {
    eddy__mc_conn_t *c = w->data;
    eddy__mc_conn_die(c, -ECONNRESET);
  }
}

void eddy__mc_send(eddy__mc_conn_t *c, eddy__mc_req_t *req) {
  eddy_buf_t b = eddy_buf(req->wire, req->wire_len);
  req->write.data = c;
  eddy_queue_push(&c->inflight, &req->node);
  c->ninflight++;
  int err = eddy_write(&req->write, EDDY_STREAM(&c->tcp), &b, 1, on_written);
  if (err < 0) {
    req->written = 1; /* no write callback will come */
    eddy__mc_conn_die(c, -ECONNRESET);
  }
}

void eddy__mc_conn_die(eddy__mc_conn_t *c, int status) {
  if (c->dead) return;
  c->dead = 1;
  struct eddy_mc_s *mc = c->mc;
  while (!eddy_queue_empty(&c->inflight)) {
    eddy__mc_req_t *req = EDDY_CONTAINER_OF(eddy_queue_head(&c->inflight),
                                            eddy__mc_req_t, node);
    req->answered = 1;
    eddy__mc_fail_later(req, status);
  }
  c->ninflight = 0;
  if (c->lent) {
    eddy_queue_remove(&c->node);
    mc->nactive--;
    c->lent = 0;
  }
  eddy_respool_destroy(&mc->pool, &c->res);
  eddy__mc_pump(mc);
}

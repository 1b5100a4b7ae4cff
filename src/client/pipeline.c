/*
 * Pipelining (opts.pipelining > 1): requests written on a connection
 * behind the one whose response is being read, answered in order. Only
 * idempotent requests with a buffered body and no 100-continue take part,
 * on either side, so that any of them may be sent again when the
 * connection fails under them; and only once the host has its
 * max_per_host connections (a free connection is better than a queue).
 */
#include <string.h>

#include "client/client_int.h"

static int pipelinable(const creq_t *r) {
  return r->idempotent && !r->o.stream_body && !r->wants_continue &&
         !r->conn_close;
}

void eddy__pipe_list(conn_t *conn) {
  if (conn->host->client->opts.pipelining < 2 || conn->listed) return;
  eddy_queue_push(&conn->host->busy, &conn->bnode);
  conn->listed = 1;
}

void eddy__pipe_unlist(conn_t *conn) {
  if (!conn->listed) return;
  eddy_queue_remove(&conn->bnode);
  conn->listed = 0;
}

static int has_room(const conn_t *conn, unsigned depth) {
  const creq_t *head = conn->req;
  if (!head || !pipelinable(head) || conn->dead || conn->dropping) return 0;
  if (head->state == REQ_BODY && !head->keep_alive) return 0; /* closing */
  return conn->npipe + 1 < depth;
}

static void attach(creq_t *r, conn_t *conn) {
  client_t *c = r->client;
  r->conn = conn;
  eddy_queue_push(&conn->pipe, &r->pnode);
  conn->npipe++;
  r->res.redirects = r->redirects;
  c->st.pipelined++;
  eddy__send_request(r); /* a failure ends r (and the connection) */
}

int eddy__pipe_try(creq_t *r) {
  client_t *c = r->client;
  eddy_respool_stats_t s;
  eddy_queue_t *q;
  if (c->opts.pipelining < 2 || !pipelinable(r)) return 0;
  eddy_respool_stats(&r->host->pool, &s);
  if (s.size < c->opts.max_per_host) return 0; /* a new connection first */
  EDDY_QUEUE_FOREACH(q, &r->host->busy) {
    conn_t *conn = EDDY_CONTAINER_OF(q, conn_t, bnode);
    if (has_room(conn, c->opts.pipelining)) {
      attach(r, conn);
      return 1;
    }
  }
  return 0;
}

/* Requests that queued in the pool while no connection was lent yet. */
void eddy__pipe_wait(creq_t *r) {
  if (r->client->opts.pipelining < 2 || !pipelinable(r)) return;
  eddy_queue_push(&r->host->waiting, &r->wnode);
  r->in_waiting = 1;
}

void eddy__pipe_unwait(creq_t *r) {
  if (!r->in_waiting) return;
  eddy_queue_remove(&r->wnode);
  r->in_waiting = 0;
}

/* A connection was lent or made room: queued requests join its pipe. */
void eddy__pipe_fill(conn_t *conn) {
  host_t *h = conn->host;
  unsigned depth = h->client->opts.pipelining;
  while (!eddy_queue_empty(&h->waiting) && has_room(conn, depth)) {
    creq_t *q = EDDY_CONTAINER_OF(eddy_queue_head(&h->waiting), creq_t, wnode);
    eddy__pipe_unwait(q);
    if (eddy_respool_withdraw(&q->acq) == 0) attach(q, conn);
  }
}

void eddy__pipe_detach(creq_t *r) {
  eddy_queue_remove(&r->pnode);
  r->conn->npipe--;
  r->conn = NULL;
}

/* The connection is going: every request on it may be sent again once. */
void eddy__pipe_fail_rest(conn_t *conn) {
  int status = conn->host->client->closing ? -ECANCELED : -ECONNRESET;
  if (conn->req) {
    conn->req->stale = 1;
    eddy__req_fail(conn->req, status);
  }
  while (!eddy_queue_empty(&conn->pipe)) {
    creq_t *q = EDDY_CONTAINER_OF(eddy_queue_head(&conn->pipe), creq_t, pnode);
    q->stale = 1;
    eddy__req_fail(q, status); /* detaches q */
  }
}

int eddy__pipe_next(conn_t *conn, creq_t **next) {
  if (!conn->npipe) return 0;
  creq_t *q = EDDY_CONTAINER_OF(eddy_queue_head(&conn->pipe), creq_t, pnode);
  eddy_queue_remove(&q->pnode);
  conn->npipe--;
  conn->req = q;
  *next = q;
  return 1;
}

/* After the previous request's on_end: the next one reads what is left. */
void eddy__pipe_resume(conn_t *conn, creq_t *next) {
  if (conn->req != next) return; /* it ended from that callback */
  memmove(conn->buf, conn->buf + conn->rest_off, conn->rest_len);
  conn->len = conn->rest_len;
  conn->rest_len = 0;
  if (next->paused) eddy_read_stop(EDDY_STREAM(&conn->tcp));
  if (conn->len) next->got_bytes = 1;
  eddy__exchange_arm(next);
  eddy__pipe_fill(conn);
  if (conn->len && conn->req == next) eddy__exchange_feed(conn);
}

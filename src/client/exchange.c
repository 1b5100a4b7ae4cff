/*
 * One exchange on a connection: it starts when a request gets the
 * connection, and its clock is the connection's one timer — the wait for
 * "100 Continue", then for the first response byte (response_timeout_ms),
 * then for each next byte (idle_timeout_ms). The connection reads all the
 * time, also while idle in its pool: a server closing an idle connection
 * is seen at once and the connection dropped.
 */
#include <stdlib.h>

#include "client/client_int.h"

static void on_timer(eddy_timer_t *t) {
  conn_t *conn = t->data;
  creq_t *r = conn->req;
  if (!r) return;
  if (r->state == REQ_SENDING && r->wants_continue && !r->body_sent) {
    eddy__send_body(r); /* no 100 in time: send anyway (RFC 9110 §10.1.1) */
    eddy__exchange_arm(r);
    return;
  }
  eddy__req_fail(r, r->got_bytes ? EDDY_EIDLETIMEOUT : EDDY_ERESPTIMEOUT);
}

void eddy__exchange_arm(creq_t *r) {
  conn_t *conn = r->conn;
  const eddy_client_opts_t *o = &r->client->opts;
  uint64_t ms;
  if (r->paused) {
    eddy_timer_stop(&conn->timer);
    return;
  }
  if (r->state == REQ_SENDING && r->wants_continue && !r->body_sent)
    ms = CONTINUE_WAIT_MS;
  else
    ms = r->got_bytes ? o->idle_timeout_ms : o->response_timeout_ms;
  eddy_timer_start(&conn->timer, on_timer, ms, 0);
}

static void on_alloc(eddy_stream_t *s, size_t suggested, eddy_buf_t *buf) {
  conn_t *conn = s->data;
  if (!conn->buf) conn->buf = malloc(CONN_BUF_SIZE);
  buf->base = conn->buf ? conn->buf + conn->len : NULL;
  buf->len = conn->buf ? CONN_BUF_SIZE - conn->len : 0;
}

/* Bytes or a close on a connection nobody is using: it cannot be reused. */
static void idle_event(conn_t *conn) {
  eddy_read_stop(EDDY_STREAM(&conn->tcp));
  conn->len = 0;
  if (eddy_respool_destroy(&conn->host->pool, &conn->link) < 0)
    conn->dead = 1; /* made but not yet lent: the request will see it */
}

static void on_read(eddy_stream_t *s, ssize_t nread, const eddy_buf_t *buf) {
  conn_t *conn = s->data;
  if (nread == 0) return;
  if (!conn->req) {
    idle_event(conn);
    return;
  }
  if (nread < 0) {
    eddy__exchange_eof(conn, (int)nread);
    return;
  }
  conn->len += (size_t)nread;
  conn->req->got_bytes = 1;
  eddy__exchange_feed(conn);
}

void eddy__exchange_read_start(conn_t *conn) {
  eddy_read_start(EDDY_STREAM(&conn->tcp), on_alloc, on_read);
}

static int ensure_headers(conn_t *conn, unsigned max) {
  if (!conn->hdrs) conn->hdrs = malloc(max * sizeof *conn->hdrs);
  return conn->hdrs ? 0 : -ENOMEM;
}

void eddy__exchange_start(creq_t *r, conn_t *conn) {
  r->conn = conn;
  conn->req = r;
  r->state = REQ_SENDING;
  r->res.redirects = r->redirects;
  if (conn->exchanges) r->client->st.reused++;
  eddy_ref(EDDY_HANDLE(&conn->tcp));
  if (conn->dead) {
    eddy__req_fail(r, -ECONNRESET);
    return;
  }
  if (ensure_headers(conn, r->client->opts.max_headers) < 0) {
    eddy__req_fail(r, -ENOMEM);
    return;
  }
  eddy__exchange_arm(r);
  eddy__send_request(r);
}

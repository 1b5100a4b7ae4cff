/*
 * Reading a response on a connection: interim 1xx heads are skipped (a
 * "100 Continue" releases a held body), the final head is parsed into the
 * connection's buffer, where it stays until the request ends, and the body
 * is read into the space after it, piece by piece. A callback of the
 * caller's may end the request (abort): after each one the exchange checks
 * that the connection is still this request's before going on.
 */
#include <string.h>

#include "client/client_int.h"

static void fill_res(creq_t *r) {
  eddy_client_head_t *h = &r->rhead;
  r->res.status = h->status;
  r->res.minor_version = h->minor_version;
  r->res.reason = h->reason;
  r->res.headers = h->headers;
  r->res.nheaders = h->nheaders;
  r->res.content_length = h->content_length;
  r->res.redirects = r->redirects;
}

/* An interim response: dropped from the buffer. 0, or an error. */
static int interim(creq_t *r, conn_t *conn, size_t n) {
  if (r->rhead.status == 101) return -EPROTO; /* we never ask to upgrade */
  memmove(conn->buf, conn->buf + n, conn->len - n);
  conn->len -= n;
  if (r->rhead.status == 100 && r->wants_continue && !r->body_sent) {
    eddy__send_body(r);
    eddy__exchange_arm(r);
  }
  return 0;
}

/* Parses heads until the final one; 1 when it is there, 0 for more. */
static int read_head(creq_t *r, conn_t *conn) {
  const eddy_client_opts_t *o = &r->client->opts;
  for (;;) {
    int n = eddy_client_parse_response(conn->buf, conn->len, &r->rhead,
                                       conn->hdrs, o->max_headers, o->max_head);
    if (n == EDDY_HTTP_INCOMPLETE) return 0;
    if (n < 0) return -EPROTO;
    if (r->rhead.status >= 200) {
      r->head_end = (size_t)n;
      return 1;
    }
    int rc = interim(r, conn, (size_t)n);
    if (rc < 0 || conn->req != r) return rc;
  }
}

/* The final head is in: framing, redirect, on_head. 1 to go on. */
static int head_done(creq_t *r, conn_t *conn) {
  r->state = REQ_BODY;
  fill_res(r);
  int rc = eddy__body_begin(r);
  if (rc < 0) {
    eddy__req_fail(r, rc);
    return 0;
  }
  eddy__redirect_check(r);
  if (!r->redirecting && r->o.on_head) r->o.on_head(&r->pub, &r->res);
  return conn->req == r;
}

static void read_body(creq_t *r, conn_t *conn) {
  size_t used = 0, avail = conn->len - r->head_end;
  int rc = eddy__body_feed(r, conn->buf + r->head_end, avail, &used);
  if (conn->req != r) return; /* ended from a callback */
  if (rc < 0) {
    eddy__req_fail(r, rc);
    return;
  }
  conn->len = r->head_end;
  if (rc == 0) {
    eddy__exchange_arm(r);
    return;
  }
  if (used < avail) r->keep_alive = 0; /* bytes nobody asked for */
  eddy__req_finish(r);
}

void eddy__exchange_feed(conn_t *conn) {
  creq_t *r = conn->req;
  if (r->state == REQ_SENDING || r->state == REQ_HEAD) {
    int rc = read_head(r, conn);
    if (rc < 0) {
      eddy__req_fail(r, rc);
      return;
    }
    if (conn->req != r) return;
    if (rc == 0) {
      if (conn->len == CONN_BUF_SIZE) eddy__req_fail(r, -EPROTO);
      else eddy__exchange_arm(r);
      return;
    }
    if (!head_done(r, conn)) return;
  }
  if (r->state == REQ_BODY) read_body(r, conn);
}

void eddy__exchange_eof(conn_t *conn, int status) {
  creq_t *r = conn->req;
  if (status == EDDY_EOF && r->state == REQ_BODY && r->mode == BODY_CLOSE) {
    r->keep_alive = 0;
    eddy__req_finish(r);
    return;
  }
  if (status == EDDY_EOF || status == -EPIPE) status = -ECONNRESET;
  eddy__req_fail(r, status);
}

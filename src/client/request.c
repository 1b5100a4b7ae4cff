/*
 * A request's life: start (checks, copies, the head), waiting for a
 * connection, and its one ending — on_end after a complete response, or
 * on_error, which is always delivered from an immediate so that no call
 * of the caller's (request, abort, write) ever calls back into it. A
 * stale kept-alive connection gets an idempotent request sent again once.
 */
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"

static int is_idempotent(const char *m) {
  static const char *const list[] = {"GET", "HEAD", "PUT", "DELETE",
                                     "OPTIONS", "TRACE"};
  for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
    if (!strcmp(m, list[i])) return 1;
  return 0;
}

static void req_free(creq_t *r) {
  eddy_queue_remove(&r->node);
  free(r->url);
  free(r->method_name);
  free(r->extra);
  free(r->head);
  free(r->body);
  free(r->rbody);
  free(r->location);
  free(r);
}

static void on_acquired(eddy_respool_acquire_t *acq, int status,
                        eddy_respool_res_t *res) {
  creq_t *r = acq->data;
  if (status < 0) {
    eddy__req_fail(r, status);
    return;
  }
  eddy__exchange_start(r, res->data);
}

int eddy__req_acquire(creq_t *r) {
  host_t *h = r->host;
  eddy_respool_res_t *res;
  r->state = REQ_QUEUED;
  r->acq.data = r;
  if (eddy_respool_try_acquire(&h->pool, &res) == 0) {
    eddy__exchange_start(r, res->data);
    return 0;
  }
  return eddy_respool_acquire(&h->pool, &r->acq, on_acquired);
}

static void deliver_error(eddy_immediate_t *imm) {
  creq_t *r = imm->data;
  r->o.on_error(&r->pub, r->error);
  req_free(r);
}

/* Drops the connection of a failed exchange: it is in an unknown state. */
static int drop_conn(creq_t *r) {
  conn_t *conn = r->conn;
  if (!conn) return 0;
  int reused = conn->exchanges > 0;
  r->conn = NULL;
  conn->req = NULL;
  eddy_timer_stop(&conn->timer);
  eddy_read_stop(EDDY_STREAM(&conn->tcp));
  eddy_respool_destroy(&conn->host->pool, &conn->link);
  return reused;
}

static int may_retry(const creq_t *r, int reused, int status) {
  return reused && !r->retried && !r->aborted && r->idempotent &&
         !r->o.stream_body && !r->got_bytes && !r->client->closing &&
         (status == -ECONNRESET || status == -EPIPE);
}

static void reset_response(creq_t *r) {
  r->got_bytes = r->keep_alive = r->body_sent = r->ready = 0;
  r->mode = BODY_NONE;
  r->rbody_len = 0;
}

void eddy__req_fail(creq_t *r, int status) {
  if (r->state == REQ_DONE) return;
  int reused = drop_conn(r);
  if (may_retry(r, reused, status)) {
    r->retried = 1;
    r->client->st.retried++;
    reset_response(r);
    if ((status = eddy__req_acquire(r)) == 0) return;
  }
  r->state = REQ_DONE;
  r->error = status;
  eddy_immediate_init(r->client->pub.loop, &r->later);
  r->later.data = r;
  eddy_immediate_start(&r->later, deliver_error);
}

/* A complete exchange: the connection goes back or goes, then on_end. */
void eddy__req_finish(creq_t *r) {
  conn_t *conn = r->conn;
  client_t *c = r->client;
  /* Reusable only if the whole request went out: a held body stays on
   * the wire's books otherwise. */
  int sent_all = r->o.stream_body ? r->ended : (!r->body_len || r->body_sent);
  int reuse = r->keep_alive && !r->conn_close && !c->closing && sent_all;
  r->conn = NULL;
  conn->req = NULL;
  conn->exchanges++;
  eddy_timer_stop(&conn->timer);
  if (reuse) {
    conn->len = 0;
    if (r->paused) eddy__exchange_read_start(conn); /* watch it while idle */
    eddy_unref(EDDY_HANDLE(&conn->tcp));
    eddy_respool_release(&conn->host->pool, &conn->link);
  } else {
    eddy_read_stop(EDDY_STREAM(&conn->tcp));
    eddy_respool_destroy(&conn->host->pool, &conn->link);
  }
  if (r->redirecting) {
    eddy__redirect_follow(r);
    return;
  }
  r->state = REQ_DONE;
  r->res.body = r->rbody;
  r->res.body_len = r->rbody_len;
  r->o.on_end(&r->pub, &r->res);
  req_free(r);
}

static int req_setup(creq_t *r, const eddy_client_req_opts_t *o) {
  size_t ulen = strlen(o->url);
  if (!(r->url = strdup(o->url))) return -ENOMEM;
  int rc = eddy_client_url_parse(r->url, ulen, &r->u);
  if (rc < 0) return rc;
  if ((rc = eddy__req_prepare_head(r, o)) < 0) return rc;
  r->idempotent = is_idempotent(r->method_name);
  if (o->body_len) {
    if (!o->body || !(r->body = malloc(o->body_len))) return o->body ? -ENOMEM : -EINVAL;
    memcpy(r->body, o->body, o->body_len);
    r->body_len = o->body_len;
  }
  if (!(r->host = eddy__client_host(r->client, &r->u))) return -ENOMEM;
  return eddy__req_compose_head(r);
}

int eddy_client_request(eddy_client_t *client, const eddy_client_req_opts_t *o,
                        eddy_client_req_t **out) {
  client_t *c = (client_t *)client;
  if (!c || !o || !o->url || !o->on_end || !o->on_error) return -EINVAL;
  if (o->stream_body && !o->on_ready) return -EINVAL;
  if (c->closing) return EDDY_ECLOSED;
  creq_t *r = calloc(1, sizeof *r);
  if (!r) return -ENOMEM;
  r->client = c;
  r->pub.client = client;
  r->pub.data = o->data;
  r->o = *o;
  r->o.headers = NULL;
  r->o.body = NULL;
  r->o.url = r->o.method = NULL;
  if (!r->o.max_body) r->o.max_body = 1024 * 1024;
  eddy_queue_init(&r->node);
  int rc = req_setup(r, o);
  if (rc == 0) rc = eddy__req_acquire(r);
  if (rc < 0) {
    req_free(r);
    return rc;
  }
  eddy_queue_push(&c->reqs, &r->node);
  if (out) *out = &r->pub;
  return 0;
}

int eddy_client_abort(eddy_client_req_t *req) {
  creq_t *r = (creq_t *)req;
  if (!r || r->state == REQ_DONE || r->aborted) return -EALREADY;
  r->aborted = 1;
  if (r->state == REQ_QUEUED && eddy_respool_cancel(&r->acq) == 0) return 0;
  eddy__req_fail(r, -ECANCELED);
  return 0;
}

/*
 * A connection's life as a pooled resource: the pool's create (a place
 * under max_total, DNS, a connect to each address in turn within one
 * connect timeout) and destroy (close the socket and the timer, then
 * report). A connection is freed only after both handles' close callbacks
 * have run, so every callback of them finds it valid.
 */
#include <stdlib.h>

#include "client/client_int.h"

static void on_closed(eddy_handle_t *h);
static void connect_next(conn_t *conn);

static void close_handle(conn_t *conn, eddy_handle_t *h) {
  conn->closes_left++;
  eddy_close(h, on_closed);
}

/* Closes what is open; the last close callback frees the connection. */
static void conn_close(conn_t *conn) {
  conn->state = CONN_CLOSING;
  if (conn->tcp_open) {
    conn->tcp_open = 0;
    close_handle(conn, EDDY_HANDLE(&conn->tcp));
  }
  close_handle(conn, EDDY_HANDLE(&conn->timer));
}

static void conn_free(conn_t *conn) {
  client_t *c = conn->host->client;
  eddy_respool_op_t *op = conn->op;
  int status = op->kind == EDDY_RESPOOL_CREATE ? conn->error : 0;
  eddy_queue_remove(&conn->cnode);
  eddy__client_conn_gone(c, conn);
  /* A destroy's op lives in the connection: report before freeing it. */
  eddy_respool_done(op, status, NULL);
  free(conn->buf);
  free(conn->hdrs);
  free(conn);
}

static void on_closed(eddy_handle_t *h) {
  conn_t *conn = h->data;
  conn->closes_left--;
  if (conn->state == CONN_CLOSING) {
    if (!conn->closes_left) conn_free(conn);
  } else if (h == EDDY_HANDLE(&conn->tcp)) {
    connect_next(conn); /* the failed attempt's socket is gone */
  }
}

void eddy__conn_fail_create(conn_t *conn, int status) {
  conn->error = status;
  conn_close(conn);
}

static void on_connect_timeout(eddy_timer_t *t) {
  eddy__conn_fail_create(t->data, -ETIMEDOUT);
}

static void on_connect(eddy_connect_t *req, int status) {
  conn_t *conn = req->data;
  if (conn->state != CONN_CONNECTING) return; /* closing: timed out */
  if (status < 0) {
    conn->error = status;
    conn->addr_i++;
    conn->tcp_open = 0;
    close_handle(conn, EDDY_HANDLE(&conn->tcp)); /* then connect_next */
    return;
  }
  eddy_timer_stop(&conn->timer);
  eddy_tcp_nodelay(&conn->tcp, 1);
  conn->state = CONN_READY;
  conn->host->client->st.connects++;
  eddy__exchange_read_start(conn);
  eddy_respool_op_t *op = conn->op;
  conn->op = NULL;
  eddy_respool_done(op, 0, &conn->link);
}

static void connect_next(conn_t *conn) {
  host_t *h = conn->host;
  if (conn->addr_i >= h->naddrs) {
    eddy__conn_fail_create(conn, conn->error ? conn->error : -ECONNREFUSED);
    return;
  }
  eddy_tcp_init(h->client->pub.loop, &conn->tcp);
  conn->tcp.data = conn;
  conn->tcp_open = 1;
  conn->connect_req.data = conn;
  conn->state = CONN_CONNECTING;
  const struct sockaddr *sa = (const struct sockaddr *)&h->addrs[conn->addr_i];
  int r = eddy_tcp_connect(&conn->connect_req, &conn->tcp, sa, on_connect);
  if (r < 0) {
    conn->error = r;
    conn->addr_i++;
    conn->tcp_open = 0;
    close_handle(conn, EDDY_HANDLE(&conn->tcp));
  }
}

void eddy__conn_resolved(conn_t *conn, int status) {
  if (status < 0) {
    eddy__conn_fail_create(conn, status);
    return;
  }
  client_t *c = conn->host->client;
  eddy_timer_start(&conn->timer, on_connect_timeout,
                   c->opts.connect_timeout_ms, 0);
  connect_next(conn);
}

void eddy__conn_create(eddy_respool_t *pool, eddy_respool_op_t *op) {
  host_t *h = pool->data;
  client_t *c = h->client;
  conn_t *conn = c->closing ? NULL : calloc(1, sizeof *conn);
  if (!conn) {
    eddy_respool_done(op, c->closing ? -ECANCELED : -ENOMEM, NULL);
    return;
  }
  conn->host = h;
  conn->op = op;
  conn->link.data = conn;
  eddy_timer_init(c->pub.loop, &conn->timer);
  conn->timer.data = conn;
  eddy_queue_push(&c->conns, &conn->cnode);
  if (eddy__client_take_place(c, conn)) eddy__client_resolve(conn);
}

void eddy__conn_destroy(eddy_respool_t *pool, eddy_respool_op_t *op) {
  conn_t *conn = op->res->data;
  conn->op = op;
  conn->req = NULL;
  conn_close(conn);
}

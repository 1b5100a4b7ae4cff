/*
 * The PostgreSQL engine: requests over connections from the resource
 * pool (eddy/respool.h). Plain requests wait in one FIFO and go to the
 * borrowed ("active") connection with the fewest in flight, up to
 * `pipeline_depth` each; when all are that deep the engine takes an idle
 * connection from the pool, or asks the pool for another (the pool opens
 * one while below max_conns). A connection that goes quiet with nobody
 * waiting goes back to the pool, which closes it after idle_ms above
 * min_conns. A transaction borrows a connection of its own from BEGIN to
 * COMMIT/ROLLBACK. A connection that dies (EOF seen by its watcher, even
 * when idle in the pool) fails what it carried once and is destroyed; the
 * pool makes a new one when one is needed. A failed connect reaches the
 * requests waiting for it, with libpq's message.
 */
#include <stdlib.h>
#include <string.h>

#include "db/pg_int.h"

#define SWEEP_MS 100

typedef struct {
  eddy_respool_acquire_t a;
  eddy__pg_t *pg;
  eddy__db_req_t *begin; /* NULL: for plain requests */
} acq_t;

static void on_sweep(eddy_timer_t *t);
static void on_acquired(eddy_respool_acquire_t *a, int status,
                        eddy_respool_res_t *res);

static int pg_open(eddy_db_t *db, const char *url) {
  char *hostaddr = NULL;
  int err = eddy__db_url_pg(url, &hostaddr);
  if (err) return err;
  eddy__pg_t *pg = calloc(1, sizeof(*pg));
  if (!pg || !(pg->url = strdup(url))) {
    free(pg);
    free(hostaddr);
    return -ENOMEM;
  }
  pg->db = db;
  pg->hostaddr = hostaddr;
  eddy_queue_init(&pg->connecting);
  eddy_queue_init(&pg->active);
  eddy_queue_init(&pg->wait);
  eddy_queue_init(&pg->graveyard);
  eddy__pending_init(&pg->bury);
  db->impl = pg;
  eddy_timer_init(db->loop, &pg->sweep);
  eddy_timer_start(&pg->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
  eddy_unref(EDDY_HANDLE(&pg->sweep));
  eddy_respool_factory_t f = {eddy__pg_create, eddy__pg_destroy, NULL};
  eddy_respool_opts_t o = {.min = db->opts.min_conns,
                           .max = db->opts.max_conns,
                           .idle_timeout_ms = db->opts.idle_ms};
  err = eddy_respool_init(db->loop, &pg->pool, &f, &o);
  pg->pool.data = pg; /* init clears it; the first create runs later */
  return err;
}

/* An idle pooled connection, now, if there is a live one. */
static eddy__pg_conn_t *take_idle(eddy__pg_t *pg) {
  eddy_respool_res_t *res;
  while (eddy_respool_try_acquire(&pg->pool, &res) == 0) {
    eddy__pg_conn_t *pc = EDDY_CONTAINER_OF(res, eddy__pg_conn_t, res);
    if (pc->state == PG_READY) return pc;
    eddy_respool_destroy(&pg->pool, res);
  }
  return NULL;
}

static void send_to(eddy__pg_conn_t *pc, eddy__db_req_t *req) {
  int err = eddy__pg_send(pc, req);
  if (err) eddy__pg_conn_die(pc, err, PQerrorMessage(pc->c));
}

static void make_active(eddy__pg_t *pg, eddy__pg_conn_t *pc) {
  pc->lent = 1;
  eddy_queue_push(&pg->active, &pc->node);
  pg->nactive++;
}

static void give_tx(eddy__pg_conn_t *pc, eddy__db_req_t *begin) {
  pc->lent = 1;
  pc->tx = begin->tx;
  begin->tx->conn = pc;
  send_to(pc, begin);
}

static int acquire(eddy__pg_t *pg, eddy__db_req_t *begin) {
  acq_t *acq = calloc(1, sizeof(*acq));
  if (!acq) return -ENOMEM;
  acq->pg = pg;
  acq->begin = begin;
  int err = eddy_respool_acquire(&pg->pool, &acq->a, on_acquired);
  if (err)
    free(acq);
  else if (!begin)
    pg->nacquiring++;
  return err;
}

/* The active connection with the fewest requests in flight, below depth. */
static eddy__pg_conn_t *pick(eddy__pg_t *pg) {
  eddy__pg_conn_t *best = NULL;
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &pg->active) {
    eddy__pg_conn_t *pc = EDDY_CONTAINER_OF(q, eddy__pg_conn_t, node);
    if (!best || pc->ninflight < best->ninflight) best = pc;
  }
  return best && best->ninflight < pg->db->opts.pipeline_depth ? best : NULL;
}

static void fail_waiting(eddy__pg_t *pg, int status, const char *msg) {
  while (!eddy_queue_empty(&pg->wait)) {
    eddy__db_req_t *req = EDDY_CONTAINER_OF(eddy_queue_head(&pg->wait),
                                            eddy__db_req_t, node);
    if (msg) eddy__db_set_error(req, NULL, 0, msg);
    eddy__db_req_fail_later(req, status);
  }
  pg->nwait = 0;
}

void eddy__pg_pump(eddy__pg_t *pg) {
  while (!pg->closing && !eddy_queue_empty(&pg->wait)) {
    eddy__pg_conn_t *pc = pick(pg);
    if (!pc && (pc = take_idle(pg))) make_active(pg, pc);
    if (!pc) { /* ask the pool for more, one per `depth` waiting */
      unsigned want = 1 + pg->nwait / pg->db->opts.pipeline_depth;
      if (pg->nacquiring < want &&
          pg->nactive + pg->nacquiring < pg->db->opts.max_conns) {
        int err = acquire(pg, NULL);
        if (err && !pg->nactive && !pg->nacquiring)
          fail_waiting(pg, err, "no connection could be asked for");
      }
      return;
    }
    eddy__db_req_t *req = EDDY_CONTAINER_OF(eddy_queue_head(&pg->wait),
                                            eddy__db_req_t, node);
    eddy_queue_remove(&req->node);
    pg->nwait--;
    send_to(pc, req);
  }
}

static void on_acquired(eddy_respool_acquire_t *a, int status,
                        eddy_respool_res_t *res) {
  acq_t *acq = EDDY_CONTAINER_OF(a, acq_t, a);
  eddy__pg_t *pg = acq->pg;
  eddy__db_req_t *begin = acq->begin;
  if (!begin) pg->nacquiring--;
  free(acq);
  eddy__pg_conn_t *pc = res ? EDDY_CONTAINER_OF(res, eddy__pg_conn_t, res)
                            : NULL;
  if (pc && (pc->state != PG_READY || pg->closing)) {
    if (pc->state == PG_READY)
      eddy_respool_release(&pg->pool, res);
    else
      eddy_respool_destroy(&pg->pool, res);
    pc = NULL;
    status = pg->closing ? -ECANCELED : -ECONNRESET;
  }
  const char *msg = status == -ECANCELED ? NULL : pg->last_error;
  if (begin && pc)
    give_tx(pc, begin);
  else if (begin) {
    if (msg) eddy__db_set_error(begin, NULL, 0, msg);
    eddy__db_req_fail_later(begin, status);
  } else if (pc) {
    make_active(pg, pc);
  } else if (!pg->nactive && !pg->nacquiring) {
    fail_waiting(pg, status, msg); /* nothing else would serve them */
  }
  eddy__pg_pump(pg);
}

static void pg_submit(eddy_db_t *db, eddy__db_req_t *req) {
  eddy__pg_t *pg = db->impl;
  if (req->tx && req->kind != EDDY__DB_BEGIN) {
    eddy__pg_conn_t *pc = req->tx->conn;
    if (pc) {
      send_to(pc, req);
      return;
    }
    eddy__db_set_error(req, "08003", 0,
                       "the transaction's connection was lost");
    eddy__db_req_fail_later(req, -ECONNRESET);
  } else if (req->kind == EDDY__DB_BEGIN) {
    eddy__pg_conn_t *pc = take_idle(pg);
    int err = pc ? 0 : acquire(pg, req);
    if (pc)
      give_tx(pc, req);
    else if (err)
      eddy__db_req_fail_later(req, err);
  } else {
    eddy_queue_push(&pg->wait, &req->node);
    pg->nwait++;
    eddy__pg_pump(pg);
  }
}

/* Gives a lent connection back to the pool. */
static void give_back(eddy__pg_t *pg, eddy__pg_conn_t *pc) {
  if (!pc->tx)
    pg->nactive--;
  else
    pc->tx->conn = NULL;
  pc->tx = NULL;
  pc->lent = 0;
  eddy_queue_remove(&pc->node);
  eddy_respool_release(&pg->pool, &pc->res);
}

void eddy__pg_conn_changed(eddy__pg_t *pg, eddy__pg_conn_t *pc) {
  if (pc && pc->state == PG_READY && pc->lent && !pc->ninflight &&
      (pg->closing || (!pc->tx && eddy_queue_empty(&pg->wait))))
    give_back(pg, pc);
  eddy__pg_pump(pg);
}

static void pg_release(eddy_db_t *db, eddy__db_tx_t *tx) {
  eddy__pg_t *pg = db->impl;
  eddy__pg_conn_t *pc = tx->conn;
  tx->conn = NULL;
  if (!pc) return;
  pc->tx = NULL;
  make_active(pg, pc); /* serves the waiters, or goes back when quiet */
  eddy__pg_conn_changed(pg, pc);
}

static void free_engine(eddy_handle_t *h) {
  eddy__pg_t *pg = EDDY_CONTAINER_OF(h, eddy__pg_t, sweep);
  eddy_db_t *db = pg->db;
  if (eddy__pending_queued(&pg->bury)) eddy__pending_cancel(&pg->bury);
  if (pg->bury.cb) pg->bury.cb(&pg->bury); /* frees the dead */
  free(pg->url);
  free(pg->hostaddr);
  free(pg);
  eddy__db_engine_closed(db);
}

static void on_pool_closed(eddy_respool_t *pool) {
  eddy__pg_t *pg = pool->data;
  eddy_close(EDDY_HANDLE(&pg->sweep), free_engine);
}

static void pg_close(eddy_db_t *db) {
  eddy__pg_t *pg = db->impl;
  pg->closing = 1;
  fail_waiting(pg, -ECANCELED, NULL);
  eddy_queue_t *q = eddy_queue_head(&pg->active);
  while (q != &pg->active) { /* the busy ones go back when quiet */
    eddy__pg_conn_t *pc = EDDY_CONTAINER_OF(q, eddy__pg_conn_t, node);
    q = q->next;
    if (!pc->ninflight) give_back(pg, pc);
  }
  eddy_queue_t *t;
  EDDY_QUEUE_FOREACH(t, &db->txs) { /* idle transactions: rolled back */
    eddy__pg_conn_t *pc = EDDY_CONTAINER_OF(t, eddy__db_tx_t, node)->conn;
    if (pc && !pc->ninflight) give_back(pg, pc);
  }
  eddy_respool_close(&pg->pool, on_pool_closed);
}

static void on_sweep(eddy_timer_t *t) {
  eddy__pg_t *pg = EDDY_CONTAINER_OF(t, eddy__pg_t, sweep);
  uint64_t now = eddy_loop_now(pg->db->loop);
  eddy_queue_t *q = eddy_queue_head(&pg->connecting);
  while (q != &pg->connecting) {
    eddy__pg_conn_t *pc = EDDY_CONTAINER_OF(q, eddy__pg_conn_t, node);
    q = q->next;
    if (now >= pc->deadline) eddy__pg_connect_timeout(pc);
  }
}

static unsigned pg_connections(const eddy_db_t *db) {
  const eddy__pg_t *pg = db->impl;
  return pg->nconns;
}

const eddy__db_engine_t eddy__db_postgres = {
    .name = "postgres",
    .begin_sql = "BEGIN",
    .open = pg_open,
    .submit = pg_submit,
    .release = pg_release,
    .close = pg_close,
    .connections = pg_connections,
};

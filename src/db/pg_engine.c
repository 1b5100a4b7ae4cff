/*
 * The PostgreSQL engine's connection pool. Requests wait in one FIFO and
 * go to the ready connection with the fewest requests in flight, up to
 * `pipeline_depth` each; when every connection is that deep, another is
 * opened, up to `max_conns`. A transaction borrows a connection from its
 * BEGIN to its COMMIT/ROLLBACK: nothing else is sent on it meanwhile.
 * A sweep timer (unreferenced) bounds connects, closes connections idle
 * past `idle_ms` above `min_conns`, and keeps `min_conns` open. A dead
 * connection is noticed by its watcher (EOF) even when idle, and
 * replaced on demand; the requests it carried fail once.
 */
#include <stdlib.h>
#include <string.h>

#include "db/pg_int.h"

#define SWEEP_MS 100
#define RETRY_MS 500 /* after a failed connect, wait before the next */

static void on_sweep(eddy_timer_t *t);

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
  eddy_queue_init(&pg->conns);
  eddy_queue_init(&pg->wait);
  eddy_queue_init(&pg->graveyard);
  eddy__pending_init(&pg->bury);
  eddy_timer_init(db->loop, &pg->sweep);
  eddy_timer_start(&pg->sweep, on_sweep, SWEEP_MS, SWEEP_MS);
  eddy_unref(EDDY_HANDLE(&pg->sweep));
  db->impl = pg;
  for (unsigned i = 0; i < db->opts.min_conns; i++)
    if (eddy__pg_conn_start(pg)) break;
  return 0;
}

/* The ready connection with the fewest requests in flight that no
 * transaction holds; NULL if none, or all are `depth` deep. */
static eddy__pg_conn_t *pick(eddy__pg_t *pg, unsigned depth) {
  eddy__pg_conn_t *best = NULL;
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &pg->conns) {
    eddy__pg_conn_t *pc = EDDY_CONTAINER_OF(q, eddy__pg_conn_t, node);
    if (pc->state != PG_READY || pc->tx) continue;
    if (!best || pc->ninflight < best->ninflight) best = pc;
  }
  return best && best->ninflight < depth ? best : NULL;
}

static void grow(eddy__pg_t *pg) {
  eddy_loop_t *loop = pg->db->loop;
  if (pg->closing || pg->nconnecting || pg->nconns >= pg->db->opts.max_conns)
    return;
  if (pg->last_fail && eddy_loop_now(loop) - pg->last_fail < RETRY_MS &&
      pg->nconns) /* the others are dead or busy: let the sweep retry */
    return;
  eddy__pg_conn_start(pg);
}

static void send_to(eddy__pg_conn_t *pc, eddy__db_req_t *req) {
  if (req->kind == EDDY__DB_BEGIN) {
    pc->tx = req->tx;
    req->tx->conn = pc;
  }
  int err = eddy__pg_send(pc, req);
  if (err) eddy__pg_conn_die(pc, err, PQerrorMessage(pc->c));
}

void eddy__pg_pump(eddy__pg_t *pg) {
  unsigned depth = pg->db->opts.pipeline_depth;
  while (!eddy_queue_empty(&pg->wait)) {
    eddy__db_req_t *req =
        EDDY_CONTAINER_OF(eddy_queue_head(&pg->wait), eddy__db_req_t, node);
    eddy__pg_conn_t *pc = pick(pg, req->kind == EDDY__DB_BEGIN ? ~0u : depth);
    if (!pc) {
      grow(pg);
      return;
    }
    eddy_queue_remove(&req->node);
    send_to(pc, req);
  }
}

static void pg_submit(eddy_db_t *db, eddy__db_req_t *req) {
  eddy__pg_t *pg = db->impl;
  if (req->tx && req->kind != EDDY__DB_BEGIN) {
    eddy__pg_conn_t *pc = req->tx->conn;
    if (!pc) {
      eddy__db_set_error(req, "08003", 0, "the transaction's connection was lost");
      eddy__db_req_fail_later(req, -ECONNRESET);
      return;
    }
    send_to(pc, req);
    return;
  }
  eddy_queue_push(&pg->wait, &req->node);
  eddy__pg_pump(pg);
}

void eddy__pg_fail_waiting(eddy__pg_t *pg, int status, const char *msg) {
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &pg->conns) { /* another connection may serve */
    eddy__pg_conn_t *pc = EDDY_CONTAINER_OF(q, eddy__pg_conn_t, node);
    if (pc->state == PG_READY) return;
  }
  while (!eddy_queue_empty(&pg->wait)) {
    eddy__db_req_t *req =
        EDDY_CONTAINER_OF(eddy_queue_head(&pg->wait), eddy__db_req_t, node);
    eddy__db_set_error(req, NULL, 0, msg);
    eddy__db_req_fail_later(req, status);
  }
}

static void pg_release(eddy_db_t *db, eddy__db_tx_t *tx) {
  eddy__pg_conn_t *pc = tx->conn;
  if (pc) pc->tx = NULL;
  tx->conn = NULL;
  eddy__pg_conn_changed(db->impl);
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

/* Closing: a connection goes once nothing is in flight on it. */
static void close_idle(eddy__pg_t *pg) {
  eddy_queue_t *q = eddy_queue_head(&pg->conns);
  while (q != &pg->conns) {
    eddy__pg_conn_t *pc = EDDY_CONTAINER_OF(q, eddy__pg_conn_t, node);
    q = q->next;
    if (!pc->ninflight) eddy__pg_conn_close(pc);
  }
  if (!pg->nconns && !eddy_is_closing(EDDY_HANDLE(&pg->sweep)))
    eddy_close(EDDY_HANDLE(&pg->sweep), free_engine);
}

void eddy__pg_conn_changed(eddy__pg_t *pg) {
  if (pg->closing) close_idle(pg);
  else eddy__pg_pump(pg);
}

static void pg_close(eddy_db_t *db) {
  eddy__pg_t *pg = db->impl;
  pg->closing = 1;
  while (!eddy_queue_empty(&pg->wait))
    eddy__db_req_fail_later(
        EDDY_CONTAINER_OF(eddy_queue_head(&pg->wait), eddy__db_req_t, node),
        -ECANCELED);
  close_idle(pg);
}

static void sweep_conn(eddy__pg_t *pg, eddy__pg_conn_t *pc, uint64_t now) {
  if (pc->state == PG_CONNECTING && now >= pc->deadline) {
    pg->last_fail = now;
    eddy__pg_fail_waiting(pg, -ETIMEDOUT, "connect timed out");
    eddy__pg_conn_die(pc, -ETIMEDOUT, "connect timed out");
  } else if (pc->state == PG_READY && !pc->ninflight && !pc->tx &&
             pg->nconns > pg->db->opts.min_conns &&
             now - pc->idle_since >= pg->db->opts.idle_ms) {
    eddy__pg_conn_close(pc);
  }
}

static void on_sweep(eddy_timer_t *t) {
  eddy__pg_t *pg = EDDY_CONTAINER_OF(t, eddy__pg_t, sweep);
  if (pg->closing) return;
  uint64_t now = eddy_loop_now(pg->db->loop);
  eddy_queue_t *q = eddy_queue_head(&pg->conns);
  while (q != &pg->conns) {
    eddy__pg_conn_t *pc = EDDY_CONTAINER_OF(q, eddy__pg_conn_t, node);
    q = q->next;
    sweep_conn(pg, pc, now);
  }
  if (!pg->nconnecting && pg->nconns < pg->db->opts.min_conns &&
      now - pg->last_fail >= RETRY_MS)
    eddy__pg_conn_start(pg);
  eddy__pg_pump(pg);
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

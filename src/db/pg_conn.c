/*
 * A PostgreSQL connection on the loop: PQconnectStartParams and
 * PQconnectPoll driven by socket readiness (the pool's sweep timer bounds
 * the connect), then pipeline mode, reads and flushes from the same
 * watcher; and its death, which fails its requests once and frees it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/pg_int.h"

static void on_io(eddy__watcher_t *w, unsigned events);

/* libpq prints notices to stderr by default: a blocking write. */
static void quiet_notice(void *arg, const char *message) {}

static int watch(eddy__pg_conn_t *pc, unsigned events) {
  eddy_loop_t *loop = pc->pg->db->loop;
  int fd = PQsocket(pc->c);
  if (fd < 0) return -ECONNRESET;
  if (fd != pc->w.fd) { /* libpq opened another socket (next address) */
    if (pc->w.fd >= 0) eddy__watcher_stop(loop, &pc->w);
    int err = eddy__watcher_init(loop, &pc->w, fd, on_io);
    if (err) return err;
  }
  return eddy__watcher_start(loop, &pc->w, events);
}

/* What a failed connect means to a caller. */
static int connect_status(const char *msg) {
  if (strstr(msg, "authentication") || strstr(msg, "does not exist") ||
      strstr(msg, "no pg_hba.conf"))
    return -EACCES;
  return -ECONNREFUSED;
}

static void teardown(eddy__pg_conn_t *pc);
static void bury_later(eddy__pg_conn_t *pc);

/* The connect failed: the pool learns it (and tells a waiting borrower),
 * the connection is freed. */
static void connect_failed(eddy__pg_conn_t *pc, int status, const char *msg) {
  eddy__pg_t *pg = pc->pg;
  snprintf(pg->last_error, sizeof(pg->last_error), "%s", msg);
  eddy_respool_op_t *op = pc->create_op;
  teardown(pc);
  bury_later(pc);
  eddy_respool_done(op, status, NULL);
}

static void connect_error(eddy__pg_conn_t *pc) {
  const char *msg = pc->c ? PQerrorMessage(pc->c) : "out of memory";
  connect_failed(pc, pc->c ? connect_status(msg) : -ENOMEM, msg);
}

void eddy__pg_connect_timeout(eddy__pg_conn_t *pc) {
  connect_failed(pc, -ETIMEDOUT, "connect timed out");
}

static void connected(eddy__pg_conn_t *pc) {
  if (PQsetnonblocking(pc->c, 1) || !PQenterPipelineMode(pc->c) ||
      watch(pc, EDDY_READABLE)) {
    connect_error(pc);
    return;
  }
  pc->state = PG_READY;
  eddy_queue_remove(&pc->node); /* from connecting */
  pc->idle_since = eddy_loop_now(pc->pg->db->loop);
  eddy_respool_op_t *op = pc->create_op;
  pc->create_op = NULL;
  eddy_respool_done(op, 0, &pc->res);
}

static void connect_step(eddy__pg_conn_t *pc) {
  switch (PQconnectPoll(pc->c)) {
  case PGRES_POLLING_READING:
    if (watch(pc, EDDY_READABLE)) connect_error(pc);
    break;
  case PGRES_POLLING_WRITING:
    if (watch(pc, EDDY_WRITABLE)) connect_error(pc);
    break;
  case PGRES_POLLING_OK: connected(pc); break;
  default: connect_error(pc);
  }
}

static void on_io(eddy__watcher_t *w, unsigned events) {
  eddy__pg_conn_t *pc = EDDY_CONTAINER_OF(w, eddy__pg_conn_t, w);
  eddy_loop_set_label(pc->pg->db->loop, "postgres");
  if (pc->state == PG_CONNECTING) {
    connect_step(pc);
    return;
  }
  int err = 0;
  if (events & EDDY_READABLE) err = eddy__pg_read(pc);
  if (pc->state != PG_READY) return; /* a callback ended it */
  if (!err) err = eddy__pg_flush(pc);
  if (err) {
    eddy__pg_conn_die(pc, err, PQerrorMessage(pc->c));
    return;
  }
  eddy__pg_conn_changed(pc->pg, pc);
}

int eddy__pg_flush(eddy__pg_conn_t *pc) {
  int r = PQflush(pc->c);
  if (r < 0) return -ECONNRESET;
  /* 1: libpq still holds output; wait for writable, and keep reading so
   * the server, blocked sending us results, can take our bytes */
  return watch(pc, EDDY_READABLE | (r == 1 ? EDDY_WRITABLE : 0u));
}

static PGconn *start_libpq(eddy__pg_t *pg) {
  const char *keys[5], *vals[5];
  int n = 0;
  keys[n] = "dbname"; /* expanded: libpq parses the URL */
  vals[n++] = pg->url;
  if (pg->hostaddr) {
    keys[n] = "hostaddr";
    vals[n++] = pg->hostaddr;
  }
  keys[n] = "gssencmode"; /* GSS would look for Kerberos credentials */
  vals[n++] = "disable";
  keys[n] = "client_encoding";
  vals[n++] = "UTF8";
  keys[n] = vals[n] = NULL;
  return PQconnectStartParams(keys, vals, 1);
}

void eddy__pg_create(eddy_respool_t *pool, eddy_respool_op_t *op) {
  eddy__pg_t *pg = pool->data;
  eddy__pg_conn_t *pc = calloc(1, sizeof(*pc));
  if (!pc || eddy__db_stmt_cache_init(&pc->stmts, 256)) {
    free(pc);
    eddy_respool_done(op, -ENOMEM, NULL);
    return;
  }
  pc->pg = pg;
  pc->create_op = op;
  pc->w.fd = -1;
  eddy_queue_init(&pc->inflight);
  pc->state = PG_CONNECTING;
  /* the cached clock may be old (a start-up before the loop ran) */
  eddy_loop_update_time(pg->db->loop);
  pc->deadline = eddy_loop_now(pg->db->loop) + pg->db->opts.connect_timeout_ms;
  eddy_queue_push(&pg->connecting, &pc->node);
  pg->nconns++;
  pc->c = start_libpq(pg);
  if (!pc->c) {
    connect_error(pc);
    return;
  }
  PQsetNoticeProcessor(pc->c, quiet_notice, NULL);
  if (PQstatus(pc->c) == CONNECTION_BAD || watch(pc, EDDY_WRITABLE))
    connect_error(pc);
}

/* Frees the connections that died, outside any callback of theirs. */
static void bury(eddy__pending_t *p) {
  eddy__pg_t *pg = EDDY_CONTAINER_OF(p, eddy__pg_t, bury);
  while (!eddy_queue_empty(&pg->graveyard)) {
    eddy_queue_t *q = eddy_queue_head(&pg->graveyard);
    eddy_queue_remove(q);
    free(EDDY_CONTAINER_OF(q, eddy__pg_conn_t, node));
  }
}

static void bury_later(eddy__pg_conn_t *pc) {
  eddy__pg_t *pg = pc->pg;
  eddy_queue_remove(&pc->node);
  eddy_queue_push(&pg->graveyard, &pc->node);
  pg->bury.cb = bury;
  pg->bury.label = "postgres bury";
  if (!eddy__pending_queued(&pg->bury))
    eddy__pending_push(pg->db->loop, &pg->bury);
}

/* Closes the socket and libpq's state; the memory stays until buried. */
static void teardown(eddy__pg_conn_t *pc) {
  if (pc->state == PG_DEAD) return;
  eddy__pg_t *pg = pc->pg;
  pc->state = PG_DEAD;
  if (pc->w.fd >= 0) eddy__watcher_stop(pg->db->loop, &pc->w);
  if (pc->c) PQfinish(pc->c); /* closes the socket; waits for nothing */
  pc->c = NULL;
  eddy__db_stmt_cache_free(&pc->stmts, NULL);
  if (pc->tx) pc->tx->conn = NULL;
  pc->tx = NULL;
  eddy_queue_remove(&pc->node); /* from active */
  pg->nconns--;
}

void eddy__pg_destroy(eddy_respool_t *pool, eddy_respool_op_t *op) {
  eddy__pg_conn_t *pc = EDDY_CONTAINER_OF(op->res, eddy__pg_conn_t, res);
  teardown(pc);
  bury_later(pc);
  eddy_respool_done(op, 0, NULL);
}

void eddy__pg_conn_die(eddy__pg_conn_t *pc, int status, const char *msg) {
  if (pc->state == PG_DEAD) return;
  while (!eddy_queue_empty(&pc->inflight)) {
    eddy__db_req_t *req = EDDY_CONTAINER_OF(eddy_queue_head(&pc->inflight),
                                            eddy__db_req_t, node);
    /* a request that already has the server's reason keeps it */
    if (!req->status) {
      eddy__db_set_error(req, NULL, 0, msg);
      req->status = status;
    }
    eddy__db_req_fail_later(req, req->status);
  }
  pc->ninflight = 0;
  eddy__pg_t *pg = pc->pg;
  int was_active = pc->lent && !pc->tx;
  teardown(pc);
  if (was_active) pg->nactive--;
  pc->lent = 0;
  eddy_respool_destroy(&pg->pool, &pc->res); /* lent or idle: the pool
                                                 replaces it as needed */
  eddy__pg_conn_changed(pg, NULL);
}

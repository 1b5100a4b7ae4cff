/*
 * A PostgreSQL connection on the loop: PQconnectStartParams and
 * PQconnectPoll driven by socket readiness (the pool's sweep timer bounds
 * the connect), then pipeline mode, reads and flushes from the same
 * watcher; and its death, which fails its requests once and frees it.
 */
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

static void connect_failed(eddy__pg_conn_t *pc) {
  eddy__pg_t *pg = pc->pg;
  const char *msg = PQerrorMessage(pc->c);
  int status = connect_status(msg);
  pg->last_fail = eddy_loop_now(pg->db->loop);
  eddy__pg_fail_waiting(pg, status, msg); /* before the message goes */
  eddy__pg_conn_die(pc, status, msg);
}

static void connected(eddy__pg_conn_t *pc) {
  if (PQsetnonblocking(pc->c, 1) || !PQenterPipelineMode(pc->c)) {
    connect_failed(pc);
    return;
  }
  pc->state = PG_READY;
  pc->pg->nconnecting--;
  pc->idle_since = eddy_loop_now(pc->pg->db->loop);
  if (watch(pc, EDDY_READABLE)) {
    eddy__pg_conn_die(pc, -ECONNRESET, "cannot watch the socket");
    return;
  }
  eddy__pg_conn_changed(pc->pg);
}

static void connect_step(eddy__pg_conn_t *pc) {
  switch (PQconnectPoll(pc->c)) {
  case PGRES_POLLING_READING:
    if (watch(pc, EDDY_READABLE)) connect_failed(pc);
    break;
  case PGRES_POLLING_WRITING:
    if (watch(pc, EDDY_WRITABLE)) connect_failed(pc);
    break;
  case PGRES_POLLING_OK: connected(pc); break;
  default: connect_failed(pc);
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
  eddy__pg_conn_changed(pc->pg);
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

int eddy__pg_conn_start(eddy__pg_t *pg) {
  eddy__pg_conn_t *pc = calloc(1, sizeof(*pc));
  if (!pc) return -ENOMEM;
  pc->pg = pg;
  pc->w.fd = -1;
  eddy_queue_init(&pc->inflight);
  if (eddy__db_stmt_cache_init(&pc->stmts, 256)) {
    free(pc);
    return -ENOMEM;
  }
  pc->c = start_libpq(pg);
  pc->state = PG_CONNECTING;
  /* the cached clock may be old (a start-up before the loop ran) */
  eddy_loop_update_time(pg->db->loop);
  pc->deadline = eddy_loop_now(pg->db->loop) + pg->db->opts.connect_timeout_ms;
  eddy_queue_push(&pg->conns, &pc->node);
  pg->nconns++;
  pg->nconnecting++;
  if (!pc->c) {
    eddy__pg_conn_die(pc, -ENOMEM, "out of memory");
    return -ENOMEM;
  }
  PQsetNoticeProcessor(pc->c, quiet_notice, NULL);
  if (PQstatus(pc->c) == CONNECTION_BAD || watch(pc, EDDY_WRITABLE)) {
    connect_failed(pc);
    return -ECONNREFUSED;
  }
  return 0;
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

static void teardown(eddy__pg_conn_t *pc) {
  eddy__pg_t *pg = pc->pg;
  if (pc->state == PG_CONNECTING) pg->nconnecting--;
  pc->state = PG_DEAD;
  if (pc->w.fd >= 0) eddy__watcher_stop(pg->db->loop, &pc->w);
  if (pc->c) PQfinish(pc->c); /* closes the socket; sends no wait */
  pc->c = NULL;
  eddy__db_stmt_cache_free(&pc->stmts, NULL);
  if (pc->tx) pc->tx->conn = NULL;
  eddy_queue_remove(&pc->node);
  pg->nconns--;
  eddy_queue_push(&pg->graveyard, &pc->node);
  pg->bury.cb = bury;
  pg->bury.label = "postgres bury";
  if (!eddy__pending_queued(&pg->bury))
    eddy__pending_push(pg->db->loop, &pg->bury);
}

void eddy__pg_conn_die(eddy__pg_conn_t *pc, int status, const char *msg) {
  if (pc->state == PG_DEAD) return;
  while (!eddy_queue_empty(&pc->inflight)) {
    eddy__db_req_t *req =
        EDDY_CONTAINER_OF(eddy_queue_head(&pc->inflight), eddy__db_req_t, node);
    /* a request that already has the server's reason keeps it */
    if (!req->status) {
      eddy__db_set_error(req, NULL, 0, msg);
      req->status = status;
    }
    eddy__db_req_fail_later(req, req->status);
  }
  pc->ninflight = 0;
  teardown(pc);
  eddy__pg_conn_changed(pc->pg);
}

void eddy__pg_conn_close(eddy__pg_conn_t *pc) {
  if (pc->state == PG_DEAD) return;
  teardown(pc);
}

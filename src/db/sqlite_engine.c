/*
 * The SQLite engine, loop side: one write connection and N read
 * connections, each running batches of requests on eddy's thread pool.
 *
 * Writes (and transactions) go to the writer in submission order, so
 * SQLite never sees two writers of ours fighting over its lock; reads go
 * to whichever readers are idle, split evenly, so they run in parallel
 * (WAL lets them read while the writer writes). A statement that looked
 * like a read but writes (a CTE with DELETE...) is sent back by the reader
 * and runs on the writer. A transaction borrows the writer from BEGIN to
 * COMMIT/ROLLBACK; plain writes wait meanwhile.
 */
#include <stdlib.h>
#include <string.h>

#include "db/sqlite_int.h"

#define BATCH_MAX 64

static void after_batch(eddy_work_t *w, int status);

static void conn_init(eddy__sq_t *sq, eddy__sq_conn_t *c, int reader) {
  c->sq = sq;
  c->reader = reader;
  eddy_queue_init(&c->batch);
}

static int sq_open(eddy_db_t *db, const char *path) {
  if (!*path) return -EINVAL;
  eddy__sq_t *sq = calloc(1, sizeof(*sq));
  if (!sq) return -ENOMEM;
  sq->path = strdup(path);
  sq->nreaders = db->opts.max_conns;
  sq->readers = calloc(sq->nreaders, sizeof(*sq->readers));
  if (!sq->path || !sq->readers) {
    free(sq->path);
    free(sq->readers);
    free(sq);
    return -ENOMEM;
  }
  sq->db = db;
  sq->busy_ms = db->opts.busy_timeout_ms;
  conn_init(sq, &sq->writer, 0);
  for (unsigned i = 0; i < sq->nreaders; i++) conn_init(sq, &sq->readers[i], 1);
  eddy_queue_init(&sq->write_q);
  eddy_queue_init(&sq->read_q);
  db->impl = sq;
  return 0;
}

/* Hands the connection's batch to the pool. */
static void start(eddy__sq_conn_t *c) {
  c->busy = 1;
  int err = eddy_queue_work(c->sq->db->loop, &c->work, eddy__sq_run_batch,
                            after_batch);
  if (!err) return;
  c->busy = 0;
  while (!eddy_queue_empty(&c->batch)) {
    eddy__db_req_t *req = EDDY_CONTAINER_OF(eddy_queue_head(&c->batch),
                                            eddy__db_req_t, node);
    eddy__db_req_fail_later(req, err);
  }
}

static void take(eddy_queue_t *from, eddy_queue_t *to) {
  eddy_queue_t *q = eddy_queue_head(from);
  eddy_queue_remove(q);
  eddy_queue_push(to, q);
}

static void pump_writer(eddy__sq_t *sq) {
  eddy__sq_conn_t *c = &sq->writer;
  if (c->busy || sq->closing) return;
  eddy_queue_t *src = c->tx ? &c->tx->queue : &sq->write_q;
  for (int n = 0; n < BATCH_MAX && !eddy_queue_empty(src); n++) {
    eddy__db_req_t *req = EDDY_CONTAINER_OF(eddy_queue_head(src),
                                            eddy__db_req_t, node);
    take(src, &c->batch);
    if (req->kind == EDDY__DB_BEGIN) { /* the writer is the tx's now */
      c->tx = req->tx;
      req->tx->conn = c;
      break;
    }
    if (req->kind == EDDY__DB_END) break;
  }
  if (!eddy_queue_empty(&c->batch)) start(c);
}

static void pump_readers(eddy__sq_t *sq) {
  if (sq->closing || !sq->read_len) return;
  unsigned idle = 0;
  for (unsigned i = 0; i < sq->nreaders; i++) idle += !sq->readers[i].busy;
  for (unsigned i = 0; i < sq->nreaders && sq->read_len; i++) {
    eddy__sq_conn_t *c = &sq->readers[i];
    if (c->busy) continue;
    size_t n = (sq->read_len + idle - 1) / idle;
    idle--;
    if (n > BATCH_MAX) n = BATCH_MAX;
    for (; n; n--, sq->read_len--) take(&sq->read_q, &c->batch);
    start(c);
  }
}

static void pump(eddy__sq_t *sq) {
  pump_writer(sq);
  pump_readers(sq);
}

static void sq_submit(eddy_db_t *db, eddy__db_req_t *req) {
  eddy__sq_t *sq = db->impl;
  if (req->tx && req->kind != EDDY__DB_BEGIN) {
    eddy_queue_push(&req->tx->queue, &req->node);
  } else if (!req->tx && sq->nreaders && eddy__db_looks_read_only(req->sql)) {
    eddy_queue_push(&sq->read_q, &req->node);
    sq->read_len++;
  } else {
    eddy_queue_push(&sq->write_q, &req->node);
  }
  pump(sq);
}

static void sq_release(eddy_db_t *db, eddy__db_tx_t *tx) {
  eddy__sq_t *sq = db->impl;
  if (sq->writer.tx == tx) sq->writer.tx = NULL;
  tx->conn = NULL;
  /* requests the transaction left behind cannot run any more */
  while (!eddy_queue_empty(&tx->queue)) {
    eddy__db_req_t *req = EDDY_CONTAINER_OF(eddy_queue_head(&tx->queue),
                                            eddy__db_req_t, node);
    eddy__db_req_fail_later(req, -ECANCELED);
  }
  pump(sq);
}

static void free_engine(eddy__sq_t *sq) {
  eddy_db_t *db = sq->db;
  free(sq->readers);
  free(sq->path);
  free(sq);
  eddy__db_engine_closed(db);
}

static void start_close(eddy__sq_conn_t *c) {
  c->closing = 1;
  start(c); /* an empty batch: closes the file on the pool */
}

/* Delivers a finished batch; a reader's bounced requests go to the
 * writer. */
static void after_batch(eddy_work_t *w, int status) {
  eddy__sq_conn_t *c = EDDY_CONTAINER_OF(w, eddy__sq_conn_t, work);
  eddy__sq_t *sq = c->sq;
  c->busy = 0;
  c->is_open = c->h != NULL;
  if (c->closing) {
    c->closed = 1;
    if (--sq->to_close == 0) free_engine(sq);
    return;
  }
  /* a callback may submit more (and the pump refill c->batch): deliver
   * from a list of our own */
  eddy_queue_t done;
  eddy_queue_move(&c->batch, &done);
  while (!eddy_queue_empty(&done)) {
    eddy__db_req_t *req = EDDY_CONTAINER_OF(eddy_queue_head(&done),
                                            eddy__db_req_t, node);
    eddy_queue_remove(&req->node);
    if (req->engine_state == EDDY__SQ_BOUNCE && !sq->closing) {
      req->engine_state = 0;
      eddy_queue_push(&sq->write_q, &req->node);
    } else if (req->engine_state == EDDY__SQ_BOUNCE) {
      eddy__db_req_done(req, -ECANCELED);
    } else {
      eddy__db_req_done(req, req->status);
    }
  }
  if (sq->closing) {
    if (!c->busy) start_close(c);
  } else {
    pump(sq);
  }
}

static void fail_queue(eddy_queue_t *q) {
  while (!eddy_queue_empty(q))
    eddy__db_req_fail_later(EDDY_CONTAINER_OF(eddy_queue_head(q),
                                              eddy__db_req_t, node),
                            -ECANCELED);
}

static void sq_close(eddy_db_t *db) {
  eddy__sq_t *sq = db->impl;
  sq->closing = 1;
  fail_queue(&sq->write_q);
  fail_queue(&sq->read_q);
  sq->read_len = 0;
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &db->txs) {
    fail_queue(&EDDY_CONTAINER_OF(q, eddy__db_tx_t, node)->queue);
  }
  sq->to_close = 1 + sq->nreaders;
  /* running batches finish first; their after_batch closes them */
  if (!sq->writer.busy) start_close(&sq->writer);
  for (unsigned i = 0; i < sq->nreaders; i++)
    if (!sq->readers[i].busy) start_close(&sq->readers[i]);
}

static unsigned sq_connections(const eddy_db_t *db) {
  const eddy__sq_t *sq = db->impl;
  unsigned n = (unsigned)sq->writer.is_open;
  for (unsigned i = 0; i < sq->nreaders; i++)
    n += (unsigned)sq->readers[i].is_open;
  return n;
}

const eddy__db_engine_t eddy__db_sqlite = {
    .name = "sqlite",
    .begin_sql = "BEGIN IMMEDIATE",
    .open = sq_open,
    .submit = sq_submit,
    .release = sq_release,
    .close = sq_close,
    .connections = sq_connections,
};

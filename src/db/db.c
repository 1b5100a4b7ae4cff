/* The engine-neutral database API: open by URL, requests, close. */
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

static void fill_defaults(eddy_db_options_t *o, const eddy_db_options_t *in,
                          int sqlite) {
  if (in)
    *o = *in;
  else
    memset(o, 0, sizeof(*o));
  if (!o->max_conns) o->max_conns = sqlite ? 2 : 8;
  if (!o->min_conns) o->min_conns = 1;
  if (o->min_conns > o->max_conns) o->min_conns = o->max_conns;
  if (!o->idle_ms) o->idle_ms = 30000;
  if (!o->connect_timeout_ms) o->connect_timeout_ms = 5000;
  if (!o->busy_timeout_ms) o->busy_timeout_ms = 5000;
  if (!o->pipeline_depth) o->pipeline_depth = 16;
}

static void run_failed(eddy__pending_t *p);

int eddy_db_open(eddy_loop_t *loop, const char *url,
                 const eddy_db_options_t *opts, eddy_db_t **out) {
  if (!loop || !url || !out) return -EINVAL;
  const eddy__db_engine_t *engine;
  const char *rest;
  if (strncmp(url, "sqlite:", 7) == 0) {
    engine = &eddy__db_sqlite;
    rest = url + 7;
  } else if (strncmp(url, "postgres://", 11) == 0 ||
             strncmp(url, "postgresql://", 13) == 0) {
    engine = &eddy__db_postgres;
    rest = url;
  } else {
    return -EINVAL;
  }
  eddy_db_t *db = calloc(1, sizeof(*db));
  if (!db) return -ENOMEM;
  db->loop = loop;
  db->engine = engine;
  fill_defaults(&db->opts, opts, engine == &eddy__db_sqlite);
  eddy_queue_init(&db->txs);
  eddy_queue_init(&db->failed);
  eddy__pending_init(&db->fail_pending);
  db->fail_pending.cb = run_failed;
  db->fail_pending.label = "db failed";
  int err = engine->open(db, rest);
  if (err) {
    free(db);
    return err;
  }
  *out = db;
  return 0;
}

const char *eddy_db_engine(const eddy_db_t *db) { return db->engine->name; }
size_t eddy_db_pending(const eddy_db_t *db) { return db->pending; }
unsigned eddy_db_connections(const eddy_db_t *db) {
  return db->engine->connections(db);
}

/* One allocation for the request's SQL, parameters and their bytes. */
static eddy__db_req_t *req_new(eddy_db_t *db, const char *sql,
                               const eddy_db_value_t *params, size_t n) {
  size_t sql_len = strlen(sql), bytes = sql_len + 1;
  for (size_t i = 0; i < n; i++)
    if (params[i].type == EDDY_DB_TEXT || params[i].type == EDDY_DB_BLOB)
      bytes += params[i].len + 1;
  eddy__db_req_t *req = calloc(1, sizeof(*req) + n * sizeof(*params) + bytes);
  if (!req) return NULL;
  req->params = (eddy_db_value_t *)(req + 1);
  char *p = (char *)(req->params + n);
  memcpy(p, sql, sql_len + 1);
  req->sql = p;
  req->sql_len = sql_len;
  p += sql_len + 1;
  for (size_t i = 0; i < n; i++) {
    req->params[i] = params[i];
    if (params[i].type != EDDY_DB_TEXT && params[i].type != EDDY_DB_BLOB)
      continue;
    if (params[i].len) memcpy(p, params[i].p, params[i].len);
    p[params[i].len] = '\0';
    req->params[i].p = p;
    p += params[i].len + 1;
  }
  req->nparams = n;
  req->res.db = db;
  req->res.error.message = "";
  eddy_queue_init(&req->node);
  return req;
}

static int valid_params(const eddy_db_value_t *params, size_t n) {
  if (n > 65535 || (n && !params)) return 0;
  for (size_t i = 0; i < n; i++) {
    if (params[i].type > EDDY_DB_BLOB) return 0;
    if ((params[i].type == EDDY_DB_TEXT || params[i].type == EDDY_DB_BLOB) &&
        params[i].len && !params[i].p)
      return 0;
  }
  return 1;
}

/* Builds and hands a request to the engine. */
static int submit(eddy_db_t *db, eddy__db_tx_t *tx, int kind, const char *sql,
                  const eddy_db_value_t *params, size_t n, eddy_db_row_cb row,
                  eddy_db_done_cb done, void *data) {
  if (db->closing) return -ECANCELED;
  eddy__db_req_t *req = req_new(db, sql, params, n);
  if (!req) return -ENOMEM;
  req->tx = tx;
  req->res.tx = tx ? &tx->pub : NULL;
  req->kind = kind;
  req->row_cb = row;
  req->done_cb = done;
  req->res.data = data;
  db->pending++;
  eddy__req_register(db->loop);
  db->engine->submit(db, req);
  return 0;
}

int eddy_db_query(eddy_db_t *db, const char *sql, const eddy_db_value_t *params,
                  size_t nparams, eddy_db_row_cb row_cb,
                  eddy_db_done_cb done_cb, void *data) {
  if (!db || !sql || !done_cb || !valid_params(params, nparams)) return -EINVAL;
  return submit(db, NULL, EDDY__DB_USER, sql, params, nparams, row_cb, done_cb,
                data);
}

int eddy_db_tx_query(eddy_db_tx_t *pub, const char *sql,
                     const eddy_db_value_t *params, size_t nparams,
                     eddy_db_row_cb row_cb, eddy_db_done_cb done_cb,
                     void *data) {
  eddy__db_tx_t *tx = (eddy__db_tx_t *)pub;
  if (!tx || !sql || !done_cb || !valid_params(params, nparams)) return -EINVAL;
  if (tx->ended) return -EINVAL;
  if (tx->dead) return -ECANCELED;
  return submit(tx->pub.db, tx, EDDY__DB_USER, sql, params, nparams, row_cb,
                done_cb, data);
}

int eddy_db_begin(eddy_db_t *db, eddy_db_tx_cb cb, void *data) {
  if (!db || !cb) return -EINVAL;
  if (db->closing) return -ECANCELED;
  eddy__db_tx_t *tx = calloc(1, sizeof(*tx));
  if (!tx) return -ENOMEM;
  tx->pub.data = data;
  tx->pub.db = db;
  tx->begin_cb = cb;
  eddy_queue_init(&tx->queue);
  int err = submit(db, tx, EDDY__DB_BEGIN, db->engine->begin_sql, NULL, 0, NULL,
                   NULL, NULL);
  if (err) {
    free(tx);
    return err;
  }
  eddy_queue_push(&db->txs, &tx->node);
  return 0;
}

static int end_tx(eddy_db_tx_t *pub, const char *sql, eddy_db_done_cb cb,
                  void *data) {
  eddy__db_tx_t *tx = (eddy__db_tx_t *)pub;
  if (!tx || tx->ended) return -EINVAL;
  eddy_db_t *db = tx->pub.db;
  if (db->closing || tx->dead) return -ECANCELED;
  tx->ended = 1;
  int err = submit(db, tx, EDDY__DB_END, sql, NULL, 0, NULL, cb, data);
  if (err) tx->ended = 0;
  return err;
}

int eddy_db_commit(eddy_db_tx_t *tx, eddy_db_done_cb cb, void *data) {
  return end_tx(tx, "COMMIT", cb, data);
}

int eddy_db_rollback(eddy_db_tx_t *tx, eddy_db_done_cb cb, void *data) {
  return end_tx(tx, "ROLLBACK", cb, data);
}

static void tx_free(eddy__db_tx_t *tx) {
  eddy_queue_remove(&tx->node);
  free(tx);
}

static void maybe_closed(eddy_db_t *db) {
  if (!db->closing || !db->engine_closed || db->pending) return;
  while (!eddy_queue_empty(&db->txs))
    tx_free(EDDY_CONTAINER_OF(eddy_queue_head(&db->txs), eddy__db_tx_t, node));
  eddy__req_unregister(db->loop); /* the close itself */
  if (db->close_cb) db->close_cb(db);
  free(db);
}

/* Runs the user's callbacks of a finished transaction step. */
static void finish_tx_step(eddy__db_req_t *req, int status) {
  eddy__db_tx_t *tx = req->tx;
  eddy_db_t *db = req->res.db;
  if (req->kind == EDDY__DB_BEGIN) {
    if (status) tx->dead = 1;
    tx->begin_cb(&tx->pub, status);
    if (!status) return;
    db->engine->release(db, tx);
    tx_free(tx);
    return;
  }
  if (req->done_cb) req->done_cb(&req->res, status);
  db->engine->release(db, tx);
  tx_free(tx);
}

void eddy__db_req_done(eddy__db_req_t *req, int status) {
  eddy_db_t *db = req->res.db;
  eddy_loop_set_label(db->loop, "db query");
  if (req->kind == EDDY__DB_USER) {
    if (req->row_cb)
      for (size_t r = 0; r < req->res.nrows; r++)
        req->row_cb(&req->res, eddy_db_row(&req->res, r));
    req->done_cb(&req->res, status);
  } else {
    finish_tx_step(req, status);
  }
  eddy__db_req_free(req);
  db->pending--;
  eddy__req_unregister(db->loop);
  maybe_closed(db);
}

static void run_failed(eddy__pending_t *p) {
  eddy_db_t *db = EDDY_CONTAINER_OF(p, eddy_db_t, fail_pending);
  db->pending++; /* hold the database open until the list is empty */
  while (!eddy_queue_empty(&db->failed)) {
    eddy_queue_t *q = eddy_queue_head(&db->failed);
    eddy_queue_remove(q);
    eddy__db_req_t *req = EDDY_CONTAINER_OF(q, eddy__db_req_t, node);
    eddy__db_req_done(req, req->status);
  }
  db->pending--;
  maybe_closed(db);
}

void eddy__db_req_fail_later(eddy__db_req_t *req, int status) {
  eddy_db_t *db = req->res.db;
  req->status = status;
  eddy_queue_remove(&req->node);
  eddy_queue_push(&db->failed, &req->node);
  if (!eddy__pending_queued(&db->fail_pending))
    eddy__pending_push(db->loop, &db->fail_pending);
}

void eddy__db_engine_closed(eddy_db_t *db) {
  db->engine_closed = 1;
  maybe_closed(db);
}

int eddy_db_close(eddy_db_t *db, eddy_db_close_cb cb) {
  if (!db || db->closing) return -EINVAL;
  db->closing = 1;
  db->close_cb = cb;
  eddy__req_register(db->loop); /* until the close callback */
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &db->txs) {
    EDDY_CONTAINER_OF(q, eddy__db_tx_t, node)->dead = 1;
  }
  db->engine->close(db);
  return 0;
}

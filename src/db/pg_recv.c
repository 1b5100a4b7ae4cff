/*
 * Reading a connection's answers: PQconsumeInput, then PQgetResult while
 * libpq is not busy, matched against the FIFO of requests in flight.
 * Each request reads [its Parse result, NULL,] its result, NULL, then the
 * PIPELINE_SYNC that ends it and delivers it. Results are copied into the
 * engine-neutral rows (text form, parsed for numbers; bytea unescaped).
 */
#include <stdlib.h>
#include <string.h>

#include "db/pg_int.h"

enum {
  BOOLOID = 16,
  BYTEAOID = 17,
  INT8OID = 20,
  INT2OID = 21,
  INT4OID = 23,
  OIDOID = 26,
  FLOAT4OID = 700,
  FLOAT8OID = 701
};

static eddy_db_type_t type_of(Oid oid) {
  switch (oid) {
  case BOOLOID:
  case INT8OID:
  case INT2OID:
  case INT4OID:
  case OIDOID: return EDDY_DB_INT;
  case FLOAT4OID:
  case FLOAT8OID: return EDDY_DB_FLOAT;
  case BYTEAOID: return EDDY_DB_BLOB;
  default: return EDDY_DB_TEXT;
  }
}

static int read_value(eddy__db_req_t *req, const PGresult *r, int row, int col,
                      eddy_db_value_t *v) {
  if (PQgetisnull(r, row, col)) return 0; /* zeroed: NULL */
  const char *s = PQgetvalue(r, row, col);
  v->type = req->cols[col].type;
  if (v->type == EDDY_DB_INT) {
    v->i = s[0] == 't' ? 1 : s[0] == 'f' ? 0 : strtoll(s, NULL, 10);
  } else if (v->type == EDDY_DB_FLOAT) {
    v->f = strtod(s, NULL);
  } else if (v->type == EDDY_DB_BLOB) {
    size_t len = 0;
    unsigned char *b = PQunescapeBytea((const unsigned char *)s, &len);
    if (!b) return -ENOMEM;
    v->p = eddy__db_copy(req, b, len);
    v->len = len;
    PQfreemem(b);
    if (!v->p) return -ENOMEM;
  } else {
    v->len = (size_t)PQgetlength(r, row, col);
    v->p = eddy__db_copy(req, s, v->len);
    if (!v->p) return -ENOMEM;
  }
  return 0;
}

static int take_rows(eddy__db_req_t *req, const PGresult *r) {
  int nf = PQnfields(r), nt = PQntuples(r);
  if (eddy__db_set_columns(req, (size_t)nf)) return -ENOMEM;
  for (int i = 0; i < nf; i++) {
    const char *name = PQfname(r, i);
    req->cols[i].name = eddy__db_copy(req, name, strlen(name));
    req->cols[i].type = type_of(PQftype(r, i));
    if (!req->cols[i].name) return -ENOMEM;
  }
  for (int row = 0; row < nt; row++) {
    eddy_db_value_t *vals = eddy__db_add_row(req);
    if (!vals) return -ENOMEM;
    for (int col = 0; col < nf; col++)
      if (read_value(req, r, row, col, &vals[col])) return -ENOMEM;
  }
  const char *n = PQcmdTuples((PGresult *)r);
  if (n && *n && nt == 0)
    req->res.affected = strtoll(n, NULL, 10);
  else if (n && *n && strncmp(PQcmdStatus((PGresult *)r), "SELECT", 6) != 0)
    req->res.affected = strtoll(n, NULL, 10);
  return 0;
}

static int status_of(const char *sqlstate) {
  if (!sqlstate) return EDDY_EDB;
  if (strncmp(sqlstate, "23", 2) == 0) return EDDY_ECONSTRAINT;
  if ((strncmp(sqlstate, "08", 2) == 0 && strcmp(sqlstate, "08P01") != 0) ||
      strncmp(sqlstate, "57P0", 4) == 0)
    return -ECONNRESET;
  return EDDY_EDB;
}

static void take_error(eddy__db_req_t *req, const PGresult *r) {
  if (req->status) return; /* the first error is the reason */
  const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
  eddy__db_set_error(req, state, 0, msg ? msg : PQresultErrorMessage(r));
  req->status = status_of(state);
}

/* The SYNC of the head request came: it is complete. */
static void deliver(eddy__pg_conn_t *pc, eddy__db_req_t *req) {
  eddy_queue_remove(&req->node);
  pc->ninflight--;
  if (!pc->ninflight) pc->idle_since = eddy_loop_now(pc->pg->db->loop);
  eddy__db_req_done(req, req->status);
}

static void on_result(eddy__pg_conn_t *pc, eddy__db_req_t *req, PGresult *r) {
  switch (PQresultStatus(r)) {
  case PGRES_PIPELINE_SYNC: deliver(pc, req); break;
  case PGRES_TUPLES_OK:
  case PGRES_COMMAND_OK:
    if (req->engine_state == PG_AWAIT_QUERY && !req->status &&
        take_rows(req, r))
      req->status = -ENOMEM;
    break;
  case PGRES_PIPELINE_ABORTED:
    if (!req->status) {
      eddy__db_set_error(req, NULL, 0, "the pipeline was aborted");
      req->status = EDDY_EDB;
    }
    break;
  default:
    take_error(req, r);
    if (req->engine_state == PG_AWAIT_PREPARE) /* no such statement now */
      eddy__db_stmt_del(&pc->stmts, req->sql, req->sql_len);
  }
}

int eddy__pg_read(eddy__pg_conn_t *pc) {
  if (!PQconsumeInput(pc->c)) return -ECONNRESET;
  while (pc->state == PG_READY && !eddy_queue_empty(&pc->inflight) &&
         !PQisBusy(pc->c)) {
    eddy__db_req_t *req = EDDY_CONTAINER_OF(eddy_queue_head(&pc->inflight),
                                            eddy__db_req_t, node);
    PGresult *r = PQgetResult(pc->c);
    if (!r) { /* the end of one statement's results */
      if (req->engine_state == PG_AWAIT_SYNC) break; /* nothing more yet */
      req->engine_state++;
      continue;
    }
    on_result(pc, req, r);
    PQclear(r);
  }
  if (pc->state == PG_READY && PQstatus(pc->c) == CONNECTION_BAD)
    return -ECONNRESET;
  return 0;
}

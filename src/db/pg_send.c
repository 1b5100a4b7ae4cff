/*
 * Sending one request into a connection's pipeline: the parameters as
 * libpq arrays (BLOBs binary as bytea, everything else text with the type
 * left to the server), a named prepared statement the first time a SQL
 * text is seen on this connection, then Bind/Execute and a Sync.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/pg_int.h"

#define BYTEAOID 17
#define NUM_LEN 32

typedef struct {
  const char **values;
  int *lengths, *formats;
  Oid *types;
  char *nums; /* NUM_LEN bytes per parameter */
} params_t;

static int params_build(params_t *p, const eddy__db_req_t *req) {
  size_t n = req->nparams;
  void *block = calloc(
      1, n * (sizeof(char *) + 2 * sizeof(int) + sizeof(Oid) + NUM_LEN) + 1);
  if (!block) return -ENOMEM;
  p->values = block;
  p->lengths = (int *)(p->values + n);
  p->formats = p->lengths + n;
  p->types = (Oid *)(p->formats + n);
  p->nums = (char *)(p->types + n);
  for (size_t i = 0; i < n; i++) {
    const eddy_db_value_t *v = &req->params[i];
    char *num = p->nums + i * NUM_LEN;
    switch (v->type) {
    case EDDY_DB_INT:
      snprintf(num, NUM_LEN, "%" PRId64, v->i);
      p->values[i] = num;
      break;
    case EDDY_DB_FLOAT:
      snprintf(num, NUM_LEN, "%.17g", v->f);
      p->values[i] = num;
      break;
    case EDDY_DB_TEXT: p->values[i] = v->p; break;
    case EDDY_DB_BLOB:
      p->values[i] = v->p;
      p->lengths[i] = (int)v->len;
      p->formats[i] = 1;
      p->types[i] = BYTEAOID;
      break;
    default: p->values[i] = NULL;
    }
  }
  return 0;
}

/* Text goes as a C string: a NUL inside cannot be sent (and PostgreSQL
 * refuses it in text anyway, with this SQLSTATE). */
static int text_has_nul(eddy__db_req_t *req) {
  for (size_t i = 0; i < req->nparams; i++) {
    const eddy_db_value_t *v = &req->params[i];
    if (v->type == EDDY_DB_TEXT && memchr(v->p, '\0', v->len)) {
      eddy__db_set_error(req, "22021", 0,
                         "a text parameter holds a NUL byte: bind a BLOB");
      return 1;
    }
  }
  return 0;
}

/* The statement number for this SQL (preparing it now if new), or 0 to
 * send it unnamed. */
static unsigned statement(eddy__pg_conn_t *pc, eddy__db_req_t *req,
                          const params_t *p, int *sent_prepare, int *ok) {
  uintptr_t id = (uintptr_t)eddy__db_stmt_get(&pc->stmts, req->sql,
                                              req->sql_len);
  *sent_prepare = 0;
  *ok = 1;
  if (id) return (unsigned)id;
  id = ++pc->next_stmt;
  if (eddy__db_stmt_put(&pc->stmts, req->sql, req->sql_len, (void *)id))
    return 0;
  char name[24];
  snprintf(name, sizeof(name), "e%u", (unsigned)id);
  *ok = PQsendPrepare(pc->c, name, req->sql, (int)req->nparams, p->types);
  *sent_prepare = 1;
  return (unsigned)id;
}

int eddy__pg_send(eddy__pg_conn_t *pc, eddy__db_req_t *req) {
  if (text_has_nul(req)) {
    eddy__db_req_fail_later(req, EDDY_EDB);
    return 0;
  }
  params_t p;
  if (params_build(&p, req)) {
    eddy__db_req_fail_later(req, -ENOMEM);
    return 0;
  }
  int n = (int)req->nparams, prep, ok;
  unsigned id = statement(pc, req, &p, &prep, &ok);
  if (ok && id) {
    char name[24];
    snprintf(name, sizeof(name), "e%u", id);
    ok = PQsendQueryPrepared(pc->c, name, n, p.values, p.lengths, p.formats, 0);
  } else if (ok) {
    ok = PQsendQueryParams(pc->c, req->sql, n, p.types, p.values, p.lengths,
                           p.formats, 0);
  }
  free(p.values);
  if (ok) ok = PQpipelineSync(pc->c);
  /* the request is on the connection now: if the send failed, the
   * connection's death fails it with the others */
  req->engine_state = prep ? PG_AWAIT_PREPARE : PG_AWAIT_QUERY;
  eddy_queue_push(&pc->inflight, &req->node);
  pc->ninflight++;
  if (!ok) return -ECONNRESET;
  return eddy__pg_flush(pc);
}

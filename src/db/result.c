/*
 * Building a result: columns, rows of values, copied bytes and the error.
 * Runs on whichever thread runs the request (a pool thread for SQLite, the
 * loop for PostgreSQL); the request belongs to that thread meanwhile.
 */
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

#define CHUNK_MIN 4096u

const char *eddy__db_copy(eddy__db_req_t *req, const void *p, size_t len) {
  eddy__db_chunk_t *c = req->chunks;
  if (!c || c->cap - c->used < len + 1) {
    size_t cap = len + 1 > CHUNK_MIN ? len + 1 : CHUNK_MIN;
    /* a big value gets a chunk of its own, behind the current one, so the
     * current chunk's free space is not wasted */
    eddy__db_chunk_t *n = malloc(sizeof(*n) + cap);
    if (!n) return NULL;
    n->used = 0;
    n->cap = cap;
    if (c && cap > CHUNK_MIN) {
      n->next = c->next;
      c->next = n;
    } else {
      n->next = c;
      req->chunks = n;
    }
    c = n;
  }
  char *dst = c->bytes + c->used;
  if (len) memcpy(dst, p, len);
  dst[len] = '\0';
  c->used += len + 1;
  return dst;
}

int eddy__db_set_columns(eddy__db_req_t *req, size_t ncols) {
  req->cols = calloc(ncols ? ncols : 1, sizeof(*req->cols));
  if (!req->cols) return -ENOMEM;
  req->res.ncols = ncols;
  req->res.cols = req->cols;
  return 0;
}

eddy_db_value_t *eddy__db_add_row(eddy__db_req_t *req) {
  size_t n = req->res.ncols;
  if (req->nvals + n > req->vals_cap) {
    size_t cap = req->vals_cap ? req->vals_cap * 2 : 16 * (n ? n : 1);
    while (cap < req->nvals + n) cap *= 2;
    eddy_db_value_t *v = realloc(req->vals, cap * sizeof(*v));
    if (!v) return NULL;
    req->vals = v;
    req->vals_cap = cap;
  }
  eddy_db_value_t *row = req->vals + req->nvals;
  memset(row, 0, n * sizeof(*row));
  req->nvals += n;
  req->res.nrows++;
  req->res.values = req->vals;
  return row;
}

void eddy__db_set_error(eddy__db_req_t *req, const char *sqlstate, int code,
                        const char *message) {
  eddy_db_error_t *e = &req->res.error;
  memset(e->sqlstate, 0, sizeof(e->sqlstate));
  if (sqlstate) strncpy(e->sqlstate, sqlstate, 5);
  e->code = code;
  if (!message) message = "";
  /* A message that cannot be copied is replaced, never left dangling. */
  const char *m = eddy__db_copy(req, message, strlen(message));
  e->message = m ? m : "out of memory";
}

void eddy__db_req_free(eddy__db_req_t *req) {
  eddy__db_chunk_t *c = req->chunks;
  while (c) {
    eddy__db_chunk_t *next = c->next;
    free(c);
    c = next;
  }
  free(req->cols);
  free(req->vals);
  free(req);
}

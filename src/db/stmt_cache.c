/*
 * The per-connection statement cache: SQL text -> the engine's prepared
 * statement. Open addressing with linear probing; deletions leave a
 * tombstone. It never evicts: past `limit` statements a query simply runs
 * unprepared (SQLite) or unnamed (PostgreSQL), which keeps a long-lived
 * connection from holding an unbounded number of server-side statements.
 */
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

static char tombstone;

static uint64_t hash_sql(const char *s, size_t len) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
  return h;
}

int eddy__db_stmt_cache_init(eddy__db_stmt_cache_t *c, size_t limit) {
  size_t cap = 16;
  while (cap < limit * 2) cap *= 2;
  c->slots = calloc(cap, sizeof(*c->slots));
  if (!c->slots) return -ENOMEM;
  c->cap = cap;
  c->count = 0;
  c->limit = limit;
  return 0;
}

static eddy__db_stmt_slot_t *find(const eddy__db_stmt_cache_t *c,
                                  const char *sql, size_t len, uint64_t h) {
  size_t i = h & (c->cap - 1);
  for (size_t probes = 0; probes < c->cap;
       probes++, i = (i + 1) & (c->cap - 1)) {
    eddy__db_stmt_slot_t *s = &c->slots[i];
    if (!s->sql) return NULL;
    if (s->sql != &tombstone && s->hash == h && s->len == len &&
        memcmp(s->sql, sql, len) == 0)
      return s;
  }
  return NULL;
}

void *eddy__db_stmt_get(const eddy__db_stmt_cache_t *c, const char *sql,
                        size_t len) {
  eddy__db_stmt_slot_t *s = find(c, sql, len, hash_sql(sql, len));
  return s ? s->value : NULL;
}

int eddy__db_stmt_put(eddy__db_stmt_cache_t *c, const char *sql, size_t len,
                      void *value) {
  if (c->count >= c->limit) return -ENOSPC;
  uint64_t h = hash_sql(sql, len);
  size_t i = h & (c->cap - 1);
  while (c->slots[i].sql && c->slots[i].sql != &tombstone)
    i = (i + 1) & (c->cap - 1);
  char *copy = malloc(len + 1);
  if (!copy) return -ENOMEM;
  memcpy(copy, sql, len);
  copy[len] = '\0';
  c->slots[i] = (eddy__db_stmt_slot_t){copy, len, h, value};
  c->count++;
  return 0;
}

void eddy__db_stmt_del(eddy__db_stmt_cache_t *c, const char *sql, size_t len) {
  eddy__db_stmt_slot_t *s = find(c, sql, len, hash_sql(sql, len));
  if (!s) return;
  free(s->sql);
  s->sql = &tombstone;
  s->value = NULL;
  c->count--;
}

void eddy__db_stmt_cache_free(eddy__db_stmt_cache_t *c, void (*fn)(void *)) {
  for (size_t i = 0; c->slots && i < c->cap; i++) {
    eddy__db_stmt_slot_t *s = &c->slots[i];
    if (!s->sql || s->sql == &tombstone) continue;
    if (fn) fn(s->value);
    free(s->sql);
  }
  free(c->slots);
  c->slots = NULL;
  c->count = 0;
}

int eddy__db_looks_read_only(const char *sql) {
  while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r' ||
         *sql == '(')
    sql++;
  return strncasecmp(sql, "SELECT", 6) == 0 ||
         strncasecmp(sql, "WITH", 4) == 0 || strncasecmp(sql, "VALUES", 6) == 0;
}

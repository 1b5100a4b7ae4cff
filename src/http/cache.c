/*
 * Buffers that idle connections give back, kept by their server for the
 * next busy connection: a busy keep-alive connection reuses the same few
 * read and output buffers without malloc, and idle ones hold none. The
 * server frees what is left when it closes. Loop thread only.
 */
#include <stdlib.h>

#include "http/conn.h"

#define CACHE_SLOTS 64

struct eddy__http_cache_s {
  void *items[EDDY__HTTP_CACHE_KINDS][CACHE_SLOTS];
  int n[EDDY__HTTP_CACHE_KINDS];
};

int eddy__http_cache_init(eddy_http_server_t *s) {
  s->_cache = calloc(1, sizeof(*s->_cache));
  return s->_cache ? 0 : -ENOMEM;
}

void eddy__http_cache_free(eddy_http_server_t *s) {
  if (!s->_cache) return;
  for (int k = 0; k < EDDY__HTTP_CACHE_KINDS; k++)
    while (s->_cache->n[k] > 0) free(s->_cache->items[k][--s->_cache->n[k]]);
  free(s->_cache);
  s->_cache = NULL;
}

void *eddy__http_cache_get(eddy_http_server_t *s, int kind) {
  struct eddy__http_cache_s *c = s->_cache;
  return c && c->n[kind] > 0 ? c->items[kind][--c->n[kind]] : NULL;
}

void eddy__http_cache_put(eddy_http_server_t *s, int kind, void *p) {
  struct eddy__http_cache_s *c = s->_cache;
  if (c && c->n[kind] < CACHE_SLOTS)
    c->items[kind][c->n[kind]++] = p;
  else
    free(p);
}

/*
 * Growable byte buffers for output, held output and staged headers. A
 * buffer of the cache's size goes back to the server's cache when its
 * connection or exchange is done with it, so steady traffic mallocs none.
 */
#include <stdlib.h>
#include <string.h>

#include "http/conn.h"

#define BUF_INIT 1024
/* Output buffers (from_cache) start at 4 KiB: sixteen pipelined small
 * answers (~150 bytes each) fit without a realloc, and the buffer can go
 * back to the cache afterwards instead of being freed because it grew. */
#define OUT_CAP 4096

void eddy__http_buf_release(eddy_http_server_t *s, eddy__http_buf_t *b) {
  if (!b->base) return;
  if (b->cap == OUT_CAP)
    eddy__http_cache_put(s, EDDY__HTTP_CACHE_BUF, b->base);
  else
    free(b->base);
  b->base = NULL;
  b->len = b->cap = 0;
}

void eddy__http_buf_from_cache(eddy_http_server_t *s, eddy__http_buf_t *b) {
  if (b->base) return;
  b->base = eddy__http_cache_get(s, EDDY__HTTP_CACHE_BUF);
  if (!b->base) b->base = malloc(OUT_CAP); /* NULL: reserve() tries again */
  b->cap = b->base ? OUT_CAP : 0;
}

int eddy__http_buf_reserve(eddy__http_buf_t *b, size_t more) {
  if (b->cap - b->len >= more) return 0;
  if (more > SIZE_MAX / 2 - b->len) return -ENOMEM; /* doubling would wrap */
  size_t cap = b->cap ? b->cap : BUF_INIT;
  while (cap - b->len < more) cap *= 2;
  char *p = realloc(b->base, cap);
  if (!p) return -ENOMEM;
  b->base = p;
  b->cap = cap;
  return 0;
}

int eddy__http_buf_put(eddy__http_buf_t *b, const void *p, size_t n) {
  if (!n) return 0; /* p may be NULL (no staged headers) */
  if (eddy__http_buf_reserve(b, n)) return -ENOMEM;
  memcpy(b->base + b->len, p, n);
  b->len += n;
  return 0;
}

int eddy__http_buf_put_str(eddy__http_buf_t *b, const char *s) {
  return eddy__http_buf_put(b, s, strlen(s));
}

int eddy__http_buf_put_num(eddy__http_buf_t *b, uint64_t v, unsigned base) {
  char tmp[24];
  int i = (int)sizeof(tmp);
  do {
    tmp[--i] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  return eddy__http_buf_put(b, tmp + i, sizeof(tmp) - (size_t)i);
}

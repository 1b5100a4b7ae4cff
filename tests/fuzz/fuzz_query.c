/*
 * Fuzzes query-string and Cookie parsing: the first byte picks the
 * parser (and strict mode), the rest is the input. No crash, no read past
 * the input, every pair has a name, and names and values never grow
 * longer than the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/app.h"

typedef struct {
  void *blocks[4096];
  int n;
} pool_t;

static void *alloc(void *ctx, size_t size) {
  pool_t *p = ctx;
  if (p->n == 4096) return NULL;
  return p->blocks[p->n++] = malloc(size ? size : 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  pool_t pool = {.n = 0};
  eddy_app_pair_t *pairs;
  const char *s = (const char *)data + 1;
  size_t len = size - 1;
  ssize_t n = data[0] & 1
                  ? eddy_app_parse_cookies(s, len, alloc, &pool, &pairs)
                  : eddy_app_parse_query(s, len, data[0] & 2, alloc, &pool,
                                         &pairs);
  for (ssize_t i = 0; i < n; i++) {
    if (!pairs[i].name[0]) abort();
    if (strlen(pairs[i].name) > len || strlen(pairs[i].value) > len) abort();
  }
  for (int i = 0; i < pool.n; i++) free(pool.blocks[i]);
  return 0;
}

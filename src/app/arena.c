/* The per-request arena: see arena.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "app/arena.h"

struct eddy__arena_block_s {
  eddy__arena_block_t *next;
  _Alignas(16) char data[];
};

struct eddy__arena_defer_s {
  eddy__arena_defer_t *next;
  void (*fn)(void *);
  void *arg;
};

void eddy__arena_init(eddy__arena_t *a, char *inline_buf, size_t len) {
  uintptr_t start = ((uintptr_t)inline_buf + 15) & ~(uintptr_t)15;
  uintptr_t stop = (uintptr_t)inline_buf + len;
  a->first = (char *)start;
  a->first_end = (char *)(start <= stop ? stop : start);
  a->blocks = NULL;
  a->defers = NULL;
  eddy__arena_reset(a);
}

static void *new_block(eddy__arena_t *a, size_t size) {
  eddy__arena_block_t *b = malloc(sizeof(*b) + size);
  if (!b) return NULL;
  b->next = a->blocks;
  a->blocks = b;
  return b->data;
}

/* `size` is aligned and does not fit in the current chunk. */
void *eddy__arena_alloc_slow(eddy__arena_t *a, size_t size) {
  if (size >= EDDY__ARENA_DIRECT) return new_block(a, size);
  char *chunk = new_block(a, EDDY__ARENA_CHUNK);
  if (!chunk) return NULL;
  a->cur = chunk + size;
  a->end = chunk + EDDY__ARENA_CHUNK;
  return chunk;
}

int eddy__arena_defer(eddy__arena_t *a, void (*fn)(void *), void *arg) {
  eddy__arena_defer_t *d = eddy__arena_alloc(a, sizeof(*d));
  if (!d) return -ENOMEM;
  d->fn = fn, d->arg = arg;
  d->next = a->defers;
  a->defers = d;
  return 0;
}

void eddy__arena_reset(eddy__arena_t *a) {
  /* A deferred callback may defer more: run until the list stays empty. */
  while (a->defers) {
    eddy__arena_defer_t *d = a->defers;
    a->defers = d->next;
    d->fn(d->arg);
  }
  while (a->blocks) {
    eddy__arena_block_t *b = a->blocks;
    a->blocks = b->next;
    free(b);
  }
  a->cur = a->first;
  a->end = a->first_end;
}

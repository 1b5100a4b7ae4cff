/*
 * The per-request arena (h2o's mem pool model): bump allocation from 4 KiB
 * chunks, the first one inside the request object itself; allocations of
 * 1 KiB or more get their own malloc; everything is freed at once, after
 * the deferred callbacks, when the response ends.
 */
#ifndef EDDY_APP_ARENA_H
#define EDDY_APP_ARENA_H

#include <stddef.h>

#define EDDY__ARENA_CHUNK 4096
#define EDDY__ARENA_DIRECT 1024

typedef struct eddy__arena_block_s eddy__arena_block_t;
typedef struct eddy__arena_defer_s eddy__arena_defer_t;

typedef struct eddy__arena_s {
  char *cur, *end;
  char *first, *first_end;     /* the inline chunk (aligned), kept by reset */
  eddy__arena_block_t *blocks; /* extra chunks and direct allocations */
  eddy__arena_defer_t *defers; /* last registered first */
} eddy__arena_t;

/* Starts an arena on the caller's inline buffer (may be 0 bytes). */
void eddy__arena_init(eddy__arena_t *a, char *inline_buf, size_t len);
#define EDDY__ARENA_ALIGN(n) (((n) + 15) & ~(size_t)15)

/* The slow path of eddy__arena_alloc: a new chunk or a direct block. */
void *eddy__arena_alloc_slow(eddy__arena_t *a, size_t size);

/* 16-byte aligned memory, or NULL. Inline: most requests allocate a few
 * small things from the inline chunk, a bump of `cur` each. */
static inline void *eddy__arena_alloc(eddy__arena_t *a, size_t size) {
  size = EDDY__ARENA_ALIGN(size ? size : 1);
  if (size <= (size_t)(a->end - a->cur)) {
    void *p = a->cur;
    a->cur += size;
    return p;
  }
  return eddy__arena_alloc_slow(a, size);
}
/* Registers fn(arg) for reset; -ENOMEM. */
int eddy__arena_defer(eddy__arena_t *a, void (*fn)(void *), void *arg);
/* Runs the deferred callbacks, frees every block: back to empty. */
void eddy__arena_reset(eddy__arena_t *a);

#endif

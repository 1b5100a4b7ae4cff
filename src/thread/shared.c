/*
 * Shared memory blocks (SharedArrayBuffer) and Atomics.wait/notify on a
 * 32-bit cell, on top of private futexes: the block lives in this process.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/thread.h"
#include "thread/futex.h"

struct eddy_shared_s {
  _Atomic long refs;
  size_t size;
  void *data;
};

int eddy_shared_create(size_t size, eddy_shared_t **out) {
  if (size == 0 || out == NULL) return -EINVAL;
  eddy_shared_t *sh = malloc(sizeof(*sh));
  if (sh == NULL) return -ENOMEM;
  size_t rounded = (size + 63) & ~(size_t)63; /* aligned_alloc wants k*64 */
  if (rounded < size || (sh->data = aligned_alloc(64, rounded)) == NULL) {
    free(sh);
    return -ENOMEM;
  }
  memset(sh->data, 0, rounded);
  atomic_init(&sh->refs, 1);
  sh->size = size;
  *out = sh;
  return 0;
}

eddy_shared_t *eddy_shared_ref(eddy_shared_t *sh) {
  atomic_fetch_add_explicit(&sh->refs, 1, memory_order_relaxed);
  return sh;
}

void eddy_shared_unref(eddy_shared_t *sh) {
  if (sh == NULL) return;
  /* acq_rel: the last owner sees every write made before the others let go */
  if (atomic_fetch_sub_explicit(&sh->refs, 1, memory_order_acq_rel) != 1)
    return;
  free(sh->data);
  free(sh);
}

void *eddy_shared_data(eddy_shared_t *sh) { return sh->data; }
size_t eddy_shared_size(const eddy_shared_t *sh) { return sh->size; }

_Atomic int32_t *eddy_shared_i32(eddy_shared_t *sh, size_t index) {
  if (sh == NULL || index >= sh->size / sizeof(int32_t)) return NULL;
  return (_Atomic int32_t *)sh->data + index;
}

static struct timespec deadline_after(int64_t ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return ts;
}

/* Time left until `end`, clamped at zero. */
static struct timespec left_until(const struct timespec *end) {
  struct timespec now, d;
  clock_gettime(CLOCK_MONOTONIC, &now);
  d.tv_sec = end->tv_sec - now.tv_sec;
  d.tv_nsec = end->tv_nsec - now.tv_nsec;
  if (d.tv_nsec < 0) {
    d.tv_sec--;
    d.tv_nsec += 1000000000L;
  }
  if (d.tv_sec < 0) d.tv_sec = d.tv_nsec = 0;
  return d;
}

int eddy_atomic_wait(_Atomic int32_t *cell, int32_t expected,
                     int64_t timeout_ms) {
  if (cell == NULL) return -EINVAL;
  if (atomic_load(cell) != expected) return -EAGAIN;
  struct timespec end = deadline_after(timeout_ms < 0 ? 0 : timeout_ms);
  for (;;) {
    struct timespec left = left_until(&end);
    if (timeout_ms >= 0 && left.tv_sec == 0 && left.tv_nsec == 0)
      return -ETIMEDOUT;
    int r = eddy__futex_wait(cell, expected, timeout_ms < 0 ? NULL : &left);
    if (r == 0 || r == -EAGAIN) return 0; /* woken, or the cell changed */
    if (r == -ETIMEDOUT) return r;
    /* -EINTR: sleep again for what is left */
  }
}

int eddy_atomic_notify(_Atomic int32_t *cell, int count) {
  if (cell == NULL) return -EINVAL;
  return eddy__futex_wake(cell, count < 0 ? INT_MAX : count);
}

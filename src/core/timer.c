/*
 * Timers: a binary min-heap in a flat array, ordered by (deadline, seq).
 * Each timer keeps its own index, so stop is O(log n) with no search. The
 * array grows by doubling: after warm-up, start and stop never allocate.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/internal.h"

#define NOT_IN_HEAP ((size_t)-1)

static int timer_less(const eddy_timer_t *a, const eddy_timer_t *b) {
  if (a->deadline != b->deadline) return a->deadline < b->deadline;
  return a->_seq < b->_seq;
}

static void heap_set(eddy_loop_t *loop, size_t i, eddy_timer_t *t) {
  loop->_timer_heap[i] = t;
  t->_heap_index = i;
}

static void sift_up(eddy_loop_t *loop, size_t i) {
  eddy_timer_t **h = loop->_timer_heap, *t = h[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!timer_less(t, h[parent])) break;
    heap_set(loop, i, h[parent]);
    i = parent;
  }
  heap_set(loop, i, t);
}

static void sift_down(eddy_loop_t *loop, size_t i) {
  eddy_timer_t **h = loop->_timer_heap, *t = h[i];
  size_t n = loop->_timer_count;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && timer_less(h[c + 1], h[c])) c++;
    if (!timer_less(h[c], t)) break;
    heap_set(loop, i, h[c]);
    i = c;
  }
  heap_set(loop, i, t);
}

static void heap_remove(eddy_loop_t *loop, eddy_timer_t *t) {
  size_t i = t->_heap_index;
  size_t last = --loop->_timer_count;
  t->_heap_index = NOT_IN_HEAP;
  if (i == last) return;
  heap_set(loop, i, loop->_timer_heap[last]);
  if (i > 0 && timer_less(loop->_timer_heap[i], loop->_timer_heap[(i - 1) / 2]))
    sift_up(loop, i);
  else
    sift_down(loop, i);
}

static int heap_reserve(eddy_loop_t *loop) {
  if (loop->_timer_count < loop->_timer_cap) return 0;
  size_t cap = loop->_timer_cap ? loop->_timer_cap * 2 : 64;
  eddy_timer_t **h = realloc(loop->_timer_heap, cap * sizeof(*h));
  if (!h) return -ENOMEM;
  loop->_timer_heap = h;
  loop->_timer_cap = cap;
  return 0;
}

void eddy__timers_free(eddy_loop_t *loop) {
  free(loop->_timer_heap);
  loop->_timer_heap = NULL;
  loop->_timer_count = loop->_timer_cap = 0;
}

static void timer_on_close(eddy_handle_t *h) { eddy_timer_stop((eddy_timer_t *)h); }

int eddy_timer_init(eddy_loop_t *loop, eddy_timer_t *t) {
  eddy__handle_init(loop, (eddy_handle_t *)t, EDDY_HANDLE_TIMER, timer_on_close);
  t->cb = NULL;
  t->deadline = t->repeat = 0;
  t->_seq = 0;
  t->_heap_index = NOT_IN_HEAP;
  return 0;
}

int eddy_timer_start(eddy_timer_t *t, eddy_timer_cb cb, uint64_t timeout,
                     uint64_t repeat) {
  if (cb == NULL || !eddy__handle_usable((eddy_handle_t *)t)) return -EINVAL;
  eddy_loop_t *loop = t->loop;
  if (t->_heap_index != NOT_IN_HEAP) heap_remove(loop, t);
  else if (heap_reserve(loop)) return -ENOMEM;
  uint64_t deadline = loop->_now_ms + timeout;
  t->deadline = deadline < loop->_now_ms ? UINT64_MAX : deadline;
  t->cb = cb;
  t->repeat = repeat;
  t->_seq = loop->_timer_seq++;
  size_t i = loop->_timer_count++;
  loop->_timer_heap[i] = t;
  sift_up(loop, i);
  eddy__handle_start((eddy_handle_t *)t);
  return 0;
}

int eddy_timer_stop(eddy_timer_t *t) {
  if (t->_heap_index != NOT_IN_HEAP) heap_remove(t->loop, t);
  eddy__handle_stop((eddy_handle_t *)t);
  return 0;
}

int eddy_timer_again(eddy_timer_t *t) {
  if (t->cb == NULL) return -EINVAL;
  if (t->repeat == 0) return 0;
  return eddy_timer_start(t, t->cb, t->repeat, t->repeat);
}

void eddy_timer_set_repeat(eddy_timer_t *t, uint64_t repeat) { t->repeat = repeat; }

uint64_t eddy_timer_due_in(const eddy_timer_t *t) {
  if (t->_heap_index == NOT_IN_HEAP || t->deadline <= t->loop->_now_ms) return 0;
  return t->deadline - t->loop->_now_ms;
}

int eddy__next_timeout(const eddy_loop_t *loop) {
  if (loop->_timer_count == 0) return -1;
  const eddy_timer_t *t = loop->_timer_heap[0];
  if (t->deadline <= loop->_now_ms) return 0;
  uint64_t d = t->deadline - loop->_now_ms;
  return d > INT32_MAX ? INT32_MAX : (int)d;
}

/*
 * Fires the expired timers. A timer (re)started during this phase has a seq
 * at or above `first_new` and waits for the next iteration: since its
 * deadline is at least now, every older expired timer sorts before it.
 */
void eddy__run_timers(eddy_loop_t *loop) {
  uint64_t first_new = loop->_timer_seq;
  while (loop->_timer_count > 0) {
    eddy_timer_t *t = loop->_timer_heap[0];
    if (t->deadline > loop->_now_ms || t->_seq >= first_new) break;
    heap_remove(loop, t);
    eddy__handle_stop((eddy_handle_t *)t);
    if (t->repeat) eddy_timer_start(t, t->cb, t->repeat, t->repeat);
    eddy__dispatch(loop, "timer");
    t->cb(t);
  }
}

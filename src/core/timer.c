/*
 * Timers (see loop.h): one FIFO list per distinct duration, and a binary
 * min-heap of the non-empty lists keyed by each list's first timer. Within
 * a list, deadlines are in start order because the clock never goes back,
 * so the list head is the list's earliest timer and appending keeps order.
 * A hash finds the list of a duration. Lists that empty stay allocated for
 * reuse (a repeating timer would otherwise allocate on every firing), up to
 * MAX_EMPTY_LISTS.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/internal.h"

#define NOT_IN_HEAP ((size_t)-1)
#define MAX_EMPTY_LISTS 64

typedef struct eddy__timer_list_s {
  uint64_t duration;
  eddy_queue_t timers;
  size_t heap_index;
  struct eddy__timer_list_s *hash_next;
} timer_list_t;

static eddy_timer_t *list_head(const timer_list_t *l) {
  return EDDY_CONTAINER_OF(l->timers.next, eddy_timer_t, _node);
}

static int timer_less(const eddy_timer_t *a, const eddy_timer_t *b) {
  if (a->deadline != b->deadline) return a->deadline < b->deadline;
  return a->_seq < b->_seq;
}

static int list_less(const timer_list_t *a, const timer_list_t *b) {
  return timer_less(list_head(a), list_head(b));
}

/* ------------------------------------------------- heap of the lists */

static void heap_set(eddy_loop_t *loop, size_t i, timer_list_t *l) {
  loop->_timer_heap[i] = l;
  l->heap_index = i;
}

static void sift_up(eddy_loop_t *loop, size_t i) {
  timer_list_t **h = loop->_timer_heap, *l = h[i];
  while (i > 0 && list_less(l, h[(i - 1) / 2])) {
    heap_set(loop, i, h[(i - 1) / 2]);
    i = (i - 1) / 2;
  }
  heap_set(loop, i, l);
}

static void sift_down(eddy_loop_t *loop, size_t i) {
  timer_list_t **h = loop->_timer_heap, *l = h[i];
  size_t n = loop->_timer_count;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && list_less(h[c + 1], h[c])) c++;
    if (!list_less(h[c], l)) break;
    heap_set(loop, i, h[c]);
    i = c;
  }
  heap_set(loop, i, l);
}

static void heap_remove(eddy_loop_t *loop, timer_list_t *l) {
  size_t i = l->heap_index, last = --loop->_timer_count;
  l->heap_index = NOT_IN_HEAP;
  if (i == last) return;
  heap_set(loop, i, loop->_timer_heap[last]);
  if (i > 0 && list_less(loop->_timer_heap[i], loop->_timer_heap[(i - 1) / 2]))
    sift_up(loop, i);
  else
    sift_down(loop, i);
}

static int heap_reserve(eddy_loop_t *loop) {
  if (loop->_timer_count < loop->_timer_cap) return 0;
  size_t cap = loop->_timer_cap ? loop->_timer_cap * 2 : 16;
  timer_list_t **h = realloc(loop->_timer_heap, cap * sizeof(*h));
  if (!h) return -ENOMEM;
  loop->_timer_heap = h;
  loop->_timer_cap = cap;
  return 0;
}

/* ------------------------------------------- hash: duration -> list */

static size_t bucket_of(const eddy_loop_t *loop, uint64_t duration) {
  return (size_t)((duration * 0x9E3779B97F4A7C15ull) >> 32) &
         (loop->_timer_buckets - 1);
}

static int hash_grow(eddy_loop_t *loop) {
  size_t old = loop->_timer_buckets, n = old ? old * 2 : 16;
  timer_list_t **b = calloc(n, sizeof(*b)), **prev = loop->_timer_lists;
  if (!b) return -ENOMEM;
  loop->_timer_lists = b;
  loop->_timer_buckets = n;
  for (size_t i = 0; i < old; i++) {
    for (timer_list_t *l = prev[i], *next; l; l = next) {
      next = l->hash_next;
      size_t k = bucket_of(loop, l->duration);
      l->hash_next = b[k];
      b[k] = l;
    }
  }
  free(prev);
  return 0;
}

static timer_list_t *list_for(eddy_loop_t *loop, uint64_t duration) {
  if (loop->_timer_buckets) {
    for (timer_list_t *l = loop->_timer_lists[bucket_of(loop, duration)]; l;
         l = l->hash_next)
      if (l->duration == duration) return l;
  }
  if (loop->_timer_nlists >= loop->_timer_buckets && hash_grow(loop))
    return NULL;
  timer_list_t *l = malloc(sizeof(*l));
  if (!l) return NULL;
  l->duration = duration;
  eddy_queue_init(&l->timers);
  l->heap_index = NOT_IN_HEAP;
  size_t k = bucket_of(loop, duration);
  l->hash_next = loop->_timer_lists[k];
  loop->_timer_lists[k] = l;
  loop->_timer_nlists++;
  loop->_timer_nempty++;
  return l;
}

static void list_free(eddy_loop_t *loop, timer_list_t *l) {
  timer_list_t **p = &loop->_timer_lists[bucket_of(loop, l->duration)];
  while (*p != l) p = &(*p)->hash_next;
  *p = l->hash_next;
  loop->_timer_nlists--;
  loop->_timer_nempty--;
  free(l);
}

void eddy__timers_free(eddy_loop_t *loop) {
  for (size_t i = 0; i < loop->_timer_buckets; i++) {
    for (timer_list_t *l = loop->_timer_lists[i], *next; l; l = next) {
      next = l->hash_next;
      free(l);
    }
  }
  free(loop->_timer_lists);
  free(loop->_timer_heap);
  loop->_timer_lists = NULL;
  loop->_timer_heap = NULL;
  loop->_timer_buckets = loop->_timer_nlists = loop->_timer_nempty = 0;
  loop->_timer_count = loop->_timer_cap = 0;
}

/* ------------------------------------------------------ scheduling */

/* Takes `t` out of its list, keeping the heap and the empty count right. */
static void unschedule(eddy_loop_t *loop, eddy_timer_t *t) {
  timer_list_t *l = t->_list;
  int was_head = l->timers.next == &t->_node;
  eddy_queue_remove(&t->_node);
  t->_list = NULL;
  if (eddy_queue_empty(&l->timers)) {
    heap_remove(loop, l);
    loop->_timer_nempty++;
    if (loop->_timer_nempty > MAX_EMPTY_LISTS) list_free(loop, l);
  } else if (was_head) {
    sift_down(loop, l->heap_index); /* the new head is later */
  }
}

static int schedule(eddy_loop_t *loop, eddy_timer_t *t, uint64_t timeout) {
  timer_list_t *l = list_for(loop, timeout);
  if (!l) return -ENOMEM;
  int was_empty = eddy_queue_empty(&l->timers);
  if (was_empty && heap_reserve(loop)) return -ENOMEM;
  uint64_t deadline = loop->_now_ms + timeout;
  t->deadline = deadline < loop->_now_ms ? UINT64_MAX : deadline;
  t->_seq = loop->_timer_seq++;
  t->_list = l;
  eddy_queue_push(&l->timers, &t->_node);
  if (was_empty) {
    loop->_timer_nempty--;
    size_t i = loop->_timer_count++;
    heap_set(loop, i, l);
    sift_up(loop, i);
  }
  return 0;
}

static void timer_on_close(eddy_handle_t *h) {
  eddy_timer_stop((eddy_timer_t *)h);
}

int eddy_timer_init(eddy_loop_t *loop, eddy_timer_t *t) {
  eddy__handle_init(loop, (eddy_handle_t *)t, EDDY_HANDLE_TIMER,
                    timer_on_close);
  t->cb = NULL;
  t->deadline = t->repeat = t->_seq = 0;
  t->_list = NULL;
  eddy_queue_init(&t->_node);
  return 0;
}

int eddy_timer_start(eddy_timer_t *t, eddy_timer_cb cb, uint64_t timeout,
                     uint64_t repeat) {
  if (cb == NULL || !eddy__handle_usable((eddy_handle_t *)t)) return -EINVAL;
  eddy_loop_t *loop = t->loop;
  if (t->_list) unschedule(loop, t);
  int err = schedule(loop, t, timeout);
  if (err) {
    eddy__handle_stop((eddy_handle_t *)t);
    return err;
  }
  t->cb = cb;
  t->repeat = repeat;
  eddy__handle_start((eddy_handle_t *)t);
  return 0;
}

int eddy_timer_stop(eddy_timer_t *t) {
  if (t->_list) unschedule(t->loop, t);
  eddy__handle_stop((eddy_handle_t *)t);
  return 0;
}

int eddy_timer_again(eddy_timer_t *t) {
  if (t->cb == NULL) return -EINVAL;
  if (t->repeat == 0) return 0;
  return eddy_timer_start(t, t->cb, t->repeat, t->repeat);
}

void eddy_timer_set_repeat(eddy_timer_t *t, uint64_t repeat) {
  t->repeat = repeat;
}

uint64_t eddy_timer_due_in(const eddy_timer_t *t) {
  if (!t->_list || t->deadline <= t->loop->_now_ms) return 0;
  return t->deadline - t->loop->_now_ms;
}

int eddy__next_timeout(const eddy_loop_t *loop) {
  if (loop->_timer_count == 0) return -1;
  const eddy_timer_t *t = list_head(loop->_timer_heap[0]);
  if (t->deadline <= loop->_now_ms) return 0;
  uint64_t d = t->deadline - loop->_now_ms;
  return d > INT32_MAX ? INT32_MAX : (int)d;
}

/*
 * Fires the expired timers. A timer (re)started during this phase has a seq
 * at or above `first_new` and waits for the next iteration: its deadline is
 * at least now, so every older expired timer sorts before it.
 */
void eddy__run_timers(eddy_loop_t *loop) {
  uint64_t first_new = loop->_timer_seq;
  while (loop->_timer_count > 0) {
    eddy_timer_t *t = list_head(loop->_timer_heap[0]);
    if (t->deadline > loop->_now_ms || t->_seq >= first_new) break;
    unschedule(loop, t);
    eddy__handle_stop((eddy_handle_t *)t);
    if (t->repeat) eddy_timer_start(t, t->cb, t->repeat, t->repeat);
    eddy__dispatch(loop, "timer");
    t->cb(t);
  }
}

/*
 * Checks the timer structures: every heap entry is a non-empty list at its
 * own index, the heap property holds, and each list is in (deadline, seq)
 * order. Returns the number of scheduled timers, or -1. For tests.
 */
long eddy__timers_validate(const eddy_loop_t *loop) {
  long timers = 0;
  for (size_t i = 0; i < loop->_timer_count; i++) {
    const timer_list_t *l = loop->_timer_heap[i];
    if (l->heap_index != i || eddy_queue_empty(&l->timers)) return -1;
    if (i > 0 && list_less(l, loop->_timer_heap[(i - 1) / 2])) return -1;
    const eddy_timer_t *prev = NULL;
    const eddy_queue_t *q;
    EDDY_QUEUE_FOREACH(q, &l->timers) {
      const eddy_timer_t *t = EDDY_CONTAINER_OF(q, eddy_timer_t, _node);
      if (t->_list != l || (prev && timer_less(t, prev))) return -1;
      prev = t;
      timers++;
    }
  }
  return timers;
}

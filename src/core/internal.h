/*
 * eddy core — private interface shared by the core and the layers above it
 * (net, fs, thread, http). Not installed; never included by public headers.
 */
#ifndef EDDY_CORE_INTERNAL_H
#define EDDY_CORE_INTERNAL_H

#include <assert.h>
#include <stdatomic.h>

#include "eddy/loop.h"

/* Handle flags (eddy_handle_t._flags). */
enum {
  EDDY__ACTIVE = 1u << 0,
  EDDY__REF = 1u << 1,
  EDDY__CLOSING = 1u << 2,
  EDDY__CLOSED = 1u << 3,
  EDDY__INTERNAL = 1u << 4, /* the loop's own; hidden from walk and close */
  /* _on_close runs a second time in the close phase, just before the close
   * callback (flags then have EDDY__CLOSED): for a type's last words. */
  EDDY__CLOSE_AGAIN = 1u << 5,
  /* bits 8.. are free for the handle type's own use */
  EDDY__TYPE_FLAG0 = 1u << 8
};

/* An async handle whose wake-ups do not arm the spin before sleeping
 * (spin.c): thread-pool completions, whose threads need the cores. */
#define EDDY__ASYNC_NO_SPIN EDDY__TYPE_FLAG0

/* A watcher event bit beside EDDY_READABLE/WRITABLE: register the fd with
 * EPOLLEXCLUSIVE (net's eddy_listen_exclusive). The kernel refuses
 * EPOLL_CTL_MOD of such an fd, so a change is a DEL and an ADD. */
#define EDDY__EXCLUSIVE 4u

/*
 * Registers a handle with its loop. `on_close` stops the type's work when
 * eddy_close() is called (may be NULL).
 */
void eddy__handle_init(eddy_loop_t *loop, eddy_handle_t *h,
                       eddy_handle_type_t type,
                       void (*on_close)(eddy_handle_t *));

static inline void eddy__handle_start(eddy_handle_t *h) {
  if (h->_flags & EDDY__ACTIVE) return;
  h->_flags |= EDDY__ACTIVE;
  if (h->_flags & EDDY__REF) h->loop->_active_handles++;
}

static inline void eddy__handle_stop(eddy_handle_t *h) {
  if (!(h->_flags & EDDY__ACTIVE)) return;
  h->_flags &= ~(unsigned)EDDY__ACTIVE;
  if (h->_flags & EDDY__REF) h->loop->_active_handles--;
}

static inline int eddy__handle_usable(const eddy_handle_t *h) {
  return !(h->_flags & (EDDY__CLOSING | EDDY__CLOSED));
}

/* Requests in flight (thread-pool work, fs, connect) keep the loop alive. */
static inline void eddy__req_register(eddy_loop_t *loop) {
  loop->_active_reqs++;
}
static inline void eddy__req_unregister(eddy_loop_t *loop) {
  assert(loop->_active_reqs > 0);
  loop->_active_reqs--;
}

/*
 * A callback deferred to the pending phase of the next iteration: how a
 * layer keeps the rule that no callback runs inside the call that scheduled
 * it. The node is embedded in the owner's struct.
 */
typedef struct eddy__pending_s {
  eddy_queue_t node;
  void (*cb)(struct eddy__pending_s *p);
  const char *label;
} eddy__pending_t;

static inline void eddy__pending_init(eddy__pending_t *p) {
  eddy_queue_init(&p->node);
}
void eddy__pending_push(eddy_loop_t *loop, eddy__pending_t *p);
static inline void eddy__pending_cancel(eddy__pending_t *p) {
  eddy_queue_remove(&p->node);
}
static inline int eddy__pending_queued(const eddy__pending_t *p) {
  return !eddy_queue_empty(&p->node);
}

/*
 * Marks the start of a callback the loop dispatches: sets the default label
 * (a higher layer may refine it) and counts the dispatch. Only the loop's
 * thread writes the count, so a plain load and store do (no locked add);
 * the stall detector's thread reads it.
 */
static inline void eddy__dispatch(eddy_loop_t *loop, const char *label) {
  atomic_store_explicit(&loop->_label, label, memory_order_relaxed);
  uint64_t n = atomic_load_explicit(&loop->_dispatches, memory_order_relaxed);
  atomic_store_explicit(&loop->_dispatches, n + 1, memory_order_relaxed);
}

/* Internal parts of the loop, one file each. */
void eddy__run_timers(eddy_loop_t *loop);
int eddy__next_timeout(const eddy_loop_t *loop);
void eddy__timers_free(eddy_loop_t *loop);
long eddy__timers_validate(const eddy_loop_t *loop); /* tests */
void eddy__io_poll(eddy_loop_t *loop, int timeout_ms);
int eddy__io_setup(eddy_loop_t *loop);
void eddy__io_free(eddy_loop_t *loop);
eddy_io_t *eddy__internal_io_new(eddy_loop_t *loop, int fd, eddy_io_cb cb,
                                 int *err);
void eddy__internal_io_free(eddy_io_t *io);
/*
 * Bare watchers (no handle) for layers that are handles themselves, such as
 * streams. init: -EINVAL for a bad fd or NULL cb, -ENOMEM. start: the wanted
 * events (non-zero), -EEXIST if another watcher has the fd. stop: at once, so
 * the fd may be closed right after.
 */
int eddy__watcher_init(eddy_loop_t *loop, eddy__watcher_t *w, int fd,
                       void (*cb)(eddy__watcher_t *, unsigned));
int eddy__watcher_start(eddy_loop_t *loop, eddy__watcher_t *w, unsigned events);
void eddy__watcher_stop(eddy_loop_t *loop, eddy__watcher_t *w);
/* An EPOLLEXCLUSIVE watcher that is registered: registered again (a DEL
 * and an ADD) before the next wait, which moves this loop behind the other
 * waiters on the fd's queue, to whom the kernel's exclusive wake-up goes
 * first while they are idle. Anything else: nothing. */
void eddy__watcher_requeue(eddy_loop_t *loop, eddy__watcher_t *w);
void eddy__run_immediates(eddy_loop_t *loop);
/* spin.c: the default budget, and the busy-wait before a sleeping poll. */
uint64_t eddy__spin_default_ns(void);
void eddy__spin_before_sleep(eddy_loop_t *loop, int timeout_ms);
void eddy__async_free(eddy_loop_t *loop);
void eddy__signal_free(eddy_loop_t *loop);
void eddy__metrics_free(eddy_loop_t *loop);
/* Stops the loop's stall detector and frees it (stall.c). */
void eddy__stall_free(eddy_loop_t *loop);
/* Frees the loop's thread-pool completion queue (threadpool.c). */
void eddy__work_free(eddy_loop_t *loop);

/* Blocks every signal in the calling thread: eddy's threads call this. */
void eddy__block_all_signals(void);

#endif

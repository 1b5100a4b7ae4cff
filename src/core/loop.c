/*
 * The loop: init, close, and eddy_run() as the list of its phases.
 */
#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"

/* Fairness bound: pending callbacks re-queued by pending callbacks. */
#define PENDING_ROUNDS 8

uint64_t eddy_hrtime(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void eddy_loop_update_time(eddy_loop_t *loop) {
  loop->_now_ns = eddy_hrtime();
  loop->_now_ms = loop->_now_ns / 1000000u;
}

uint64_t eddy_loop_now(const eddy_loop_t *loop) { return loop->_now_ms; }
uint64_t eddy_loop_now_ns(const eddy_loop_t *loop) { return loop->_now_ns; }

/* See eddy_loop_init in loop.h. Once per process; a racing second call
 * finds SIG_IGN already and leaves it. */
static void ignore_default_sigpipe(void) {
  static atomic_int done;
  if (atomic_exchange(&done, 1)) return;
  struct sigaction old;
  if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL &&
      !(old.sa_flags & SA_SIGINFO))
    signal(SIGPIPE, SIG_IGN);
}

int eddy_loop_init(eddy_loop_t *loop) {
  ignore_default_sigpipe();
  memset(loop, 0, sizeof(*loop));
  eddy_queue_init(&loop->_handles);
  loop->_closing = NULL;
  loop->_closing_tail = &loop->_closing;
  eddy_queue_init(&loop->_pending);
  eddy_queue_init(&loop->_immediates);
  eddy_queue_init(&loop->_io_changes);
  eddy_queue_init(&loop->_asyncs);
  eddy_queue_init(&loop->_signals);
  loop->_async_fd = -1;
  loop->_signal_fd = -1;
  int err = eddy__io_setup(loop);
  if (err) return err;
  eddy_loop_update_time(loop);
  loop->_start_ns = loop->_now_ns;
  loop->_spin_ns = eddy__spin_default_ns();
  return 0;
}

static int has_user_handles(const eddy_loop_t *loop) {
  const eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &loop->_handles) {
    const eddy_handle_t *h = EDDY_CONTAINER_OF(q, eddy_handle_t, _handle_node);
    if (!(h->_flags & EDDY__INTERNAL)) return 1;
  }
  return loop->_closing != NULL;
}

int eddy_loop_close(eddy_loop_t *loop) {
  if (has_user_handles(loop) || loop->_active_reqs) return -EBUSY;
  eddy__metrics_free(loop);
  eddy__work_free(loop);
  eddy__async_free(loop);
  eddy__signal_free(loop);
  eddy__timers_free(loop);
  eddy__io_free(loop);
  return 0;
}

int eddy_loop_alive(const eddy_loop_t *loop) {
  return loop->_active_handles > 0 || loop->_active_reqs > 0 ||
         loop->_closing != NULL;
}

void eddy_loop_stop(eddy_loop_t *loop) { loop->_stop = 1; }

void eddy__pending_push(eddy_loop_t *loop, eddy__pending_t *p) {
  assert(p->cb != NULL);
  if (eddy__pending_queued(p)) return;
  eddy_queue_push(&loop->_pending, &p->node);
}

/* Runs the callbacks deferred so far. Those they defer in turn run in the
 * same phase, but at most PENDING_ROUNDS rounds deep, so I/O is not starved. */
static int run_pending(eddy_loop_t *loop) {
  int ran = 0;
  for (int round = 0; round < PENDING_ROUNDS; round++) {
    if (eddy_queue_empty(&loop->_pending)) break;
    eddy_queue_t batch;
    eddy_queue_move(&loop->_pending, &batch);
    while (!eddy_queue_empty(&batch)) {
      eddy_queue_t *q = eddy_queue_head(&batch);
      eddy_queue_remove(q);
      eddy__pending_t *p = EDDY_CONTAINER_OF(q, eddy__pending_t, node);
      eddy__dispatch(loop, p->label ? p->label : "pending");
      p->cb(p);
      ran = 1;
    }
  }
  return ran;
}

static void run_closing(eddy_loop_t *loop) {
  eddy_handle_t *h = loop->_closing;
  loop->_closing = NULL;
  loop->_closing_tail = &loop->_closing;
  while (h) {
    eddy_handle_t *next = h->_next_closing;
    eddy_queue_remove(&h->_handle_node);
    h->_flags |= EDDY__CLOSED;
    eddy__dispatch(loop, "close");
    if (h->_flags & EDDY__CLOSE_AGAIN) h->_on_close(h);
    if (h->_close_cb) h->_close_cb(h);
    h = next;
  }
}

/* How long the poll phase may wait, in ms (-1 = until I/O). */
static int poll_timeout(const eddy_loop_t *loop) {
  if (loop->_stop) return 0;
  if (!eddy_queue_empty(&loop->_immediates)) return 0;
  if (!eddy_queue_empty(&loop->_pending)) return 0;
  if (loop->_closing) return 0;
  if (!loop->_active_handles && !loop->_active_reqs) return 0;
  return eddy__next_timeout(loop);
}

int eddy_run(eddy_loop_t *loop, eddy_run_mode_t mode) {
  /* A nested run would re-enter phases that are half done (a timer list
   * being fired, an immediate batch being drained). */
  if (loop->_running) return -EBUSY;
  loop->_running = 1;
  int alive = eddy_loop_alive(loop);
  if (!alive) eddy_loop_update_time(loop);
  while (alive && !loop->_stop) {
    eddy_loop_update_time(loop);
    eddy__run_timers(loop);
    int ran_pending = run_pending(loop);
    int timeout = 0;
    if (mode == EDDY_RUN_DEFAULT || (mode == EDDY_RUN_ONCE && !ran_pending))
      timeout = poll_timeout(loop);
    eddy__io_poll(loop, timeout);
    eddy__run_immediates(loop);
    run_closing(loop);
    if (mode == EDDY_RUN_ONCE) {
      /* Like libuv: a ONCE run that waited for a timer fires it. */
      eddy_loop_update_time(loop);
      eddy__run_timers(loop);
    }
    alive = eddy_loop_alive(loop);
    if (mode != EDDY_RUN_DEFAULT) break;
  }
  /* Between runs the program is not in a callback of ours: the stall
   * detector must not count that time as a stuck handler. */
  atomic_store_explicit(&loop->_label, NULL, memory_order_relaxed);
  loop->_stop = 0;
  loop->_running = 0;
  return alive;
}

/*
 * The worker pool, private: per-thread rings, the loop-side bookkeeping.
 *
 * Each pool thread owns a single-producer single-consumer ring: the loop
 * thread is the only producer (head), the pool thread the only consumer
 * (tail), so handing over a task is one release store and no lock. The
 * loop knows how many tasks each thread holds (`outstanding`), so a ring
 * can never overflow. A ring slot carries a copy of what the thread needs
 * (fn, arg, deadline) and receives the outcome (status, result, times); the
 * loop collects finished slots, between its `collected` and the thread's
 * `tail`, and copies the outcome into the task.
 *
 * Why slots and not the tasks themselves: a pool thread never touches the
 * caller's task struct, only its own ring. So the loop never has to wait
 * for a thread: a plain eddy_close() lets threads with running tasks go,
 * and the caller may free every task at once. Threads are detached; the
 * thread struct (refcount: loop + thread) and the pool core (refcount: loop
 * + every thread alive) are freed by whoever lets go last, and threads wake
 * the loop through the core's own eventfd, which outlives the loop's
 * watcher of it (a write nobody reads is harmless).
 */
#ifndef EDDY_THREAD_POOL_INT_H
#define EDDY_THREAD_POOL_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/internal.h"
#include "eddy/pool.h"

enum { TASK_QUEUED = 0, TASK_RUNNING, TASK_CANCELLED };

typedef struct {
  /* written by the loop before it publishes head */
  eddy_pool_task_t *task; /* the loop's alone: the thread never reads it */
  eddy_pool_fn fn;
  void *arg;
  uint64_t deadline_ns;
  _Atomic int state; /* QUEUED -> RUNNING (thread) or CANCELLED (loop) */
  /* written by the thread before it publishes tail */
  int status;
  void *result;
  uint64_t start_ns, end_ns; /* end_ns 0: fn never ran */
} eddy__pool_slot_t;

struct eddy__pool_s;

struct eddy__pool_thread_s {
  /* read by the thread, written by the loop */
  eddy__pool_slot_t *ring;
  uint32_t mask;
  struct eddy__pool_s *pool; /* the core: the thread holds a reference */
  int spin;         /* pause rounds before sleeping (0: no spare core) */
  _Atomic int refs; /* loop + thread; the last one frees */
  _Atomic uint32_t head __attribute__((aligned(64)));
  _Atomic int32_t sleeping; /* futex word: 1 while the thread sleeps */
  _Atomic int quit;
  /* written by the thread */
  _Atomic uint32_t tail __attribute__((aligned(64)));
  _Atomic int exited;
  /* the loop's alone */
  uint32_t collected __attribute__((aligned(64)));
  unsigned outstanding;
  int retiring;
  int unkicked; /* tasks assigned since the last wake check */
  uint64_t idle_since_ns;
  uint64_t born_ns;
};

struct eddy__pool_s {
  /* shared with the threads */
  _Atomic int refs;         /* loop + threads alive; the last one frees */
  int wake_fd;              /* eventfd the threads write */
  _Atomic int wake_pending; /* a write is owed a read: skip writing */
  /* the loop's alone */
  eddy_pool_t *handle;
  struct eddy__pool_thread_s **threads;
  unsigned nthreads; /* alive, retiring ones included */
  unsigned cap;      /* ring capacity */
  size_t max_queue;
  eddy_queue_t queue; /* accepted, not yet assigned */
  size_t queue_size;
  size_t in_flight;  /* assigned to threads, not yet collected */
  eddy_queue_t dead; /* cancelled or expired, done not yet called */
  size_t ndead;
  eddy__pending_t dead_pending;
  eddy__pending_t kick; /* wakes threads given work in this iteration */
  int armed;            /* the queue was full: drain is owed */
  int closing;          /* 1: close, 2: destroy */
  int finishing;        /* our own eddy_close() of the handle */
  eddy_close_cb close_cb;
  eddy_io_t wake_io; /* the loop's watcher of wake_fd */
  eddy_timer_t deadline_timer;
  eddy_timer_t idle_timer;
  /* statistics */
  uint64_t completed, failed, cancelled, timed_out;
  uint64_t gone_alive_ns; /* lifetime of threads that have exited */
  eddy_hist_t wait_hist, run_hist;
};

typedef struct eddy__pool_s eddy__pool_t;
typedef struct eddy__pool_thread_s eddy__pool_thread_t;

/* pool_thread.c: starting, stopping, letting go of threads. */
int eddy__pool_spawn(eddy__pool_t *p, eddy__pool_thread_t **out);
void eddy__pool_retire(eddy__pool_thread_t *t);
void eddy__pool_let_go(eddy__pool_t *p, eddy__pool_thread_t *t);
void eddy__pool_wake(eddy__pool_thread_t *t);
void eddy__pool_kick(eddy__pool_t *p);
/* Wakes the loop (any thread): one eventfd write per batch. */
void eddy__pool_signal(eddy__pool_t *p);
/* Drops a reference to the core; the last one closes wake_fd and frees. */
void eddy__pool_core_unref(eddy__pool_t *p);

/* Hands `task` to `t` (the loop thread; t must have room). The thread is
 * not woken here but once per batch (eddy__pool_kick, at the latest in the
 * next pending phase): waking per task made a sleeping thread run one task,
 * sleep again and be woken for the next, a futex round trip per task. */
static inline void eddy__pool_assign(eddy__pool_t *p, eddy__pool_thread_t *t,
                                     eddy_pool_task_t *task) {
  uint32_t h = atomic_load_explicit(&t->head, memory_order_relaxed);
  eddy__pool_slot_t *s = &t->ring[h & t->mask];
  task->_thread = t;
  task->_slot = h;
  s->task = task;
  s->fn = task->_fn;
  s->arg = task->_arg;
  s->deadline_ns = task->_deadline_ns;
  atomic_store_explicit(&s->state, TASK_QUEUED, memory_order_relaxed);
  t->outstanding++;
  p->in_flight++;
  atomic_store_explicit(&t->head, h + 1, memory_order_release);
  if (!t->unkicked) {
    t->unkicked = 1;
    eddy__pending_push(p->handle->loop, &p->kick);
  }
}

#endif

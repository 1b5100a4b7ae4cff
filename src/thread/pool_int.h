/*
 * The worker pool, private: per-thread rings, the loop-side bookkeeping.
 *
 * Each pool thread owns a single-producer single-consumer ring: the loop
 * thread is the only producer (head), the pool thread the only consumer
 * (tail), so handing over a task is one release store and no lock. The
 * loop knows how many tasks each thread holds (`outstanding`), so a ring
 * can never overflow. Finished tasks go back on a per-thread lock-free
 * list (push: CAS; the loop takes the whole list with one exchange).
 */
#ifndef EDDY_THREAD_POOL_INT_H
#define EDDY_THREAD_POOL_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/internal.h"
#include "eddy/pool.h"

enum { TASK_QUEUED = 0, TASK_RUNNING, TASK_DONE, TASK_CANCELLED };

struct eddy__pool_thread_s {
  /* read by the thread, written by the loop */
  eddy_pool_task_t **ring;
  uint32_t mask;
  eddy_async_t *wake_loop;
  int spin;          /* pause rounds before sleeping (0: no spare core) */
  _Atomic uint32_t head __attribute__((aligned(64)));
  _Atomic int32_t sleeping; /* futex word: 1 while the thread sleeps */
  _Atomic int quit;
  /* written by the thread */
  _Atomic uint32_t tail __attribute__((aligned(64)));
  _Atomic(eddy_pool_task_t *) done_list __attribute__((aligned(64)));
  _Atomic int exited;
  /* the loop's alone */
  unsigned outstanding __attribute__((aligned(64)));
  int retiring;
  int unkicked;      /* tasks assigned since the last wake check */
  uint64_t idle_since_ns;
  uint64_t born_ns;
  pthread_t tid;
};

struct eddy__pool_s {
  eddy_pool_t *handle;
  struct eddy__pool_thread_s **threads;
  unsigned nthreads; /* alive, retiring ones included */
  unsigned cap;      /* ring capacity */
  size_t max_queue;
  eddy_queue_t queue; /* accepted, not yet assigned */
  size_t queue_size;
  size_t in_flight;   /* assigned to threads, not yet collected */
  eddy_queue_t dead;  /* cancelled or expired, done not yet called */
  size_t ndead;
  eddy__pending_t dead_pending;
  eddy__pending_t kick; /* wakes threads given work in this iteration */
  int armed;          /* the queue was full: drain is owed */
  int closing;        /* 1: close, 2: destroy */
  int finishing;      /* our own eddy_close() of the handle */
  eddy_close_cb close_cb;
  eddy_async_t async;
  eddy_timer_t deadline_timer;
  eddy_timer_t idle_timer;
  /* statistics */
  uint64_t completed, failed, cancelled, timed_out;
  uint64_t gone_alive_ns; /* lifetime of threads that have exited */
  eddy_hist_t wait_hist, run_hist;
};

typedef struct eddy__pool_s eddy__pool_t;
typedef struct eddy__pool_thread_s eddy__pool_thread_t;

/* pool_thread.c: starting, stopping, reaping threads. */
int eddy__pool_spawn(eddy__pool_t *p, eddy__pool_thread_t **out);
void eddy__pool_retire(eddy__pool_thread_t *t);
void eddy__pool_thread_free(eddy__pool_t *p, eddy__pool_thread_t *t);
void eddy__pool_wake(eddy__pool_thread_t *t);
void eddy__pool_kick(eddy__pool_t *p);

/* Hands `task` to `t` (the loop thread; t must have room). The thread is
 * not woken here but once per batch (eddy__pool_kick, at the latest in the
 * next pending phase): waking per task made a sleeping thread run one task,
 * sleep again and be woken for the next, a futex round trip per task. */
static inline void eddy__pool_assign(eddy__pool_t *p, eddy__pool_thread_t *t,
                                     eddy_pool_task_t *task) {
  uint32_t h = atomic_load_explicit(&t->head, memory_order_relaxed);
  task->_thread = t;
  t->ring[h & t->mask] = task;
  t->outstanding++;
  p->in_flight++;
  atomic_store_explicit(&t->head, h + 1, memory_order_release);
  if (!t->unkicked) {
    t->unkicked = 1;
    eddy__pending_push(p->handle->loop, &p->kick);
  }
}

#endif

/*
 * Pool threads: the consumer side of a ring, sleeping on a futex when it
 * is empty, and their start and end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "thread/futex.h"
#include "thread/pool_int.h"

/* Loop side: wakes the thread if it sleeps. The seq_cst fence pairs with
 * the thread's seq_cst store of `sleeping` before it re-reads head. */
void eddy__pool_wake(eddy__pool_thread_t *t) {
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(&t->sleeping, memory_order_relaxed) &&
      atomic_exchange(&t->sleeping, 0))
    eddy__futex_wake(&t->sleeping, 1);
}

/* Wakes every thread given work since the last kick: one fence for the
 * whole batch. Runs on the loop (pending phase, or directly at the end of a
 * completion batch). */
void eddy__pool_kick(eddy__pool_t *p) {
  eddy__pending_cancel(&p->kick);
  atomic_thread_fence(memory_order_seq_cst);
  for (unsigned i = 0; i < p->nthreads; i++) {
    eddy__pool_thread_t *t = p->threads[i];
    if (!t->unkicked) continue;
    t->unkicked = 0;
    if (atomic_load_explicit(&t->sleeping, memory_order_relaxed) &&
        atomic_exchange(&t->sleeping, 0))
      eddy__futex_wake(&t->sleeping, 1);
  }
}

/* Sleeps until the ring has a task or quit is set. A short spin first:
 * the loop often refills within microseconds of a ring running dry. */
/* Sleeps until the ring has a task or quit is set. A short spin first,
 * but only with a core to spare (t->spin, see eddy__pool_spawn): the loop
 * often refills within microseconds of a ring running dry, but when the
 * pool threads and the loop share the cores, spinning only delays the loop
 * that would refill (measured: ~30% of CPU samples in the spin with 2
 * threads on 2 cores). */
static void wait_for_work(eddy__pool_thread_t *t, uint32_t tail) {
  for (int i = 0; i < t->spin; i++) {
    if (atomic_load_explicit(&t->head, memory_order_acquire) != tail) return;
    __builtin_ia32_pause();
  }
  atomic_store(&t->sleeping, 1);
  if (atomic_load(&t->head) != tail || atomic_load(&t->quit)) {
    atomic_store(&t->sleeping, 0);
    return;
  }
  while (atomic_load(&t->sleeping)) eddy__futex_wait(&t->sleeping, 1, NULL);
}

/* Runs one task (or reports why not) and returns the time it ended. */
static uint64_t run_task(eddy_pool_task_t *task, uint64_t start) {
  int expected = TASK_QUEUED;
  task->_start_ns = start;
  task->_result = NULL;
  if (!atomic_compare_exchange_strong_explicit(&task->_state, &expected,
                                               TASK_RUNNING,
                                               memory_order_acquire,
                                               memory_order_relaxed)) {
    task->_status = -ECANCELED;
    task->_end_ns = start;
    return start;
  }
  if (task->_deadline_ns && start > task->_deadline_ns) {
    task->_status = EDDY_ETIMEDOUT;
    task->_end_ns = start;
    return start;
  }
  task->_status = task->_fn(task->_arg, &task->_result);
  task->_end_ns = eddy_hrtime();
  return task->_end_ns;
}

static void push_done(eddy__pool_thread_t *t, eddy_pool_task_t *task) {
  eddy_pool_task_t *head = atomic_load_explicit(&t->done_list, memory_order_relaxed);
  do {
    task->_next = head;
  } while (!atomic_compare_exchange_weak_explicit(&t->done_list, &head, task,
                                                  memory_order_release,
                                                  memory_order_relaxed));
  eddy_async_send(t->wake_loop);
}

static void *thread_main(void *arg) {
  eddy__pool_thread_t *t = arg;
  eddy__block_all_signals();
  uint32_t tail = atomic_load_explicit(&t->tail, memory_order_relaxed);
  uint64_t now = eddy_hrtime();
  for (;;) {
    if (atomic_load_explicit(&t->head, memory_order_acquire) == tail) {
      if (atomic_load(&t->quit)) break;
      wait_for_work(t, tail);
      now = eddy_hrtime();
      continue;
    }
    eddy_pool_task_t *task = t->ring[tail & t->mask];
    now = run_task(task, now);
    atomic_store_explicit(&t->tail, ++tail, memory_order_release);
    push_done(t, task);
  }
  atomic_store_explicit(&t->exited, 1, memory_order_release);
  eddy_async_send(t->wake_loop);
  return NULL;
}

int eddy__pool_spawn(eddy__pool_t *p, eddy__pool_thread_t **out) {
  eddy__pool_thread_t *t = aligned_alloc(64, (sizeof(*t) + 63) & ~(size_t)63);
  if (t == NULL) return -ENOMEM;
  memset(t, 0, sizeof(*t));
  t->ring = calloc(p->cap, sizeof(*t->ring));
  if (t->ring == NULL) {
    free(t);
    return -ENOMEM;
  }
  t->mask = p->cap - 1;
  t->wake_loop = &p->async;
  /* Spin only if the pool's threads plus the loop fit the online CPUs. */
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  t->spin = ncpu > (long)p->handle->_opts.max_threads ? 200 : 0;
  t->born_ns = eddy_hrtime();
  t->idle_since_ns = t->born_ns;
  int err = pthread_create(&t->tid, NULL, thread_main, t);
  if (err) {
    free(t->ring);
    free(t);
    return -err;
  }
  p->threads[p->nthreads++] = t;
  *out = t;
  return 0;
}

/* Asks an idle thread to end; the loop reaps it when `exited` is set. */
void eddy__pool_retire(eddy__pool_thread_t *t) {
  t->retiring = 1;
  atomic_store(&t->quit, 1);
  eddy__pool_wake(t);
}

/* Joins an exited (or quitting) thread and frees it. */
void eddy__pool_thread_free(eddy__pool_t *p, eddy__pool_thread_t *t) {
  pthread_join(t->tid, NULL);
  p->gone_alive_ns += eddy_hrtime() - t->born_ns;
  for (unsigned i = 0; i < p->nthreads; i++) {
    if (p->threads[i] != t) continue;
    p->threads[i] = p->threads[--p->nthreads];
    break;
  }
  free(t->ring);
  free(t);
}

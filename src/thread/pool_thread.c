/*
 * Pool threads: the consumer side of a ring, sleeping on a futex when it
 * is empty, and their start and end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fault.h"
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

/* Runs one slot's task (or records why not) and returns the time it
 * ended. Only the slot is touched: the caller's task struct never is. */
static uint64_t run_slot(eddy__pool_slot_t *s, uint64_t start) {
  int expected = TASK_QUEUED;
  s->start_ns = start;
  s->result = NULL;
  if (!atomic_compare_exchange_strong_explicit(&s->state, &expected,
                                               TASK_RUNNING,
                                               memory_order_acquire,
                                               memory_order_relaxed)) {
    s->status = -ECANCELED;
    s->end_ns = 0; /* never ran */
    return start;
  }
  if (s->deadline_ns && start > s->deadline_ns) {
    s->status = -ETIMEDOUT;
    s->end_ns = 0;
    return start;
  }
  s->status = s->fn(s->arg, &s->result);
  s->end_ns = eddy_hrtime();
  return s->end_ns;
}

/* The seq_cst fence orders the caller's tail (or exited) store before the
 * read of wake_pending; the loop resets wake_pending with a seq_cst
 * exchange before it reads the tails, so either it sees our store or we
 * see its reset and write. */
void eddy__pool_signal(eddy__pool_t *p) {
  atomic_thread_fence(memory_order_seq_cst);
  if (atomic_load_explicit(&p->wake_pending, memory_order_relaxed) ||
      atomic_exchange(&p->wake_pending, 1))
    return;
  uint64_t one = 1;
  while (write(p->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

void eddy__pool_core_unref(eddy__pool_t *p) {
  if (atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) != 1) return;
  close(p->wake_fd);
  free(p);
}

static void thread_unref(eddy__pool_thread_t *t) {
  if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) != 1) return;
  free(t->ring);
  free(t);
}

static void *thread_main(void *arg) {
  eddy__pool_thread_t *t = arg;
  eddy__pool_t *p = t->pool;
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
    now = run_slot(&t->ring[tail & t->mask], now);
    atomic_store_explicit(&t->tail, ++tail, memory_order_release);
    eddy__pool_signal(p);
  }
  /* The loop lets go of t once it sees `exited`, the core once it has
   * closed the pool: our references keep both valid to the end. */
  atomic_store_explicit(&t->exited, 1, memory_order_release);
  eddy__pool_signal(p);
  thread_unref(t);
  eddy__pool_core_unref(p);
  return NULL;
}

/* Starts a detached thread: nobody joins it; references end ownership. */
static int start_thread(eddy__pool_thread_t *t) {
  pthread_attr_t attr;
  pthread_t tid;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  int err = eddy__fault("pool.thread")
                ? EAGAIN
                : pthread_create(&tid, &attr, thread_main, t);
  pthread_attr_destroy(&attr);
  return err;
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
  t->pool = p;
  atomic_init(&t->refs, 2);
  /* Spin only if the pool's threads plus the loop fit the online CPUs. */
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  t->spin = ncpu > (long)p->handle->_opts.max_threads ? 200 : 0;
  t->born_ns = eddy_hrtime();
  t->idle_since_ns = t->born_ns;
  atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
  int err = start_thread(t);
  if (err) {
    atomic_fetch_sub_explicit(&p->refs, 1, memory_order_relaxed);
    free(t->ring);
    free(t);
    return -err;
  }
  p->threads[p->nthreads++] = t;
  *out = t;
  return 0;
}

/* Asks a thread to end once its ring is empty. */
void eddy__pool_retire(eddy__pool_thread_t *t) {
  t->retiring = 1;
  atomic_store(&t->quit, 1);
  eddy__pool_wake(t);
}

/* The loop forgets a thread that has exited or was told to quit: never
 * waits for it (it may still be ending: thread-local destructors, or a
 * running task after a plain eddy_close()). */
void eddy__pool_let_go(eddy__pool_t *p, eddy__pool_thread_t *t) {
  p->gone_alive_ns += eddy_hrtime() - t->born_ns;
  for (unsigned i = 0; i < p->nthreads; i++) {
    if (p->threads[i] != t) continue;
    p->threads[i] = p->threads[--p->nthreads];
    break;
  }
  thread_unref(t);
}

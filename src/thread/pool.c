/*
 * The worker pool, loop side: init, run (assign to a ring or queue),
 * cancel, statistics.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "thread/pool_int.h"

void eddy__pool_on_wake(eddy_io_t *io, unsigned events);
void eddy__pool_on_deadline(eddy_timer_t *t);
void eddy__pool_on_idle(eddy_timer_t *t);
void eddy__pool_on_dead(eddy__pending_t *pending);
void eddy__pool_on_close(eddy_handle_t *h);
void eddy__pool_update_active(eddy__pool_t *p);

static unsigned round_pow2(unsigned n) {
  unsigned c = 1;
  while (c < n && c < (1u << 20)) c <<= 1;
  return c;
}

static int fill_opts(eddy_pool_opts_t *o) {
  if (o->max_threads == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    o->max_threads = n > 0 ? (unsigned)n : 1;
    if (o->max_threads < o->min_threads) o->max_threads = o->min_threads;
  }
  if (o->max_threads < o->min_threads || o->max_threads > 4096) return -EINVAL;
  if (o->idle_timeout_ms == 0) o->idle_timeout_ms = 1000;
  if (o->concurrent_tasks == 0) o->concurrent_tasks = 256;
  if (o->max_queue == EDDY_POOL_QUEUE_AUTO)
    o->max_queue = (size_t)o->max_threads * o->max_threads;
  return 0;
}

static void on_kick(eddy__pending_t *pending) {
  eddy__pool_kick(EDDY_CONTAINER_OF(pending, eddy__pool_t, kick));
}

/* The core's eventfd and the loop's watcher of it. The fd belongs to the
 * core (closed by its last reference), not to the watcher. */
static int wake_watch(eddy_loop_t *loop, eddy__pool_t *p) {
  p->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (p->wake_fd < 0) return -errno;
  int err = eddy_io_init(loop, &p->wake_io, p->wake_fd, eddy__pool_on_wake);
  if (err == 0 && (err = eddy_io_start(&p->wake_io, EDDY_READABLE)) != 0)
    eddy_queue_remove(&p->wake_io._handle_node); /* never started: forget */
  if (err) close(p->wake_fd);
  return err;
}

/* Makes the pool's internal handles: hidden from walk, not keeping the
 * loop alive (the pool handle itself does that while work is in flight). */
static int internal_handles(eddy_loop_t *loop, eddy__pool_t *p) {
  int err = wake_watch(loop, p);
  if (err) return err;
  eddy_timer_init(loop, &p->deadline_timer);
  eddy_timer_init(loop, &p->idle_timer);
  eddy_handle_t *hs[3] = {(eddy_handle_t *)&p->wake_io,
                          (eddy_handle_t *)&p->deadline_timer,
                          (eddy_handle_t *)&p->idle_timer};
  for (int i = 0; i < 3; i++) {
    hs[i]->_flags |= EDDY__INTERNAL;
    hs[i]->data = p;
    eddy_unref(hs[i]);
  }
  eddy__pending_init(&p->dead_pending);
  p->dead_pending.cb = eddy__pool_on_dead;
  p->dead_pending.label = "pool cancel";
  eddy__pending_init(&p->kick);
  p->kick.cb = on_kick;
  p->kick.label = "pool kick";
  return 0;
}

/* Undoes a failed init at once, with no close phase: after an error
 * nothing may refer to the caller's struct (it may be gone when the close
 * phase would run). Threads already started are told to quit; they and
 * the core free themselves by reference. */
static void undo_init(eddy_pool_t *pool, eddy__pool_t *p) {
  while (p->nthreads) {
    eddy__pool_thread_t *t = p->threads[0];
    eddy__pool_retire(t);
    eddy__pool_let_go(p, t);
  }
  eddy_io_stop(&p->wake_io);
  eddy_queue_remove(&p->wake_io._handle_node);
  eddy_queue_remove(&p->deadline_timer._handle_node);
  eddy_queue_remove(&p->idle_timer._handle_node);
  free(p->threads);
  pool->_p = NULL;
  eddy__pool_core_unref(p); /* closes wake_fd once the threads are gone */
}

int eddy_pool_init(eddy_loop_t *loop, eddy_pool_t *pool,
                   const eddy_pool_opts_t *opts) {
  if (loop == NULL || pool == NULL) return -EINVAL;
  eddy_pool_opts_t o = {0};
  if (opts) o = *opts;
  if (fill_opts(&o)) return -EINVAL;
  eddy__pool_t *p = calloc(1, sizeof(*p));
  if (p == NULL) return -ENOMEM;
  p->threads = calloc(o.max_threads, sizeof(*p->threads));
  int err = p->threads ? internal_handles(loop, p) : -ENOMEM;
  if (err) {
    free(p->threads);
    free(p);
    return err;
  }
  atomic_init(&p->refs, 1); /* the loop's; each thread adds its own */
  atomic_init(&p->wake_pending, 0);
  p->handle = pool;
  p->cap = round_pow2(o.concurrent_tasks);
  p->max_queue = o.max_queue;
  eddy_queue_init(&p->queue);
  eddy_queue_init(&p->dead);
  pool->_opts = o;
  pool->_p = p;
  eddy__pool_thread_t *t;
  for (unsigned i = 0; i < o.min_threads; i++) {
    if ((err = eddy__pool_spawn(p, &t)) != 0) {
      undo_init(pool, p);
      return err;
    }
  }
  /* Registered last: a failed init leaves nothing in the loop. */
  eddy__handle_init(loop, (eddy_handle_t *)pool, EDDY_HANDLE_POOL,
                    eddy__pool_on_close);
  return 0;
}

/* The thread that should take the next task, starting one if every live
 * thread already holds work and the pool may grow; NULL if all are full. */
static eddy__pool_thread_t *pick(eddy__pool_t *p) {
  eddy__pool_thread_t *best = NULL;
  for (unsigned i = 0; i < p->nthreads; i++) {
    eddy__pool_thread_t *t = p->threads[i];
    if (!t->retiring && (best == NULL || t->outstanding < best->outstanding))
      best = t;
  }
  if ((best == NULL || best->outstanding > 0) &&
      p->nthreads < p->handle->_opts.max_threads && !p->closing) {
    eddy__pool_thread_t *fresh;
    if (eddy__pool_spawn(p, &fresh) == 0) return fresh;
  }
  return best && best->outstanding < p->cap ? best : NULL;
}

/* Moves queued tasks into rings with room, oldest first. */
void eddy__pool_refill(eddy__pool_t *p) {
  while (!eddy_queue_empty(&p->queue)) {
    eddy__pool_thread_t *t = pick(p);
    if (t == NULL) return;
    eddy_queue_t *q = eddy_queue_head(&p->queue);
    eddy_queue_remove(q);
    p->queue_size--;
    eddy__pool_assign(p, t, EDDY_CONTAINER_OF(q, eddy_pool_task_t, _node));
  }
}

static void arm_deadline(eddy__pool_t *p, uint64_t deadline_ns) {
  eddy_timer_t *tm = &p->deadline_timer;
  uint64_t due_ms = (deadline_ns + 999999) / 1000000;
  if (eddy_is_active((eddy_handle_t *)tm) && tm->deadline <= due_ms) return;
  uint64_t now = eddy_loop_now(tm->loop);
  eddy_timer_start(tm, eddy__pool_on_deadline, due_ms > now ? due_ms - now : 0,
                   0);
}

/* Puts a task in the queue; EDDY_EQUEUEFULL (and arms drain) if full. */
static int enqueue(eddy__pool_t *p, eddy_pool_task_t *task) {
  if (p->max_queue && p->queue_size >= p->max_queue) {
    p->armed = 1;
    return EDDY_EQUEUEFULL;
  }
  eddy_queue_push(&p->queue, &task->_node);
  p->queue_size++;
  if (p->max_queue && p->queue_size >= p->max_queue) p->armed = 1;
  if (task->_deadline_ns) arm_deadline(p, task->_deadline_ns);
  return 0;
}

int eddy_pool_run_deadline(eddy_pool_t *pool, eddy_pool_task_t *task,
                           eddy_pool_fn fn, void *arg, eddy_pool_done_cb done,
                           uint64_t timeout_ms) {
  if (pool == NULL || task == NULL || fn == NULL || done == NULL)
    return -EINVAL;
  eddy__pool_t *p = pool->_p;
  if (p == NULL || p->closing || !eddy__handle_usable((eddy_handle_t *)pool))
    return EDDY_ECLOSED;
  task->_fn = fn;
  task->_arg = arg;
  task->_done = done;
  task->_pool = pool;
  task->_thread = NULL;
  task->_status = 0; /* set once the task is dead or done */
  eddy_queue_init(&task->_node);
  /* The loop's cached clock: free, and early by at most one iteration,
   * so the wait-time statistic and deadlines err on the safe side. */
  task->_submit_ns = eddy_loop_now_ns(p->handle->loop);
  task->_deadline_ns = timeout_ms ? task->_submit_ns + timeout_ms * 1000000u
                                  : 0;
  /* FIFO: while older tasks wait in the queue, no ring has room. */
  eddy__pool_thread_t *t = eddy_queue_empty(&p->queue) ? pick(p) : NULL;
  if (t) {
    eddy__pool_assign(p, t, task);
  } else {
    if (p->nthreads == 0) return -EAGAIN;
    int err = enqueue(p, task);
    if (err) return err;
  }
  eddy__handle_start((eddy_handle_t *)pool);
  return 0;
}

int eddy_pool_run(eddy_pool_t *pool, eddy_pool_task_t *task, eddy_pool_fn fn,
                  void *arg, eddy_pool_done_cb done) {
  return eddy_pool_run_deadline(pool, task, fn, arg, done, 0);
}

/* Moves a queued task to the dead list; its done runs in the pending
 * phase, so never inside the call that killed it. */
void eddy__pool_kill_queued(eddy__pool_t *p, eddy_pool_task_t *task,
                            int status) {
  eddy_queue_remove(&task->_node);
  p->queue_size--;
  task->_status = status;
  task->_result = NULL;
  eddy_queue_push(&p->dead, &task->_node);
  p->ndead++;
  eddy__pending_push(p->handle->loop, &p->dead_pending);
}

int eddy_pool_cancel(eddy_pool_task_t *task) {
  if (task == NULL || task->_pool == NULL || task->_pool->_p == NULL)
    return -EINVAL;
  eddy__pool_t *p = task->_pool->_p;
  if (task->_thread == NULL) {
    /* Not queued (done) or on the dead list (cancelled, timed out). */
    if (eddy_queue_empty(&task->_node) || task->_status) return -EBUSY;
    eddy__pool_kill_queued(p, task, -ECANCELED);
    return 0;
  }
  /* In a ring: the thread reports it, with -ECANCELED, when it gets there.
   * The slot is still this task's: it is reused only after collection,
   * which clears task->_thread. */
  eddy__pool_thread_t *t = task->_thread;
  int expected = TASK_QUEUED;
  return atomic_compare_exchange_strong(&t->ring[task->_slot & t->mask].state,
                                        &expected, TASK_CANCELLED)
             ? 0
             : -EBUSY;
}

size_t eddy_pool_queue_size(const eddy_pool_t *pool) {
  return pool->_p ? pool->_p->queue_size : 0;
}

int eddy_pool_needs_drain(const eddy_pool_t *pool) {
  return pool->_p ? pool->_p->armed : 0;
}

void eddy_pool_stats(const eddy_pool_t *pool, eddy_pool_stats_t *out) {
  const eddy__pool_t *p = pool->_p;
  *out = (eddy_pool_stats_t){0};
  if (p == NULL) return;
  out->completed = p->completed;
  out->failed = p->failed;
  out->cancelled = p->cancelled;
  out->timed_out = p->timed_out;
  out->queue_size = p->queue_size;
  out->in_flight = p->in_flight;
  out->threads = p->nthreads;
  uint64_t alive = p->gone_alive_ns, now = eddy_hrtime();
  for (unsigned i = 0; i < p->nthreads; i++)
    alive += now - p->threads[i]->born_ns;
  out->utilization = alive ? (double)p->run_hist.sum / (double)alive : 0.0;
  if (out->utilization > 1.0) out->utilization = 1.0;
  eddy_hist_stats(&p->wait_hist, &out->wait_time);
  eddy_hist_stats(&p->run_hist, &out->run_time);
}

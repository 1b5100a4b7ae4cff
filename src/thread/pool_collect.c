/*
 * The worker pool, loop side: collecting finished tasks (one wake-up for
 * all of them), drain, deadlines, idle shrink, close and destroy.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "thread/pool_int.h"

void eddy__pool_refill(eddy__pool_t *p);
void eddy__pool_kill_queued(eddy__pool_t *p, eddy_pool_task_t *task,
                            int status);
void eddy__pool_update_active(eddy__pool_t *p);

static void count(eddy__pool_t *p, int status) {
  if (status == -ECANCELED)
    p->cancelled++;
  else if (status == -ETIMEDOUT)
    p->timed_out++;
}

/* Takes every finished task of `t`, oldest first, onto *tail: copies each
 * slot's outcome into its task (the thread never touches tasks). */
static eddy_pool_task_t **take_done(eddy__pool_t *p, eddy__pool_thread_t *t,
                                    eddy_pool_task_t **tail) {
  uint32_t end = atomic_load_explicit(&t->tail, memory_order_acquire);
  for (; t->collected != end; t->collected++) {
    eddy__pool_slot_t *s = &t->ring[t->collected & t->mask];
    eddy_pool_task_t *task = s->task;
    task->_status = s->status;
    task->_result = s->result;
    task->_start_ns = s->start_ns;
    task->_end_ns = s->end_ns;
    task->_thread = NULL; /* finished: cancel says -EBUSY */
    t->outstanding--;
    p->in_flight--;
    if (task->_end_ns == 0) { /* never ran: cancelled or expired */
      count(p, task->_status);
    } else {
      p->completed++;
      if (task->_status < 0) p->failed++;
      eddy_hist_record(&p->wait_hist, task->_start_ns - task->_submit_ns);
      eddy_hist_record(&p->run_hist, task->_end_ns - task->_start_ns);
    }
    *tail = task;
    tail = &task->_next;
  }
  if (t->outstanding == 0) t->idle_since_ns = eddy_loop_now_ns(p->handle->loop);
  return tail;
}

static void maybe_drain(eddy__pool_t *p) {
  if (!p->armed || p->queue_size != 0) return;
  p->armed = 0;
  eddy_pool_t *pool = p->handle;
  if (pool->_opts.on_drain && !p->closing) pool->_opts.on_drain(pool);
}

/* Lets go of threads that have left their loop (they may still be ending,
 * never waited for). Returns how many. */
static int reap(eddy__pool_t *p) {
  int n = 0;
  for (unsigned i = 0; i < p->nthreads;) {
    eddy__pool_thread_t *t = p->threads[i];
    if (atomic_load_explicit(&t->exited, memory_order_acquire)) {
      eddy__pool_let_go(p, t); /* moves the last thread into slot i */
      n++;
    } else {
      i++;
    }
  }
  return n;
}

static void start_idle_timer(eddy__pool_t *p);
static void check_closed(eddy__pool_t *p);

/* The threads' eventfd is readable: consume it, re-arm the threads'
 * signalling (before reading their tails, see eddy__pool_signal), collect. */
void eddy__pool_on_wake(eddy_io_t *io, unsigned events) {
  eddy__pool_t *p = io->data;
  uint64_t n;
  while (read(p->wake_fd, &n, sizeof(n)) < 0 && errno == EINTR) {
  }
  atomic_exchange(&p->wake_pending, 0);
  eddy_pool_task_t *batch = NULL, **tail = &batch;
  for (unsigned i = 0; i < p->nthreads; i++)
    tail = take_done(p, p->threads[i], tail);
  *tail = NULL;
  if (reap(p) && !p->closing) start_idle_timer(p);
  eddy__pool_refill(p);
  maybe_drain(p);
  eddy__dispatch(io->loop, "pool done");
  while (batch) {
    eddy_pool_task_t *task = batch;
    batch = task->_next; /* done may free or resubmit the task */
    task->_pool = NULL;
    task->_done(task, task->_status, task->_result);
  }
  /* Tasks assigned by refill, drain and done callbacks start now rather
   * than in the next pending phase. */
  if (eddy__pending_queued(&p->kick)) eddy__pool_kick(p);
  if (p->nthreads > p->handle->_opts.min_threads && !p->closing)
    start_idle_timer(p);
  check_closed(p);
  eddy__pool_update_active(p);
}

/* Delivers cancelled and expired tasks (pending phase or deadline timer). */
static void deliver_dead(eddy__pool_t *p) {
  eddy_queue_t batch;
  eddy_queue_move(&p->dead, &batch);
  while (!eddy_queue_empty(&batch)) {
    eddy_queue_t *q = eddy_queue_head(&batch);
    eddy_queue_remove(q);
    p->ndead--;
    eddy_pool_task_t *task = EDDY_CONTAINER_OF(q, eddy_pool_task_t, _node);
    count(p, task->_status);
    task->_pool = NULL;
    task->_done(task, task->_status, NULL);
  }
}

void eddy__pool_on_dead(eddy__pending_t *pending) {
  eddy__pool_t *p = EDDY_CONTAINER_OF(pending, eddy__pool_t, dead_pending);
  maybe_drain(p);
  deliver_dead(p);
  check_closed(p);
  eddy__pool_update_active(p);
}

void eddy__pool_on_deadline(eddy_timer_t *tm) {
  eddy__pool_t *p = tm->data;
  uint64_t now = eddy_hrtime(), next = 0;
  eddy_queue_t *q, *n;
  for (q = p->queue.next; q != &p->queue; q = n) {
    n = q->next;
    eddy_pool_task_t *task = EDDY_CONTAINER_OF(q, eddy_pool_task_t, _node);
    if (!task->_deadline_ns) continue;
    if (task->_deadline_ns <= now)
      eddy__pool_kill_queued(p, task, -ETIMEDOUT);
    else if (!next || task->_deadline_ns < next)
      next = task->_deadline_ns;
  }
  if (next) {
    uint64_t ms = (next - now + 999999) / 1000000;
    eddy_timer_start(tm, eddy__pool_on_deadline, ms, 0);
  }
}

/* Retires threads idle for idle_timeout, down to min_threads. */
void eddy__pool_on_idle(eddy_timer_t *tm) {
  eddy__pool_t *p = tm->data;
  eddy_pool_opts_t *o = &p->handle->_opts;
  uint64_t now = eddy_loop_now_ns(tm->loop),
           limit = o->idle_timeout_ms * 1000000u;
  unsigned live = 0, waiting = 0;
  for (unsigned i = 0; i < p->nthreads; i++) live += !p->threads[i]->retiring;
  for (unsigned i = 0; i < p->nthreads && live > o->min_threads; i++) {
    eddy__pool_thread_t *t = p->threads[i];
    if (t->retiring || t->outstanding) continue;
    if (now - t->idle_since_ns >= limit) {
      eddy__pool_retire(t);
      live--;
    } else {
      waiting = 1;
    }
  }
  if (waiting && live > o->min_threads) start_idle_timer(p);
}

static void start_idle_timer(eddy__pool_t *p) {
  if (eddy_is_active((eddy_handle_t *)&p->idle_timer)) return;
  eddy_timer_start(&p->idle_timer, eddy__pool_on_idle,
                   p->handle->_opts.idle_timeout_ms, 0);
}

/* The pool handle keeps the loop alive while any work or closing is left. */
void eddy__pool_update_active(eddy__pool_t *p) {
  eddy_handle_t *h = (eddy_handle_t *)p->handle;
  if (p->in_flight || p->queue_size || p->ndead || (p->closing && p->nthreads))
    eddy__handle_start(h);
  else
    eddy__handle_stop(h);
}

/* Once closing and out of work: stop the threads; once they are all gone,
 * close the handle (its callback runs in this iteration's close phase). */
static void check_closed(eddy__pool_t *p) {
  if (!p->closing || p->finishing) return;
  if (p->in_flight || p->queue_size || p->ndead) return;
  for (unsigned i = 0; i < p->nthreads; i++)
    if (!p->threads[i]->retiring) eddy__pool_retire(p->threads[i]);
  if (p->nthreads) return;
  p->finishing = 1;
  eddy_pool_t *pool = p->handle;
  eddy__handle_stop((eddy_handle_t *)pool);
  eddy_close((eddy_handle_t *)pool, p->close_cb);
}

static int begin_close(eddy_pool_t *pool, eddy_close_cb cb, int how) {
  if (pool == NULL || pool->_p == NULL || pool->_p->closing ||
      !eddy__handle_usable((eddy_handle_t *)pool))
    return -EINVAL;
  eddy__pool_t *p = pool->_p;
  p->closing = how;
  p->close_cb = cb;
  eddy_timer_stop(&p->idle_timer);
  /* Finish in a later callback, never inside this call. */
  eddy__pool_signal(p);
  eddy__pool_update_active(p);
  eddy__handle_start((eddy_handle_t *)pool);
  return 0;
}

int eddy_pool_close(eddy_pool_t *pool, eddy_close_cb cb) {
  return begin_close(pool, cb, 1);
}

/* Marks every task that has not started as cancelled: queued ones now,
 * ring ones through their state (their thread reports them). */
static void cancel_all(eddy__pool_t *p) {
  while (!eddy_queue_empty(&p->queue)) {
    eddy_pool_task_t *task = EDDY_CONTAINER_OF(eddy_queue_head(&p->queue),
                                               eddy_pool_task_t, _node);
    eddy__pool_kill_queued(p, task, -ECANCELED);
  }
  for (unsigned i = 0; i < p->nthreads; i++) {
    eddy__pool_thread_t *t = p->threads[i];
    uint32_t tail = atomic_load_explicit(&t->tail, memory_order_acquire);
    uint32_t head = atomic_load_explicit(&t->head, memory_order_relaxed);
    for (uint32_t k = tail; k != head; k++) {
      int expected = TASK_QUEUED;
      atomic_compare_exchange_strong(&t->ring[k & t->mask].state, &expected,
                                     TASK_CANCELLED);
    }
  }
}

int eddy_pool_destroy(eddy_pool_t *pool, eddy_close_cb cb) {
  int err = begin_close(pool, cb, 2);
  if (err == 0) cancel_all(pool->_p);
  return err;
}

/* The loop's reference to the core; threads still ending hold theirs. */
static void free_pool(eddy_handle_t *idle_timer) {
  eddy__pool_core_unref(idle_timer->data);
}

/* Handle close. Our own (finishing) has nothing left to stop. A plain
 * eddy_close() from the user cancels what has not started and lets every
 * thread go without waiting: a running task finishes on its thread, which
 * records the outcome in its own ring (nobody collects it: no done
 * callback runs) and ends; the thread and the core free themselves. */
void eddy__pool_on_close(eddy_handle_t *h) {
  eddy_pool_t *pool = (eddy_pool_t *)h;
  eddy__pool_t *p = pool->_p;
  if (!p->finishing) {
    p->closing = 2;
    cancel_all(p);
    while (p->nthreads) {
      eddy__pool_thread_t *t = p->threads[0];
      eddy__pool_retire(t);
      eddy__pool_let_go(p, t);
    }
    eddy__pending_cancel(&p->dead_pending);
  }
  eddy__pending_cancel(&p->kick);
  eddy_close((eddy_handle_t *)&p->wake_io, NULL);
  eddy_close((eddy_handle_t *)&p->deadline_timer, NULL);
  /* These close in this same close phase, ahead of the pool handle (they
   * were queued first); the last one frees `p`, which holds them. */
  eddy_close((eddy_handle_t *)&p->idle_timer, free_pool);
  free(p->threads);
  p->threads = NULL;
  pool->_p = NULL;
}

/*
 * eddy — the worker pool: CPU tasks on a bounded set of threads (Piscina's
 * model, in C).
 *
 * A pool belongs to the loop it was made on. eddy_pool_run() hands a task
 * to a pool thread, which calls fn(arg, &result); the task's done callback
 * then runs on the pool's loop with the status and the result. The pool is
 * separate from the thread pool that serves file I/O, so CPU work cannot
 * starve the file system.
 *
 * Where a task waits. Each pool thread has a private ring of up to
 * `concurrent_tasks` tasks handed to it ahead (a C function runs one at a
 * time, so these are tasks *assigned* to the thread, the way Piscina assigns
 * up to concurrentTasksPerWorker tasks to a worker). When every ring is full
 * and no more threads may start, tasks wait in the pool's queue, which only
 * the loop thread touches. `queue size` is the number of tasks in that queue:
 * accepted, not yet assigned to a thread. max_queue bounds it.
 *
 * Backpressure that always ends. run() returns EDDY_EQUEUEFULL at once when
 * the queue holds max_queue tasks; the pool is then armed, and the drain
 * callback runs once when that queue next becomes empty. The queue only
 * empties on the loop thread, as completions free ring slots (or as queued
 * tasks are cancelled or time out), so a full queue always means work in
 * flight whose completion will wake the loop: a producer that waits for
 * drain and refills cannot stall. Threads are started synchronously inside
 * run() (there is no "starting" state in which tasks cannot be assigned).
 *
 * Memory: tasks are the caller's structs (embed them); the hot path
 * allocates nothing, and pool threads never touch a task struct: they work
 * from a copy of fn and arg in their own ring and record the outcome there.
 * Completions are batched: one coalesced wake-up makes the loop collect
 * every finished task and copy its outcome into the task.
 *
 * The loop never waits for a pool thread: threads are detached and free
 * their own state when they end, so shrinking, closing and destroying never
 * block, even while a task runs.
 *
 * Threads: every function here is for the pool's loop thread only, except
 * that fn runs on a pool thread.
 */
#ifndef EDDY_POOL_H
#define EDDY_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "eddy/loop.h"
#include "eddy/metrics.h"

#ifdef __cplusplus
extern "C" {
#endif

/* max_queue value: max_threads squared (Piscina's maxQueue: 'auto'). */
#define EDDY_POOL_QUEUE_AUTO ((size_t)-1)

typedef struct eddy_pool_s eddy_pool_t;
typedef struct eddy_pool_task_s eddy_pool_task_t;

/*
 * The work, on a pool thread: returns 0 or an error (negative), and may set
 * *result. Must not touch the pool's loop. A running fn cannot be stopped:
 * C has no safe way to kill a function mid-way, so a task's deadline only
 * applies until it starts; fn should check its own clock if it must end
 * early.
 */
typedef int (*eddy_pool_fn)(void *arg, void **result);

/*
 * On the pool's loop, once per accepted task: status is fn's return value,
 * -ECANCELED (cancelled or destroyed before it started), or -ETIMEDOUT
 * (its deadline passed before it started). The task struct is the caller's
 * again from this call on.
 */
typedef void (*eddy_pool_done_cb)(eddy_pool_task_t *task, int status,
                                  void *result);

/* On the pool's loop when a queue that was full has become empty. */
typedef void (*eddy_pool_drain_cb)(eddy_pool_t *pool);

/* A caller-owned task. Fill nothing: eddy_pool_run() sets every field. */
struct eddy_pool_task_s {
  void *data; /* the user's */
  /* private */
  eddy_pool_fn _fn;
  void *_arg;
  eddy_pool_done_cb _done;
  void *_result;
  int _status;
  uint32_t _slot;                 /* in its thread's ring */
  struct eddy_pool_task_s *_next; /* in a batch of finished tasks */
  eddy_queue_t _node;             /* in the pool's queue */
  uint64_t _submit_ns, _start_ns, _end_ns, _deadline_ns;
  struct eddy__pool_thread_s *_thread;
  eddy_pool_t *_pool;
};

typedef struct {
  unsigned min_threads;     /* kept even when idle; default 0 */
  unsigned max_threads;     /* default: number of CPUs */
  uint64_t idle_timeout_ms; /* idle threads above min exit; default 1000 */
  size_t max_queue;         /* 0: unbounded; EDDY_POOL_QUEUE_AUTO: max² */
  /* Ring size per thread, rounded up to a power of two; default 256. A
   * task in a ring is committed to that thread (no stealing), so for long
   * or uneven tasks a small value (1 = Piscina's default) spreads work
   * better; for short tasks a deep ring lets a thread run for longer than
   * a loop wake-up takes (1M sqrt tasks, 2 threads on 2 cores: 64 -> 2.7M
   * tasks/s, 256 -> 10M). */
  unsigned concurrent_tasks;
  eddy_pool_drain_cb on_drain; /* may be NULL */
} eddy_pool_opts_t;

/* Statistics, as Piscina reports them. Times in nanoseconds. */
typedef struct {
  uint64_t completed;          /* tasks whose fn ran (whatever it returned) */
  uint64_t failed;             /* of those, fn returned an error */
  uint64_t cancelled;          /* -ECANCELED */
  uint64_t timed_out;          /* -ETIMEDOUT */
  size_t queue_size;           /* tasks in the pool's queue now */
  size_t in_flight;            /* tasks assigned to threads now */
  unsigned threads;            /* threads alive now */
  double utilization;          /* time running tasks / time threads existed */
  eddy_hist_stats_t wait_time; /* from run() to start */
  eddy_hist_stats_t run_time;  /* fn's duration */
} eddy_pool_stats_t;

struct eddy_pool_s {
  EDDY_HANDLE_FIELDS
  /* private */
  eddy_pool_opts_t _opts;
  struct eddy__pool_s *_p;
};

/*
 * Makes a pool on `loop` (opts NULL: defaults) and starts min_threads
 * threads. An idle pool does not keep the loop alive; one with tasks in
 * flight does. -EINVAL (max_threads < min_threads, or 0 after defaults),
 * -ENOMEM, -EAGAIN (a thread could not be made).
 */
EDDY_EXTERN int eddy_pool_init(eddy_loop_t *loop, eddy_pool_t *pool,
                               const eddy_pool_opts_t *opts);

/*
 * Submits `task`: fn(arg, &result) on a pool thread, then done on the loop.
 * `task` must stay valid and untouched until done runs. Errors (done is then
 * never called): EDDY_EQUEUEFULL when the queue is full (it arms drain),
 * EDDY_ECLOSED after close/destroy, -EINVAL, -EAGAIN if a thread was needed
 * and none could be made and none exists.
 */
EDDY_EXTERN int eddy_pool_run(eddy_pool_t *pool, eddy_pool_task_t *task,
                              eddy_pool_fn fn, void *arg,
                              eddy_pool_done_cb done);

/*
 * As eddy_pool_run(), with a deadline `timeout_ms` from now: if the task has
 * not started by then, done gets -ETIMEDOUT and fn never runs. A task
 * that started in time runs to the end however long it takes (see
 * eddy_pool_fn). A queued task times out on a loop timer; one already in a
 * thread's ring is reported when that thread reaches it.
 */
EDDY_EXTERN int eddy_pool_run_deadline(eddy_pool_t *pool,
                                       eddy_pool_task_t *task, eddy_pool_fn fn,
                                       void *arg, eddy_pool_done_cb done,
                                       uint64_t timeout_ms);

/*
 * Cancels a task that has not started: done gets -ECANCELED (later, never
 * inside this call). -EBUSY if it is running or finished, -EINVAL.
 */
EDDY_EXTERN int eddy_pool_cancel(eddy_pool_task_t *task);

/* Tasks in the pool's queue (accepted, not yet assigned to a thread). */
EDDY_EXTERN size_t eddy_pool_queue_size(const eddy_pool_t *pool);

/* Non-zero when the queue is full: the drain callback is armed. */
EDDY_EXTERN int eddy_pool_needs_drain(const eddy_pool_t *pool);

/* Fills `out` with the pool's statistics. */
EDDY_EXTERN void eddy_pool_stats(const eddy_pool_t *pool,
                                 eddy_pool_stats_t *out);

/*
 * Graceful end: refuses new tasks (EDDY_ECLOSED), finishes every accepted
 * one, stops the threads, then closes the handle and calls `cb` (may be
 * NULL) in a close phase; free the pool from `cb` on. -EINVAL if already
 * closing.
 */
EDDY_EXTERN int eddy_pool_close(eddy_pool_t *pool, eddy_close_cb cb);

/*
 * Fast end: tasks not yet started get -ECANCELED, running ones finish
 * (their done runs with their result), then as eddy_pool_close().
 *
 * A plain eddy_close() on the pool is the abrupt end: it does not wait for
 * anything, the handle closes in this iteration's close phase, and no done
 * callback of a task in flight ever runs. Tasks not started are dropped; a
 * task already running finishes on its thread, which then ends on its own.
 * Every task struct is the caller's again once eddy_close() returns; only
 * the arg of a running task must stay valid until its fn returns (fn may
 * signal that itself). The loop may be closed meanwhile.
 */
EDDY_EXTERN int eddy_pool_destroy(eddy_pool_t *pool, eddy_close_cb cb);

#ifdef __cplusplus
}
#endif
#endif

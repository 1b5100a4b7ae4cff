/*
 * eddy — the event loop: handles, io watchers, timers, immediates, async
 * wake-ups, signals and close callbacks.
 *
 * The model is libuv's (and so Node's). One iteration of eddy_run():
 *
 *   1. update the cached clock (eddy_loop_now, eddy_loop_now_ns)
 *   2. timers whose deadline has passed, in (deadline, start order); a timer
 *      (re)started while this phase runs waits for the next iteration
 *   3. pending callbacks deferred from the previous iteration
 *   4. poll for I/O with epoll; the timeout is 0 if immediates, pending
 *      callbacks or closing handles are queued, else until the next timer,
 *      else infinite
 *   5. check: immediates, first in first out; an immediate queued while this
 *      phase runs waits for the next iteration
 *   6. close callbacks
 *
 * The loop runs while referenced active handles, requests in flight or
 * closing handles exist. eddy_unref() excludes a handle, as Node's unref().
 *
 * Ownership: every handle is a struct the caller owns and may embed in its
 * own struct. eddy never allocates or frees it. After eddy_close() the memory
 * may be released only in the close callback or after it has run.
 *
 * Threads: a loop and its handles belong to the thread that runs the loop.
 * The only functions callable from other threads are those marked
 * "Thread-safe" (eddy_async_send; eddy_loop_label and eddy_loop_utilization
 * in metrics.h).
 *
 * The loop measuring itself (label, utilization, delay, stall detector) is
 * declared in eddy/metrics.h, which this header includes at its end.
 *
 * Errors: functions return 0 or a negative errno / EDDY_E* code (error.h).
 * A function that returns an error never calls the callback it was given,
 * and no callback is ever called from inside the call that scheduled it.
 *
 * There is no next-tick queue (Node's process.nextTick): in C a callback
 * that must run "right after this one" is a plain function call, and a
 * queue that runs before I/O can starve the loop. Use an immediate to run
 * after the current I/O phase.
 */
#ifndef EDDY_LOOP_H
#define EDDY_LOOP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "eddy/error.h"
#include "eddy/queue.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eddy_loop_s eddy_loop_t;
typedef struct eddy_handle_s eddy_handle_t;
typedef struct eddy_io_s eddy_io_t;
typedef struct eddy_timer_s eddy_timer_t;
typedef struct eddy_immediate_s eddy_immediate_t;
typedef struct eddy_async_s eddy_async_t;
typedef struct eddy_signal_s eddy_signal_t;

typedef void (*eddy_close_cb)(eddy_handle_t *handle);
typedef void (*eddy_io_cb)(eddy_io_t *io, unsigned events);
typedef void (*eddy_timer_cb)(eddy_timer_t *timer);
typedef void (*eddy_immediate_cb)(eddy_immediate_t *immediate);
typedef void (*eddy_async_cb)(eddy_async_t *async);
typedef void (*eddy_signal_cb)(eddy_signal_t *signal, int signum);

/* Handle kinds. Higher layers (streams, workers, ...) have their own. */
typedef enum {
  EDDY_HANDLE_IO = 1,
  EDDY_HANDLE_TIMER,
  EDDY_HANDLE_ASYNC,
  EDDY_HANDLE_SIGNAL,
  EDDY_HANDLE_TCP,
  EDDY_HANDLE_UNIX,
  EDDY_HANDLE_PORT,
  EDDY_HANDLE_WORKER,
  EDDY_HANDLE_POOL,
  EDDY_HANDLE_OTHER
} eddy_handle_type_t;

/*
 * Fields every handle starts with. `data` is the user's. The rest is
 * read-only (loop, type) or private (leading underscore).
 */
/* clang-format off */
#define EDDY_HANDLE_FIELDS                                                    \
  void *data;                                                                 \
  /* read-only */                                                             \
  eddy_loop_t *loop;                                                          \
  eddy_handle_type_t type;                                                    \
  /* private */                                                               \
  unsigned _flags;                                                            \
  eddy_close_cb _close_cb;                                                    \
  void (*_on_close)(eddy_handle_t *);                                         \
  eddy_queue_t _handle_node;                                                  \
  eddy_handle_t *_next_closing;
/* clang-format on */

struct eddy_handle_s {
  EDDY_HANDLE_FIELDS
};

/* Run modes of eddy_run(). */
typedef enum {
  EDDY_RUN_DEFAULT = 0, /* until no referenced work is left, or stop */
  EDDY_RUN_ONCE,        /* one iteration, waiting for I/O if needed */
  EDDY_RUN_NOWAIT       /* one iteration, never waiting for I/O */
} eddy_run_mode_t;

/* ---------------------------------------------------------------- loop */

struct eddy_loop_s {
  void *data;
  /* private: read through the functions below */
  uint64_t _now_ms;
  uint64_t _now_ns;
  unsigned _active_handles;
  unsigned _active_reqs;
  int _stop;
  int _running; /* inside eddy_run(): a nested call is -EBUSY */
  int _epfd;
  eddy_queue_t _handles;
  eddy_handle_t *_closing; /* singly linked, in close order */
  eddy_handle_t **_closing_tail;
  eddy_queue_t _pending;
  eddy_queue_t _immediates;
  eddy_queue_t _io_changes;
  struct eddy__watcher_s **_watchers; /* by fd */
  unsigned _nwatchers;
  struct epoll_event *_poll_events; /* the batch being dispatched */
  int _poll_count;
  /* timers: a heap of per-duration FIFO lists, and a hash of the lists */
  struct eddy__timer_list_s **_timer_heap;
  size_t _timer_count; /* lists in the heap */
  size_t _timer_cap;
  uint64_t _timer_seq;
  struct eddy__timer_list_s **_timer_lists; /* hash buckets by duration */
  size_t _timer_buckets;
  size_t _timer_nlists;
  size_t _timer_nempty;
  /* async wake-ups: one eventfd for every async handle of this loop */
  int _async_fd;
  eddy_io_t *_async_io;
  eddy_queue_t _asyncs;
  _Atomic uint64_t _async_sends; /* eventfd writes so far (spin.c watches) */
  uint64_t _spin_ns;             /* busy-wait budget before sleeping */
  int _spin_armed;               /* an async woke the last poll */
  /* signals: one signalfd for every signal handle of this loop */
  int _signal_fd;
  eddy_io_t *_signal_io;
  eddy_queue_t _signals;
  /* thread-pool completions land here (fs.h); the lock is a pthread mutex */
  void *_work_done;
  /* self-measurement: readable from other threads */
  _Atomic(const char *) _label;
  /* callbacks dispatched so far: the stall detector sees a callback still
   * running as a count that has not moved, without a clock read per
   * dispatch */
  _Atomic uint64_t _dispatches;
  /* the stall detector's first sighting of the running callback: its
   * dispatch count and eddy_hrtime() then (0: none) */
  _Atomic uint64_t _stall_seen_seq, _stall_seen_ns;
  _Atomic uint64_t _idle_ns;
  uint64_t _start_ns;
  struct eddy_delay_monitor_s *_delay;
  struct eddy_stall_s *_stall;
};

/*
 * Initialises a loop in caller-owned memory. Returns 0, or -ENOMEM / -EMFILE
 * when the epoll instance cannot be made. Any thread; the loop then belongs
 * to the thread that runs it.
 *
 * If SIGPIPE is at its default action (which kills the process), the first
 * loop sets it to SIG_IGN, as Node and nginx do: a write to a socket or pipe
 * whose reader is gone then fails with -EPIPE. sendfile(2) and writes to
 * pipes cannot be told MSG_NOSIGNAL, so without this one client leaving in
 * the middle of a file download would kill the server. A handler the
 * program installed is left alone.
 */
EDDY_EXTERN int eddy_loop_init(eddy_loop_t *loop);

/*
 * Releases the loop's resources. Returns -EBUSY (and changes nothing) while
 * any handle of the user's is still open or closing: close them all and run
 * the loop until their close callbacks have run.
 */
EDDY_EXTERN int eddy_loop_close(eddy_loop_t *loop);

/*
 * Runs the loop in `mode`. Returns non-zero if referenced work remains
 * (the loop was stopped, or mode is ONCE/NOWAIT), 0 when nothing is left.
 * Called from inside a callback of the same loop (while it runs), it
 * returns -EBUSY at once and runs nothing: a loop does not nest.
 */
EDDY_EXTERN int eddy_run(eddy_loop_t *loop, eddy_run_mode_t mode);

/*
 * Makes eddy_run() return after the current iteration; it does not wait
 * for I/O again. Loop thread only.
 */
EDDY_EXTERN void eddy_loop_stop(eddy_loop_t *loop);

/* Non-zero if referenced active handles, requests or closing handles exist. */
EDDY_EXTERN int eddy_loop_alive(const eddy_loop_t *loop);

/*
 * The loop's cached monotonic clock, read once per iteration: milliseconds
 * and nanoseconds since an arbitrary point. Use eddy_hrtime() for a fresh
 * reading and eddy_loop_update_time() to refresh the cache.
 */
EDDY_EXTERN uint64_t eddy_loop_now(const eddy_loop_t *loop);
EDDY_EXTERN uint64_t eddy_loop_now_ns(const eddy_loop_t *loop);
EDDY_EXTERN void eddy_loop_update_time(eddy_loop_t *loop);

/* A fresh monotonic reading in nanoseconds. Thread-safe. */
EDDY_EXTERN uint64_t eddy_hrtime(void);

/*
 * Cross-thread conversations (ports, workers, thread-pool completions) wake
 * a sleeping loop through an eventfd, and waking a thread that sleeps in
 * epoll_wait costs the kernel 10-20 µs on a virtual CPU, far more than the
 * message. So after an async wake-up, a loop that runs out of work first
 * busy-waits up to `ns` for the next async send before it sleeps; a spin
 * that ends with nothing disarms until the next async wake-up, so a loop
 * with no conversation never spins, and a quiet one spins once per wake-up
 * at most. Thread-pool completions (fs, DNS, eddy_queue_work) do not arm
 * it: the pool's threads need the cores. The spin counts as idle time
 * (utilization). Default: 50 µs when
 * more than one CPU is online, else 0 (a spin there only delays the
 * thread that would send). 0 disables. Loop thread.
 */
EDDY_EXTERN void eddy_loop_set_spin(eddy_loop_t *loop, uint64_t ns);

/*
 * Calls `fn(handle, arg)` for every open handle of the user's on the loop
 * (including closing ones), in creation order. `fn` must not close handles.
 */
EDDY_EXTERN void eddy_loop_walk(eddy_loop_t *loop,
                                void (*fn)(eddy_handle_t *, void *), void *arg);

/* -------------------------------------------------------------- handles */

/*
 * Closes any handle: stops it, then calls `cb` (may be NULL) in the close
 * phase of this or the next iteration. A callback of the handle that was
 * pending is never called afterwards. Returns -EINVAL if the handle is
 * already closing or closed. Loop thread only.
 */
EDDY_EXTERN int eddy_close(eddy_handle_t *handle, eddy_close_cb cb);

/* Non-zero while the handle is active (started and not stopped). */
EDDY_EXTERN int eddy_is_active(const eddy_handle_t *handle);
/* Non-zero from eddy_close() on. */
EDDY_EXTERN int eddy_is_closing(const eddy_handle_t *handle);

/*
 * ref/unref: an unreferenced handle does not keep the loop running (Node's
 * unref). Idempotent. Handles start referenced.
 */
EDDY_EXTERN void eddy_ref(eddy_handle_t *handle);
EDDY_EXTERN void eddy_unref(eddy_handle_t *handle);
EDDY_EXTERN int eddy_has_ref(const eddy_handle_t *handle);

/* Convenience cast: eddy_close(EDDY_HANDLE(&timer), NULL). */
#define EDDY_HANDLE(h) ((eddy_handle_t *)(h))

/* ---------------------------------------------------------- io watchers */

/*
 * An io watcher reports readiness of a file descriptor it does not own.
 *
 * Level-triggered: the callback runs each iteration while the fd is ready
 * and the events are wanted. Level triggering lets a consumer read a bounded
 * amount per event (fairness between connections) without losing the rest,
 * and keeps the interest set stable, so a steady connection costs no
 * epoll_ctl per request. Interest changes are applied just before epoll_wait;
 * stopping is applied at once. An event that was already collected for an fd
 * whose watcher has been stopped in the same iteration is dropped, so an fd
 * closed and reused inside one callback never receives the old fd's events.
 *
 * Errors and hang-ups (EPOLLERR, EPOLLHUP) are reported as the events that
 * were wanted, so the next read or write sees the error.
 */
#define EDDY_READABLE 1u
#define EDDY_WRITABLE 2u

/*
 * The part of a watcher the poll phase uses. Private: streams embed it
 * directly (40 bytes, not a handle of its own), and eddy_io_t wraps it in a
 * handle for users. `fd` and `events` are read-only.
 */
/* clang-format off */
#define EDDY__WATCHER_FIELDS                                                  \
  int fd;           /* read-only */                                           \
  unsigned events;  /* read-only: wanted events */                            \
  unsigned _kernel; /* events registered with epoll */                        \
  void (*_wcb)(struct eddy__watcher_s *w, unsigned events);                   \
  eddy_queue_t _change_node;
/* clang-format on */

typedef struct eddy__watcher_s {
  EDDY__WATCHER_FIELDS
} eddy__watcher_t;

struct eddy_io_s {
  EDDY_HANDLE_FIELDS
  union { /* io->fd and io->events read as before */
    eddy__watcher_t _w;
    struct {
      EDDY__WATCHER_FIELDS
    };
  };
  eddy_io_cb cb;
};

/* Prepares `io` to watch `fd` (which must be valid). -EINVAL, -ENOMEM. */
EDDY_EXTERN int eddy_io_init(eddy_loop_t *loop, eddy_io_t *io, int fd,
                             eddy_io_cb cb);

/*
 * Sets the wanted events (EDDY_READABLE | EDDY_WRITABLE), replacing the
 * previous set; 0 is the same as eddy_io_stop(). -EINVAL on bad flags or a
 * closing handle; -EEXIST if another watcher of this loop already watches fd.
 */
EDDY_EXTERN int eddy_io_start(eddy_io_t *io, unsigned events);

/* Stops watching. The fd may be closed right after. */
EDDY_EXTERN int eddy_io_stop(eddy_io_t *io);

/* --------------------------------------------------------------- timers */

/*
 * Timers with the same duration share one FIFO list (their deadlines are
 * then in start order), and a binary min-heap orders the lists by their
 * first timer's (deadline, start order) — Node's design. Starting, stopping
 * and firing a timer are O(1) when its duration is already in use (the
 * common case: every keep-alive timeout of a server has one duration), and
 * O(log d) in the number d of distinct durations otherwise. Timers with
 * equal deadlines fire in the order they were started. Deadlines are in
 * milliseconds of the loop's cached clock.
 *
 * A timeout of 0 fires in the timers phase of the next iteration; eddy does
 * not clamp it to 1 ms as Node does, because the clamp only exists in Node
 * for web compatibility and costs a millisecond for nothing.
 */
struct eddy_timer_s {
  EDDY_HANDLE_FIELDS
  eddy_timer_cb cb;
  uint64_t deadline; /* read-only */
  uint64_t repeat;   /* read-only */
  uint64_t _seq;
  struct eddy__timer_list_s *_list; /* NULL when not scheduled */
  eddy_queue_t _node;
};

/* Prepares a timer of `loop` (stopped). Cannot fail; returns 0. */
EDDY_EXTERN int eddy_timer_init(eddy_loop_t *loop, eddy_timer_t *timer);

/*
 * Starts (or restarts) the timer: `cb` after `timeout` ms, then every
 * `repeat` ms if non-zero. May be called from the timer's own callback.
 * -EINVAL for a NULL cb or a closing handle; -ENOMEM if the heap cannot grow.
 */
EDDY_EXTERN int eddy_timer_start(eddy_timer_t *timer, eddy_timer_cb cb,
                                 uint64_t timeout, uint64_t repeat);

/* Stops the timer; its callback will not run. Idempotent. */
EDDY_EXTERN int eddy_timer_stop(eddy_timer_t *timer);

/*
 * Restarts a repeating timer with its repeat as the timeout (-EINVAL if it
 * was never started).
 */
EDDY_EXTERN int eddy_timer_again(eddy_timer_t *timer);

/* Changes the repeat interval used after the next expiry. */
EDDY_EXTERN void eddy_timer_set_repeat(eddy_timer_t *timer, uint64_t repeat);

/* Milliseconds until the timer is due, 0 if due or inactive. */
EDDY_EXTERN uint64_t eddy_timer_due_in(const eddy_timer_t *timer);

/* ----------------------------------------------------------- immediates */

/*
 * An immediate runs once in the check phase, after I/O (Node's
 * setImmediate). Immediates run first in first out. One queued from inside
 * the check phase runs in the next iteration, so a self-rearming immediate
 * never starves I/O or timers.
 *
 * An immediate is a light request, not a handle: 48 bytes, no close. Its
 * memory may be reused or freed whenever it is not queued (before start,
 * after eddy_immediate_stop, or from its own callback on). A queued
 * immediate keeps the loop alive unless unreferenced.
 */
struct eddy_immediate_s {
  void *data;
  eddy_loop_t *loop; /* read-only */
  eddy_immediate_cb cb;
  eddy_queue_t _node;
  unsigned _flags;
};

/* Prepares an immediate for `loop`. Cannot fail; returns 0. */
EDDY_EXTERN int eddy_immediate_init(eddy_loop_t *loop, eddy_immediate_t *imm);

/*
 * Queues the immediate. -EALREADY if it is already queued, -EINVAL for a
 * NULL cb. Loop thread only.
 */
EDDY_EXTERN int eddy_immediate_start(eddy_immediate_t *imm,
                                     eddy_immediate_cb cb);

/* Removes it from the queue (Node's clearImmediate). Idempotent. */
EDDY_EXTERN int eddy_immediate_stop(eddy_immediate_t *imm);

/* Non-zero while queued. */
EDDY_EXTERN int eddy_immediate_queued(const eddy_immediate_t *imm);

/* Node's immediate.unref()/ref(): an unreferenced queued immediate does not
 * keep the loop alive. Idempotent; they stay set across starts. */
EDDY_EXTERN void eddy_immediate_unref(eddy_immediate_t *imm);
EDDY_EXTERN void eddy_immediate_ref(eddy_immediate_t *imm);

/* ---------------------------------------------------------------- async */

/*
 * An async handle wakes its loop from any thread. Sends coalesce: many
 * eddy_async_send() calls before the loop gets to it give one callback.
 * All async handles of a loop share one eventfd. An async handle is active
 * from init until close (unref it if it should not keep the loop alive).
 */
struct eddy_async_s {
  EDDY_HANDLE_FIELDS
  eddy_async_cb cb;
  _Atomic int _pending;
  eddy_queue_t _node;
};

/* Loop thread. -EINVAL for a NULL cb; -EMFILE/-ENOMEM for the eventfd. */
EDDY_EXTERN int eddy_async_init(eddy_loop_t *loop, eddy_async_t *async,
                                eddy_async_cb cb);

/*
 * Wakes the loop and has it call the async's callback. Thread-safe and
 * async-signal-safe. Must not be called after eddy_close() of the handle.
 * Returns 0.
 */
EDDY_EXTERN int eddy_async_send(eddy_async_t *async);

/* -------------------------------------------------------------- signals */

/*
 * Signals arrive through a signalfd and run their callbacks on the loop,
 * never in a signal handler. Starting a signal handle blocks that signal in
 * the calling thread, so start signal handles before creating threads (eddy's
 * own threads block all signals). Several handles of one loop may watch the
 * same signal: each is called. Watch a given signal from one loop only: the
 * kernel gives each delivery to one signalfd reader. Stopping the last
 * handle of a signal unblocks it again (its default action returns).
 */
struct eddy_signal_s {
  EDDY_HANDLE_FIELDS
  eddy_signal_cb cb;
  int signum; /* read-only */
  eddy_queue_t _node;
};

/* Prepares a signal handle of `loop` (stopped). Cannot fail; returns 0. */
EDDY_EXTERN int eddy_signal_init(eddy_loop_t *loop, eddy_signal_t *sig);

/*
 * Watches `signum`. -EINVAL for SIGKILL, SIGSTOP, a bad number, or a NULL
 * cb; -EMFILE/-ENOMEM if the signalfd cannot be made.
 */
EDDY_EXTERN int eddy_signal_start(eddy_signal_t *sig, eddy_signal_cb cb,
                                  int signum);

/* Stops watching; the signal is unblocked if no handle of the loop watches
 * it any more. Idempotent. */
EDDY_EXTERN int eddy_signal_stop(eddy_signal_t *sig);

#ifdef __cplusplus
}
#endif

/* The loop's self-measurement (metrics.h) comes with the loop, as before. */
#include "eddy/metrics.h"

#endif

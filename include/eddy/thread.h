/*
 * eddy — worker threads, message ports and shared memory (Node's
 * worker_threads, in C).
 *
 * A worker is a thread running its own eddy loop. It talks to its parent
 * through message ports and may share memory blocks with any thread.
 *
 * Ports. A channel is a pair of endpoints (eddy_port_end_t). An endpoint
 * belongs to no thread until a thread opens it on its loop as an eddy_port_t
 * handle; until then it may be handed to any thread by any means (a worker's
 * start data, a message, a global), and whoever opens or frees it owns it.
 * Messages posted to an endpoint wait in its inbox, in order, until its
 * handle is started; they are then delivered on the owner's loop, many per
 * wake-up (the wake-ups coalesce, as eddy_async_send does).
 *
 * Threads: unless said otherwise, a function taking an eddy_port_t or an
 * eddy_worker_t is called on the thread that runs the handle's loop.
 */
#ifndef EDDY_THREAD_H
#define EDDY_THREAD_H

#include <stddef.h>
#include <stdint.h>

#include "eddy/loop.h"
#include "eddy/metrics.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- threads */

/*
 * Non-zero on the process's main thread (the one that ran main()).
 * Thread-safe.
 */
EDDY_EXTERN int eddy_is_main_thread(void);

/*
 * Node's threadId: 0 on the main thread and on threads eddy did not start as
 * workers, else the worker's id (1, 2, ... in start order, never reused).
 * Thread-safe.
 */
EDDY_EXTERN uint64_t eddy_thread_id(void);

/* -------------------------------------------------------- message ports */

typedef struct eddy_port_end_s eddy_port_end_t;
typedef struct eddy_port_s eddy_port_t;
typedef struct eddy_message_s eddy_message_t;

/*
 * A received message. The receiver owns it and releases it with
 * eddy_message_free(). `data`/`len` are the bytes (a copy, or the sender's
 * transferred buffer). `port` is an endpoint sent along with the message, or
 * NULL: to keep it, open it (eddy_port_open) or set msg->port = NULL and
 * free it later with eddy_port_end_free(); else eddy_message_free() frees it.
 */
struct eddy_message_s {
  void *data;
  size_t len;
  eddy_port_end_t *port;
  /* private */
  struct eddy_message_s *_next;
  int _transferred;
};

/*
 * Called on the port's loop: once per message with status 0 (the callee
 * owns `msg`), and once with status EDDY_ECLOSED and msg NULL after the
 * other endpoint was closed and every message it sent was delivered.
 */
typedef void (*eddy_port_cb)(eddy_port_t *port, int status,
                             eddy_message_t *msg);

struct eddy_port_s {
  EDDY_HANDLE_FIELDS
  eddy_port_cb cb; /* read-only: set by eddy_port_start */
  /* private */
  eddy_port_end_t *_end;
  eddy_async_t _async;
  int _told_closed;
};

/*
 * Makes a channel: two connected endpoints, returned in *a and *b, owned by
 * the caller until opened or freed. -EINVAL, -ENOMEM. Thread-safe.
 */
EDDY_EXTERN int eddy_channel_create(eddy_port_end_t **a, eddy_port_end_t **b);

/*
 * Releases an endpoint that was never opened (or one taken out of a message).
 * Its peer sees the channel close; messages waiting in its inbox are freed.
 * Thread-safe; the caller must own `end`.
 */
EDDY_EXTERN void eddy_port_end_free(eddy_port_end_t *end);

/*
 * Opens endpoint `end` on `loop` as the handle `port`, which now owns the
 * endpoint (eddy_close(port) releases it and tells the peer). Messages wait
 * until eddy_port_start(). -EINVAL if `end` is NULL or already open; on an
 * error the caller still owns `end`. Loop thread.
 */
EDDY_EXTERN int eddy_port_open(eddy_loop_t *loop, eddy_port_t *port,
                               eddy_port_end_t *end);

/*
 * Starts delivering messages to `cb` (Node's port.on('message')), from the
 * next loop iteration on. A started port keeps its loop alive (unref it if it
 * should not). -EINVAL for a NULL cb or a closing port.
 */
EDDY_EXTERN int eddy_port_start(eddy_port_t *port, eddy_port_cb cb);

/*
 * Stops delivery; messages keep waiting in the inbox. A batch being
 * delivered stops after the current message. Idempotent.
 */
EDDY_EXTERN int eddy_port_stop(eddy_port_t *port);

/*
 * Posts a copy of `len` bytes at `buf` (len 0 is a valid, empty message).
 * The copy is made before the call returns: `buf` stays the caller's.
 * EDDY_ECLOSED if the other endpoint is closed, -EINVAL on a closing port,
 * -ENOMEM.
 */
EDDY_EXTERN int eddy_port_post(eddy_port_t *port, const void *buf, size_t len);

/*
 * Posts a malloc'd buffer without copying (Node's transferList): on success
 * `buf` belongs to the receiver, which frees it through eddy_message_free();
 * the sender must not touch it again. On an error (EDDY_ECLOSED, -EINVAL,
 * -ENOMEM) `buf` is still the sender's.
 */
EDDY_EXTERN int eddy_port_post_transfer(eddy_port_t *port, void *buf,
                                        size_t len);

/*
 * Sends endpoint `end` (never opened, owned by the caller) along with a copy
 * of `len` bytes at `buf` (may be NULL with len 0): on success the receiver
 * owns it as msg->port. -EINVAL if `end` is NULL, open, or this port's own
 * endpoint; EDDY_ECLOSED; -ENOMEM. On an error the caller still owns `end`.
 */
EDDY_EXTERN int eddy_port_post_port(eddy_port_t *port, eddy_port_end_t *end,
                                    const void *buf, size_t len);

/*
 * Node's receiveMessageOnPort(): takes the oldest waiting message now, into
 * *msg (the caller owns it). Works whether or not the port is started.
 * Returns 0, -EAGAIN if the inbox is empty, or EDDY_ECLOSED if it is empty
 * and the other endpoint is closed. Never blocks.
 */
EDDY_EXTERN int eddy_port_receive(eddy_port_t *port, eddy_message_t **msg);

/* Frees a message, its data and any endpoint still in it. NULL is a no-op. */
EDDY_EXTERN void eddy_message_free(eddy_message_t *msg);

/* ------------------------------------------------------- shared memory */

/*
 * A reference-counted block of memory that several threads see at the same
 * address (SharedArrayBuffer). The block is zeroed and 64-byte aligned. The
 * data are the users' to synchronise: use C11 atomics on the cells, and
 * eddy_atomic_wait/notify to sleep until a cell changes.
 */
typedef struct eddy_shared_s eddy_shared_t;

/*
 * Allocates a block of `size` bytes (> 0) with one reference, owned by the
 * caller. -EINVAL, -ENOMEM. Thread-safe.
 */
EDDY_EXTERN int eddy_shared_create(size_t size, eddy_shared_t **out);

/* Takes one more reference and returns `sh`. Thread-safe. */
EDDY_EXTERN eddy_shared_t *eddy_shared_ref(eddy_shared_t *sh);

/* Drops one reference; the block is freed with the last. Thread-safe. */
EDDY_EXTERN void eddy_shared_unref(eddy_shared_t *sh);

/* The block's bytes and size. Thread-safe. */
EDDY_EXTERN void *eddy_shared_data(eddy_shared_t *sh);
EDDY_EXTERN size_t eddy_shared_size(const eddy_shared_t *sh);

/*
 * The 32-bit cell at `index` (counted in 32-bit cells, as an Int32Array
 * over the block), or NULL if it lies outside the block. Thread-safe.
 */
EDDY_EXTERN _Atomic int32_t *eddy_shared_i32(eddy_shared_t *sh, size_t index);

/*
 * Atomics.wait: sleeps while *cell == expected, until eddy_atomic_notify()
 * on the cell or `timeout_ms` passes (-1 = no timeout). Returns 0 when
 * woken ("ok"), -EAGAIN if *cell != expected at the call ("not-equal"), or
 * -ETIMEDOUT ("timed-out"). A wake-up may be spurious: re-check the
 * cell. Blocks the calling thread: never call it from a loop callback.
 */
EDDY_EXTERN int eddy_atomic_wait(_Atomic int32_t *cell, int32_t expected,
                                 int64_t timeout_ms);

/*
 * Atomics.notify: wakes up to `count` threads waiting on `cell` (count < 0:
 * all). Returns how many were woken. Never blocks. Thread-safe.
 */
EDDY_EXTERN int eddy_atomic_notify(_Atomic int32_t *cell, int count);

/* -------------------------------------------------------------- workers */

typedef struct eddy_worker_s eddy_worker_t;

/*
 * A worker's entry function, run on the new thread with the worker's own
 * loop, a private copy of the start data (valid until the worker ends) and
 * the worker's end of the parent port (opened, not started). When it
 * returns, the worker runs its loop until no referenced work is left (a
 * started parent port keeps it alive, as in Node), then closes every handle
 * and ends the thread, never the process. A return value >= 0 is the exit
 * code; a negative one is an error: the parent gets it through on_error,
 * then an exit with code 1.
 */
typedef int (*eddy_worker_entry)(eddy_loop_t *loop, void *data, size_t len,
                                 eddy_port_t *parent);

/* On the parent's loop when the worker's entry reported an error. */
typedef void (*eddy_worker_error_cb)(eddy_worker_t *worker, int error);

/*
 * On the parent's loop when the worker has ended: its loop is closed and
 * it has made its last report (status is 0, or EDDY_ETERMINATED after
 * eddy_worker_terminate(); exit_code is the code). The thread itself may
 * still be ending (thread-local destructors): it is detached and never
 * waited for, since the loop never blocks, and touches nothing of the
 * parent's any more. The worker handle may then be closed (and freed in
 * its close callback).
 */
typedef void (*eddy_worker_exit_cb)(eddy_worker_t *worker, int status,
                                    int exit_code);

typedef struct {
  const char *name;              /* thread name (15 chars kept), or NULL */
  size_t stack_size;             /* 0: the system default */
  unsigned delay_resolution_ms;  /* > 0: measure the worker's loop delay */
  eddy_worker_error_cb on_error; /* may be NULL */
  eddy_worker_exit_cb on_exit;   /* may be NULL */
} eddy_worker_opts_t;

struct eddy_worker_s {
  EDDY_HANDLE_FIELDS
  /* The parent's end of the parent port: start it to hear the worker. It is
   * closed with the worker handle. */
  eddy_port_t port;
  uint64_t thread_id; /* read-only: the worker's eddy_thread_id() */
  int exit_code;      /* read-only: valid once on_exit has run */
  /* private */
  eddy_worker_opts_t _opts;
  struct eddy__worker_shared_s *_sh;
  eddy_async_t _exit_async;
};

/*
 * Starts a worker thread running `entry`, with a copy of `len` bytes at
 * `data` (may be NULL with len 0) and opts (NULL for defaults). The worker
 * handle is active (keeps the loop alive) until the worker has ended (see
 * eddy_worker_exit_cb). Closing the handle of a running worker terminates
 * it without waiting: the thread winds down and frees its state alone.
 * -EINVAL, -ENOMEM, -EAGAIN (no thread could be made). Loop thread.
 */
EDDY_EXTERN int eddy_worker_start(eddy_loop_t *loop, eddy_worker_t *worker,
                                  eddy_worker_entry entry, const void *data,
                                  size_t len, const eddy_worker_opts_t *opts);

/*
 * Asks the worker to stop: its loop stops at its next iteration (a callback
 * already running finishes first: C cannot stop a running function), its
 * handles are closed, and on_exit gets EDDY_ETERMINATED with exit code 1.
 * 0, or EDDY_ECLOSED if the worker has already ended. Loop thread.
 */
EDDY_EXTERN int eddy_worker_terminate(eddy_worker_t *worker);

/*
 * From inside a worker (its loop thread): ends the worker with `code` after
 * the current callback, as Node's process.exit() in a worker. -EINVAL if
 * `loop` is not a worker's loop.
 */
EDDY_EXTERN int eddy_worker_exit(eddy_loop_t *loop, int code);

/*
 * The worker loop's utilization (see eddy_loop_utilization), since its start
 * or since `prev`; after the worker ended, its final figure. Loop thread of
 * the parent.
 */
EDDY_EXTERN eddy_elu_t eddy_worker_utilization(eddy_worker_t *worker,
                                               const eddy_elu_t *prev);

/*
 * The worker loop's delay histogram summary (opts.delay_resolution_ms must
 * be > 0), as of its last refresh (every 100 ms and at exit). -ENOENT if not
 * measured. Loop thread of the parent.
 */
EDDY_EXTERN int eddy_worker_delay_stats(eddy_worker_t *worker,
                                        eddy_hist_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif

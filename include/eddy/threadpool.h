/*
 * eddy — the process-wide thread pool (libuv's model): blocking work runs on
 * a pool thread and its completion runs on the loop that submitted it. The
 * async file system (fs.h) and getaddrinfo (dns.h) are built on it; CPU work
 * of the user's belongs in the worker pool (pool.h), so that it cannot starve
 * file I/O.
 */
#ifndef EDDY_THREADPOOL_H
#define EDDY_THREADPOOL_H

#include "eddy/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --------------------------------------------------------- thread pool */

typedef struct eddy_work_s eddy_work_t;

/* Runs on a pool thread. */
typedef void (*eddy_work_cb)(eddy_work_t *req);
/* Runs on the loop thread: status 0, or -ECANCELED after eddy_cancel(). */
typedef void (*eddy_after_work_cb)(eddy_work_t *req, int status);

/*
 * A unit of pool work. Caller-owned; it must stay valid until its
 * after-work callback has run. Reusable from (or after) that callback.
 */
struct eddy_work_s {
  void *data;
  eddy_loop_t *loop; /* read-only: the submitting loop */
  /* private */
  eddy_work_cb _work_cb;
  eddy_after_work_cb _after_cb;
  eddy_queue_t _node;
  int _state;
  int _slow;
};

/*
 * Queues `req`: `work_cb(req)` runs on a pool thread, then
 * `after_work_cb(req, status)` on this loop's thread (`after_work_cb` may be
 * NULL). The request keeps the loop alive until its after-work callback.
 * Returns 0; -EINVAL for a NULL loop, req or work_cb; -ENOMEM / -EMFILE if the
 * loop's completion queue cannot be made; -EAGAIN if no pool thread could be
 * started. On error nothing is called. Loop thread only.
 */
EDDY_EXTERN int eddy_queue_work(eddy_loop_t *loop, eddy_work_t *req,
                                eddy_work_cb work_cb,
                                eddy_after_work_cb after_work_cb);

/*
 * Cancels a request that is still queued: its work callback will not run,
 * and its after-work callback runs later on the loop (never inside this
 * call) with -ECANCELED. Returns 0; -EBUSY if the work already runs or has
 * run; -EINVAL for NULL. Loop thread only.
 */
EDDY_EXTERN int eddy_cancel(eddy_work_t *req);

/*
 * The number of pool threads: EDDY_THREADPOOL_SIZE read once, clamped to
 * 1..1024, default 4 (an unparsable value gives the default). Starts the
 * pool if it was not running. Any thread.
 */
EDDY_EXTERN unsigned eddy_threadpool_size(void);

/* The process-wide pool's figures (for /metrics). */
typedef struct {
  size_t queued;      /* requests waiting for a thread now */
  unsigned running;   /* requests whose work runs now */
  unsigned threads;   /* pool threads started (0 before the first use) */
  uint64_t completed; /* work callbacks that have returned, ever */
} eddy_threadpool_stats_t;

/*
 * Copies the pool's figures into `out` (one consistent snapshot, taken
 * under the pool's lock; fork resets them with the pool). Any thread.
 */
EDDY_EXTERN void eddy_threadpool_stats(eddy_threadpool_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif

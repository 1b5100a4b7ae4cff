/*
 * eddy — a generic resource pool (npm generic-pool's model, in C).
 *
 * A pool lends out resources that are costly to make: database sessions,
 * kept-alive HTTP connections. The user supplies a factory of three
 * asynchronous operations — create, destroy and (optionally) validate —
 * each of which reports its end through eddy_respool_done(); the pool
 * decides when to run them. The pool keeps between `min` and `max`
 * resources, lends idle ones first, makes new ones while below `max`, and
 * queues the rest of the borrowers first in first out, up to a bound: a
 * borrower past it is refused at once (EDDY_EQUEUEFULL), never queued
 * without limit.
 *
 * Resources are intrusive: the user embeds an eddy_respool_res_t in the
 * struct of the resource (a connection) and hands its address to the pool
 * when a create completes; the pool links it into its lists without
 * allocating, and the user gets the outer struct back with
 * EDDY_CONTAINER_OF. The only allocation is one small record per factory
 * operation in flight.
 *
 * Borrowing: eddy_respool_acquire() queues a caller-owned request; its
 * callback runs later (never inside the call) exactly once, with 0 and a
 * resource, or with an error: -ETIMEDOUT (acquire_timeout_ms passed),
 * -ECANCELED (eddy_respool_cancel, or the pool was closed), or the status
 * a failed create reported. A create that fails is charged to the borrower
 * at the head of the queue when no other operation in flight would serve it
 * (so a refused database connection reaches a caller instead of a silent
 * retry loop); a failure with no borrower waiting stops the pool from
 * refilling to `min` until the next acquire.
 *
 * Giving back: eddy_respool_release() returns a resource to the idle list
 * (through validate first when validate_on_return is set);
 * eddy_respool_destroy() destroys it instead (generic-pool's destroy: the
 * resource is broken), and works on an idle resource too (a kept-alive
 * connection the server closed while idle).
 *
 * Idle eviction: a resource idle for idle_timeout_ms is destroyed, as long
 * as the pool keeps `min`. Idle resources are lent most recently used first
 * (so the least used age out and a burst's surplus shrinks back), or oldest
 * first with `fifo`.
 *
 * Ending: eddy_respool_drain() refuses new borrowers (EDDY_ECLOSED), serves
 * the queued ones, and calls back once nothing is queued or borrowed.
 * eddy_respool_close() cancels the queued borrowers, waits for every
 * borrowed resource to come back, destroys all of them, and calls back when
 * the last destroy has completed; the pool's memory may be freed from that
 * callback on.
 * A destroy's end is taken at once by eddy_respool_done(), so the factory
 * may free the resource right after that call returns.
 *
 * Threads: a pool belongs to its loop's thread; every function here is for
 * that thread only, and every callback runs there. Factory operations may
 * complete (eddy_respool_done) from inside the factory callback itself or
 * any time later, but on the loop thread.
 *
 * Errors: functions return 0 or a negative code; a function that returns
 * an error never calls the callback it was given.
 */
#ifndef EDDY_RESPOOL_H
#define EDDY_RESPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "eddy/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eddy_respool_s eddy_respool_t;
typedef struct eddy_respool_res_s eddy_respool_res_t;
typedef struct eddy_respool_op_s eddy_respool_op_t;
typedef struct eddy_respool_acquire_s eddy_respool_acquire_t;

/* Borrowers a pool queues when max_waiting is 0. */
#define EDDY_RESPOOL_WAITING_DEFAULT 1024u

/* What a factory operation is doing (op->kind). */
typedef enum {
  EDDY_RESPOOL_CREATE = 1,
  EDDY_RESPOOL_DESTROY,
  EDDY_RESPOOL_VALIDATE
} eddy_respool_op_kind_t;

/*
 * One factory operation in flight, made by the pool and handed to a factory
 * callback; the factory ends it with eddy_respool_done(). `data` is free for
 * the factory's use (a connect request, say); `res` is the resource being
 * destroyed or validated (NULL for a create). Read-only but data.
 */
struct eddy_respool_op_s {
  void *data;
  eddy_respool_t *pool;
  eddy_respool_op_kind_t kind;
  eddy_respool_res_t *res;
  /* private */
  eddy_queue_t _node;
  int _status;
};

/*
 * The link a resource embeds. `data` is the user's; the rest is private.
 * The struct that embeds it must stay valid until the destroy operation of
 * this resource has completed.
 */
struct eddy_respool_res_s {
  void *data;
  /* private */
  eddy_respool_t *_pool;
  eddy_queue_t _node;      /* in the idle list or the ready list */
  uint64_t _idle_since;    /* loop ms */
  unsigned _state;
  eddy_respool_op_t _op;   /* its validate or destroy: never allocated */
};

/*
 * The factory: three operations, each started by the pool with an op that
 * the factory must end with exactly one eddy_respool_done(), at once or
 * later. `validate` may be NULL (every resource is valid).
 *
 *   create:   make a resource; done(op, 0, res) with the embedded link of
 *             the new resource, or done(op, -errno, NULL).
 *   destroy:  release op->res and its outer struct; done(op, status, NULL)
 *             (the status is ignored: the resource is gone either way).
 *   validate: check op->res; done(op, 0, NULL) if it may be lent,
 *             done(op, negative, NULL) if it must be destroyed.
 */
typedef struct {
  void (*create)(eddy_respool_t *pool, eddy_respool_op_t *op);
  void (*destroy)(eddy_respool_t *pool, eddy_respool_op_t *op);
  void (*validate)(eddy_respool_t *pool, eddy_respool_op_t *op);
} eddy_respool_factory_t;

/* Options; zero means the default given. */
typedef struct {
  unsigned min;                /* kept even when idle; default 0 */
  unsigned max;                /* resources at most (creating, idle, lent);
                                  default 10 */
  unsigned max_waiting;        /* queued borrowers at most; default
                                  EDDY_RESPOOL_WAITING_DEFAULT */
  uint64_t acquire_timeout_ms; /* a queued borrower fails with -ETIMEDOUT
                                  after this; 0: waits for ever */
  uint64_t idle_timeout_ms;    /* an idle resource above min is destroyed
                                  after this; 0: never */
  int validate_on_borrow;      /* validate an idle resource before lending */
  int validate_on_return;      /* validate a released resource */
  int fifo;                    /* lend the oldest idle resource first */
} eddy_respool_opts_t;

/*
 * A borrower's callback: status 0 and the resource, or an error (see the
 * top of this file) and NULL. The request is the caller's again from here.
 */
typedef void (*eddy_respool_acquire_cb)(eddy_respool_acquire_t *req,
                                        int status, eddy_respool_res_t *res);

/* The end of a drain or of a close. */
typedef void (*eddy_respool_cb)(eddy_respool_t *pool);

/*
 * A caller-owned acquire request; nothing to fill in. It must stay valid,
 * and must not be queued again, until its callback has run.
 */
struct eddy_respool_acquire_s {
  void *data;
  eddy_respool_t *pool; /* read-only */
  /* private */
  eddy_respool_acquire_cb _cb;
  eddy_queue_t _node;
  uint64_t _deadline; /* loop ms; 0: none */
  int _state;
};

/* The pool's counts now (generic-pool's size, available, borrowed, pending). */
typedef struct {
  unsigned size;       /* creating + idle + validating + borrowed */
  unsigned available;  /* idle, ready to lend */
  unsigned borrowed;   /* lent out */
  unsigned pending;    /* borrowers queued */
  unsigned creating;   /* creates in flight */
  unsigned validating; /* validations in flight */
  unsigned destroying; /* destroys in flight (not counted in size) */
  uint64_t created, destroyed, acquired, timed_out, create_failed;
} eddy_respool_stats_t;

/* The pool: caller-owned, embeddable. `data` is the user's. */
struct eddy_respool_s {
  void *data;
  eddy_loop_t *loop; /* read-only */
  /* private */
  eddy_respool_factory_t _factory;
  eddy_respool_opts_t _opts;
  eddy_queue_t _idle;    /* oldest first */
  eddy_queue_t _ready;   /* made or checked, to hand to a borrower */
  eddy_queue_t _waiters; /* acquire requests, first come first */
  eddy_queue_t _gone;    /* cancelled requests awaiting their callback */
  eddy_queue_t _done;    /* completed factory operations */
  eddy_respool_stats_t _st;
  eddy_timer_t _acquire_timer;
  eddy_timer_t _evict_timer;
  eddy_immediate_t _kick;
  eddy_respool_cb _drain_cb;
  eddy_respool_cb _close_cb;
  int _phase;
  int _refill_stopped;
  int _timers_open;
};

/*
 * Initialises `pool` on `loop` with `factory` (copied; create and destroy
 * required) and `opts` (copied; NULL for defaults), and starts creating
 * `min` resources. Returns 0 or -EINVAL (NULL create/destroy, min > max).
 * Loop thread.
 */
EDDY_EXTERN int eddy_respool_init(eddy_loop_t *loop, eddy_respool_t *pool,
                                  const eddy_respool_factory_t *factory,
                                  const eddy_respool_opts_t *opts);

/*
 * Borrows a resource: `cb` runs later with it, or with an error. Returns 0,
 * or with no callback: -EINVAL (NULL argument),
 * EDDY_ECLOSED (draining or closing), EDDY_EQUEUEFULL (max_waiting
 * borrowers are queued).
 */
EDDY_EXTERN int eddy_respool_acquire(eddy_respool_t *pool,
                                     eddy_respool_acquire_t *req,
                                     eddy_respool_acquire_cb cb);

/*
 * Takes an idle resource at once when one is available and nobody is
 * queued, without validating it: the fast path of a keep-alive client,
 * which checks its connection itself. Returns 0 and sets *res, -EAGAIN
 * (nothing idle, or borrowers queued), -ENOTSUP (validate_on_borrow is
 * set), EDDY_ECLOSED.
 */
EDDY_EXTERN int eddy_respool_try_acquire(eddy_respool_t *pool,
                                         eddy_respool_res_t **res);

/*
 * Withdraws a queued acquire: its callback runs later with -ECANCELED.
 * -EINVAL if the request, once queued, is no longer (its callback has run
 * or will run). Only for a request that eddy_respool_acquire() accepted.
 */
EDDY_EXTERN int eddy_respool_cancel(eddy_respool_acquire_t *req);

/*
 * Gives a borrowed resource back. -EINVAL if `res` is not lent out by
 * `pool`. During a close the resource is destroyed.
 */
EDDY_EXTERN int eddy_respool_release(eddy_respool_t *pool,
                                     eddy_respool_res_t *res);

/*
 * Destroys a borrowed or idle resource of `pool` (it is broken, or its
 * peer closed it). -EINVAL if `res` is neither.
 */
EDDY_EXTERN int eddy_respool_destroy(eddy_respool_t *pool,
                                     eddy_respool_res_t *res);

/*
 * Ends a factory operation (see eddy_respool_factory_t). May be called
 * inside the factory callback or later, on the loop thread, exactly once
 * per op; the op is freed by the pool afterwards.
 */
EDDY_EXTERN void eddy_respool_done(eddy_respool_op_t *op, int status,
                                   eddy_respool_res_t *res);

/*
 * Stops lending to new borrowers and calls `cb` once the queued ones have
 * been served (or failed) and every resource has come back. -EALREADY if
 * draining or closing, -EINVAL for a NULL cb.
 */
EDDY_EXTERN int eddy_respool_drain(eddy_respool_t *pool, eddy_respool_cb cb);

/*
 * Closes the pool: queued borrowers get -ECANCELED, idle resources are
 * destroyed at once and borrowed ones when they come back; `cb` (may be
 * NULL) runs after the last destroy has completed and the pool's handles
 * are closed. -EALREADY if already closing. Works after a drain too.
 */
EDDY_EXTERN int eddy_respool_close(eddy_respool_t *pool, eddy_respool_cb cb);

/* Copies the pool's counts into *out. */
EDDY_EXTERN void eddy_respool_stats(const eddy_respool_t *pool,
                                    eddy_respool_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif

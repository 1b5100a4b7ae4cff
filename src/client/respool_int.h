/*
 * Private to the resource pool (src/client/respool*.c): states, and the
 * functions its three files share.
 */
#ifndef EDDY_CLIENT_RESPOOL_INT_H
#define EDDY_CLIENT_RESPOOL_INT_H

#include "eddy/respool.h"

/* Resource states (res->_state); 0 is "not in any pool". */
enum { RES_IDLE = 1, RES_READY, RES_VALIDATING, RES_BORROWED, RES_DESTROYING };

/* Request states (req->_state). */
enum { REQ_FREE = 0, REQ_WAITING, REQ_GONE };

/* Pool phases (pool->_phase). */
enum { POOL_OPEN = 0, POOL_DRAINING, POOL_CLOSING, POOL_CLOSED };

/* Runs eddy__respool_serve() in the check phase (never inside a call). */
void eddy__respool_kick(eddy_respool_t *pool);

/* The immediate's work: completions, deliveries, lending, refilling. */
void eddy__respool_serve(eddy_respool_t *pool);

/* Starts a factory operation; on -ENOMEM the caller's state is unchanged. */
int eddy__respool_start_op(eddy_respool_t *pool, eddy_respool_op_kind_t kind,
                           eddy_respool_res_t *res);

/* Removes `res` from the counts and starts its destroy. */
void eddy__respool_destroy_res(eddy_respool_t *pool, eddy_respool_res_t *res);

/* Puts a resource on the idle list (newest last) and arms eviction. */
void eddy__respool_make_idle(eddy_respool_t *pool, eddy_respool_res_t *res);

/* Arms the acquire-timeout timer for the queue's head, if any. */
void eddy__respool_arm_acquire(eddy_respool_t *pool);

/* Arms the eviction timer for the oldest idle resource, if any. */
void eddy__respool_arm_evict(eddy_respool_t *pool);

/* Closes what the pool must close once it is empty; then the close cb. */
void eddy__respool_check_end(eddy_respool_t *pool);

#endif

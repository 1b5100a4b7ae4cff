/*
 * The resource pool's one place of action, run from its immediate: take
 * the ends of factory operations, answer cancelled borrowers, lend to the
 * queue in order, refill to `min`, and finish a drain or a close. Every
 * user callback of the pool but the acquire timeout runs from here, so no
 * call into the pool ever calls back into its caller.
 */
#include <stdlib.h>

#include "client/respool_int.h"

static eddy_respool_acquire_t *head_waiter(eddy_respool_t *pool) {
  return EDDY_CONTAINER_OF(eddy_queue_head(&pool->_waiters),
                           eddy_respool_acquire_t, _node);
}

static void answer(eddy_respool_acquire_t *req, int status,
                   eddy_respool_res_t *res) {
  eddy_queue_remove(&req->_node);
  if (req->_state == REQ_WAITING) req->pool->_st.pending--;
  req->_state = REQ_FREE;
  req->_cb(req, status, res);
}

static void grant(eddy_respool_t *pool, eddy_respool_res_t *res) {
  res->_state = RES_BORROWED;
  pool->_st.borrowed++;
  pool->_st.acquired++;
  answer(head_waiter(pool), 0, res);
}

/* Operations in flight that will each serve one queued borrower. */
static unsigned coming(const eddy_respool_t *pool) {
  return pool->_st.creating + pool->_st.validating;
}

static void create_ended(eddy_respool_t *pool, eddy_respool_op_t *op) {
  int status = op->_status;
  eddy_respool_res_t *res = op->res;
  free(op);
  pool->_st.creating--;
  if (status == 0 && !res) status = -EINVAL; /* a factory bug, as a failure */
  if (status == 0) {
    res->_pool = pool;
    res->_state = RES_READY;
    pool->_st.created++;
    eddy_queue_push(&pool->_ready, &res->_node);
    return;
  }
  pool->_st.size--;
  pool->_st.create_failed++;
  if (pool->_st.pending > coming(pool))
    answer(head_waiter(pool), status, NULL);
  else
    pool->_refill_stopped = 1; /* no retry loop against a dead peer */
}

static void validate_ended(eddy_respool_t *pool, eddy_respool_op_t *op) {
  eddy_respool_res_t *res = op->res;
  pool->_st.validating--;
  if (op->_status == 0) {
    res->_state = RES_READY;
    eddy_queue_push(&pool->_ready, &res->_node);
  } else {
    eddy__respool_destroy_res(pool, res);
  }
}

static void take_ends(eddy_respool_t *pool) {
  while (!eddy_queue_empty(&pool->_done)) {
    eddy_queue_t *q = eddy_queue_head(&pool->_done);
    eddy_respool_op_t *op = EDDY_CONTAINER_OF(q, eddy_respool_op_t, _node);
    eddy_queue_remove(q);
    if (op->kind == EDDY_RESPOOL_CREATE)
      create_ended(pool, op);
    else
      validate_ended(pool, op);
  }
}

static void answer_gone(eddy_respool_t *pool) {
  while (!eddy_queue_empty(&pool->_gone)) {
    eddy_respool_acquire_t *req = EDDY_CONTAINER_OF(
        eddy_queue_head(&pool->_gone), eddy_respool_acquire_t, _node);
    answer(req, -ECANCELED, NULL);
  }
}

static eddy_respool_res_t *pop_list(eddy_queue_t *list, int newest) {
  eddy_queue_t *q = newest ? list->prev : list->next;
  eddy_queue_remove(q);
  return EDDY_CONTAINER_OF(q, eddy_respool_res_t, _node);
}

/* One step of lending; returns 0 when nothing more can be done now. */
static int lend_one(eddy_respool_t *pool) {
  if (!eddy_queue_empty(&pool->_ready)) {
    grant(pool, pop_list(&pool->_ready, 0));
    return 1;
  }
  if (pool->_st.pending <= coming(pool)) return 0;
  if (!eddy_queue_empty(&pool->_idle)) {
    eddy_respool_res_t *res = pop_list(&pool->_idle, !pool->_opts.fifo);
    pool->_st.available--;
    if (!pool->_opts.validate_on_borrow || !pool->_factory.validate)
      grant(pool, res);
    else
      eddy__respool_start_op(pool, EDDY_RESPOOL_VALIDATE, res);
    return 1;
  }
  if (pool->_st.size >= pool->_opts.max) return 0;
  if (eddy__respool_start_op(pool, EDDY_RESPOOL_CREATE, NULL) < 0)
    answer(head_waiter(pool), -ENOMEM, NULL);
  return 1;
}

/* Ready resources nobody waited for rest, or go during a close. */
static void settle_ready(eddy_respool_t *pool) {
  while (!eddy_queue_empty(&pool->_ready)) {
    eddy_respool_res_t *res = pop_list(&pool->_ready, 0);
    if (pool->_phase >= POOL_CLOSING)
      eddy__respool_destroy_res(pool, res);
    else
      eddy__respool_make_idle(pool, res);
  }
}

static void refill(eddy_respool_t *pool) {
  while (pool->_phase == POOL_OPEN && !pool->_refill_stopped &&
         pool->_st.size < pool->_opts.min) {
    if (eddy__respool_start_op(pool, EDDY_RESPOOL_CREATE, NULL) < 0) break;
  }
}

void eddy__respool_serve(eddy_respool_t *pool) {
  take_ends(pool);
  answer_gone(pool);
  if (pool->_phase >= POOL_CLOSING) settle_ready(pool);
  while (!eddy_queue_empty(&pool->_waiters) && lend_one(pool)) {
  }
  settle_ready(pool);
  eddy__respool_arm_acquire(pool);
  refill(pool);
  eddy__respool_check_end(pool);
}

/*
 * The resource pool's clocks and its end: the acquire timeout (one timer
 * for the queue: every borrower waits the same time, so deadlines are in
 * queue order), idle eviction (one unreferenced timer for the oldest idle
 * resource), drain and close.
 */
#include "client/respool_int.h"

static void on_acquire_timer(eddy_timer_t *t) {
  eddy_respool_t *pool = t->data;
  uint64_t now = eddy_loop_now(pool->loop);
  while (!eddy_queue_empty(&pool->_waiters)) {
    eddy_respool_acquire_t *req = EDDY_CONTAINER_OF(
        eddy_queue_head(&pool->_waiters), eddy_respool_acquire_t, _node);
    if (req->_deadline > now) break;
    eddy_queue_remove(&req->_node);
    pool->_st.pending--;
    pool->_st.timed_out++;
    req->_state = REQ_FREE;
    req->_cb(req, -ETIMEDOUT, NULL);
  }
  eddy__respool_arm_acquire(pool);
  eddy__respool_kick(pool); /* a drain may have ended */
}

void eddy__respool_arm_acquire(eddy_respool_t *pool) {
  if (!pool->_opts.acquire_timeout_ms || pool->_phase == POOL_CLOSED) return;
  if (eddy_queue_empty(&pool->_waiters)) {
    eddy_timer_stop(&pool->_acquire_timer);
    return;
  }
  if (eddy_is_active(EDDY_HANDLE(&pool->_acquire_timer))) return;
  eddy_respool_acquire_t *req = EDDY_CONTAINER_OF(
      eddy_queue_head(&pool->_waiters), eddy_respool_acquire_t, _node);
  uint64_t now = eddy_loop_now(pool->loop);
  uint64_t wait = req->_deadline > now ? req->_deadline - now : 0;
  eddy_timer_start(&pool->_acquire_timer, on_acquire_timer, wait, 0);
}

static void on_evict_timer(eddy_timer_t *t) {
  eddy_respool_t *pool = t->data;
  uint64_t now = eddy_loop_now(pool->loop);
  while (!eddy_queue_empty(&pool->_idle) && pool->_st.size > pool->_opts.min) {
    eddy_respool_res_t *res = EDDY_CONTAINER_OF(eddy_queue_head(&pool->_idle),
                                                eddy_respool_res_t, _node);
    if (now - res->_idle_since < pool->_opts.idle_timeout_ms) break;
    eddy_queue_remove(&res->_node);
    pool->_st.available--;
    eddy__respool_destroy_res(pool, res);
  }
  eddy__respool_arm_evict(pool);
}

void eddy__respool_arm_evict(eddy_respool_t *pool) {
  if (!pool->_opts.idle_timeout_ms || pool->_phase == POOL_CLOSED) return;
  if (eddy_is_active(EDDY_HANDLE(&pool->_evict_timer))) return;
  if (eddy_queue_empty(&pool->_idle) || pool->_st.size <= pool->_opts.min)
    return;
  eddy_respool_res_t *res = EDDY_CONTAINER_OF(eddy_queue_head(&pool->_idle),
                                              eddy_respool_res_t, _node);
  uint64_t due = res->_idle_since + pool->_opts.idle_timeout_ms;
  uint64_t now = eddy_loop_now(pool->loop);
  eddy_timer_start(&pool->_evict_timer, on_evict_timer,
                   due > now ? due - now : 0, 0);
}

int eddy_respool_drain(eddy_respool_t *pool, eddy_respool_cb cb) {
  if (!pool || !cb) return -EINVAL;
  if (pool->_phase != POOL_OPEN) return -EALREADY;
  pool->_phase = POOL_DRAINING;
  pool->_drain_cb = cb;
  eddy__respool_kick(pool);
  return 0;
}

int eddy_respool_close(eddy_respool_t *pool, eddy_respool_cb cb) {
  if (!pool) return -EINVAL;
  if (pool->_phase >= POOL_CLOSING) return -EALREADY;
  pool->_phase = POOL_CLOSING;
  pool->_drain_cb = NULL;
  pool->_close_cb = cb;
  while (!eddy_queue_empty(&pool->_waiters)) {
    eddy_respool_acquire_t *req = EDDY_CONTAINER_OF(
        eddy_queue_head(&pool->_waiters), eddy_respool_acquire_t, _node);
    eddy_respool_cancel(req);
  }
  while (!eddy_queue_empty(&pool->_idle)) {
    eddy_respool_res_t *res = EDDY_CONTAINER_OF(eddy_queue_head(&pool->_idle),
                                                eddy_respool_res_t, _node);
    eddy_queue_remove(&res->_node);
    pool->_st.available--;
    eddy__respool_destroy_res(pool, res);
  }
  eddy__respool_kick(pool);
  return 0;
}

static void on_timer_closed(eddy_handle_t *h) {
  eddy_respool_t *pool = h->data;
  if (--pool->_timers_open == 0 && pool->_close_cb) pool->_close_cb(pool);
}

static int is_empty(const eddy_respool_t *pool) {
  return pool->_st.size == 0 && pool->_st.destroying == 0 &&
         eddy_queue_empty(&pool->_gone) && eddy_queue_empty(&pool->_done);
}

void eddy__respool_check_end(eddy_respool_t *pool) {
  if (pool->_phase == POOL_DRAINING && pool->_drain_cb &&
      !pool->_st.pending && !pool->_st.borrowed && !pool->_st.validating &&
      eddy_queue_empty(&pool->_gone)) {
    eddy_respool_cb cb = pool->_drain_cb;
    pool->_drain_cb = NULL;
    cb(pool); /* may close the pool: nothing of it is touched after */
    return;
  }
  if (pool->_phase != POOL_CLOSING || !is_empty(pool)) return;
  pool->_phase = POOL_CLOSED;
  eddy_immediate_stop(&pool->_kick);
  eddy_close(EDDY_HANDLE(&pool->_acquire_timer), on_timer_closed);
  eddy_close(EDDY_HANDLE(&pool->_evict_timer), on_timer_closed);
}

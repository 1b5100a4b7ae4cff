/*
 * The resource pool's entry points: init, acquire, release, destroy,
 * cancel. None of them calls a user callback: anything that would is left
 * to eddy__respool_serve(), which runs from an immediate.
 */
#include <stdlib.h>
#include <string.h>

#include "client/respool_int.h"

static void on_kick(eddy_immediate_t *imm) { eddy__respool_serve(imm->data); }

void eddy__respool_kick(eddy_respool_t *pool) {
  if (pool->_phase != POOL_CLOSED) eddy_immediate_start(&pool->_kick, on_kick);
}

static int opts_valid(const eddy_respool_opts_t *o) {
  return o->min <= o->max && o->max > 0;
}

int eddy_respool_init(eddy_loop_t *loop, eddy_respool_t *pool,
                      const eddy_respool_factory_t *factory,
                      const eddy_respool_opts_t *opts) {
  eddy_respool_opts_t o = {0};
  if (!loop || !pool || !factory || !factory->create || !factory->destroy)
    return -EINVAL;
  if (opts) o = *opts;
  if (!o.max) o.max = o.min > 10 ? o.min : 10;
  if (!o.max_waiting) o.max_waiting = EDDY_RESPOOL_WAITING_DEFAULT;
  if (!opts_valid(&o)) return -EINVAL;
  memset(pool, 0, sizeof *pool);
  pool->loop = loop;
  pool->_factory = *factory;
  pool->_opts = o;
  eddy_queue_init(&pool->_idle);
  eddy_queue_init(&pool->_ready);
  eddy_queue_init(&pool->_waiters);
  eddy_queue_init(&pool->_gone);
  eddy_queue_init(&pool->_done);
  eddy_timer_init(loop, &pool->_acquire_timer);
  eddy_timer_init(loop, &pool->_evict_timer);
  pool->_acquire_timer.data = pool->_evict_timer.data = pool;
  eddy_unref(EDDY_HANDLE(&pool->_evict_timer)); /* idle alone keeps nothing */
  pool->_timers_open = 2;
  eddy_immediate_init(loop, &pool->_kick);
  pool->_kick.data = pool;
  if (o.min) eddy__respool_kick(pool);
  return 0;
}

int eddy_respool_acquire(eddy_respool_t *pool, eddy_respool_acquire_t *req,
                         eddy_respool_acquire_cb cb) {
  if (!pool || !req || !cb) return -EINVAL;
  if (pool->_phase != POOL_OPEN) return EDDY_ECLOSED;
  if (pool->_st.pending >= pool->_opts.max_waiting) return EDDY_EQUEUEFULL;
  req->pool = pool;
  req->_cb = cb;
  req->_state = REQ_WAITING;
  req->_deadline = pool->_opts.acquire_timeout_ms
                       ? eddy_loop_now(pool->loop) + pool->_opts.acquire_timeout_ms
                       : 0;
  eddy_queue_push(&pool->_waiters, &req->_node);
  pool->_st.pending++;
  pool->_refill_stopped = 0;
  eddy__respool_arm_acquire(pool);
  eddy__respool_kick(pool);
  return 0;
}

static eddy_respool_res_t *take_idle(eddy_respool_t *pool) {
  eddy_queue_t *q = pool->_opts.fifo ? pool->_idle.next : pool->_idle.prev;
  eddy_respool_res_t *res = EDDY_CONTAINER_OF(q, eddy_respool_res_t, _node);
  eddy_queue_remove(q);
  pool->_st.available--;
  return res;
}

int eddy_respool_try_acquire(eddy_respool_t *pool, eddy_respool_res_t **res) {
  if (!pool || !res) return -EINVAL;
  if (pool->_phase != POOL_OPEN) return EDDY_ECLOSED;
  if (pool->_opts.validate_on_borrow && pool->_factory.validate)
    return -ENOTSUP;
  if (eddy_queue_empty(&pool->_idle) || pool->_st.pending) return -EAGAIN;
  *res = take_idle(pool);
  (*res)->_state = RES_BORROWED;
  pool->_st.borrowed++;
  pool->_st.acquired++;
  return 0;
}

int eddy_respool_cancel(eddy_respool_acquire_t *req) {
  if (!req || req->_state != REQ_WAITING) return -EINVAL;
  eddy_respool_t *pool = req->pool;
  eddy_queue_remove(&req->_node);
  pool->_st.pending--;
  req->_state = REQ_GONE;
  eddy_queue_push(&pool->_gone, &req->_node);
  eddy__respool_kick(pool);
  return 0;
}

void eddy__respool_make_idle(eddy_respool_t *pool, eddy_respool_res_t *res) {
  res->_state = RES_IDLE;
  res->_idle_since = eddy_loop_now(pool->loop);
  eddy_queue_push(&pool->_idle, &res->_node);
  pool->_st.available++;
  eddy__respool_arm_evict(pool);
}

int eddy_respool_release(eddy_respool_t *pool, eddy_respool_res_t *res) {
  if (!pool || !res || res->_pool != pool || res->_state != RES_BORROWED)
    return -EINVAL;
  pool->_st.borrowed--;
  if (pool->_phase >= POOL_CLOSING) {
    eddy__respool_destroy_res(pool, res);
  } else if (!pool->_opts.validate_on_return || !pool->_factory.validate ||
             eddy__respool_start_op(pool, EDDY_RESPOOL_VALIDATE, res) < 0) {
    eddy__respool_make_idle(pool, res);
  }
  if (pool->_st.pending || pool->_phase != POOL_OPEN) eddy__respool_kick(pool);
  return 0;
}

int eddy_respool_destroy(eddy_respool_t *pool, eddy_respool_res_t *res) {
  if (!pool || !res || res->_pool != pool) return -EINVAL;
  if (res->_state == RES_BORROWED) {
    pool->_st.borrowed--;
  } else if (res->_state == RES_IDLE) {
    eddy_queue_remove(&res->_node);
    pool->_st.available--;
  } else {
    return -EINVAL;
  }
  eddy__respool_destroy_res(pool, res);
  eddy__respool_kick(pool); /* a borrower may now need a create */
  return 0;
}

void eddy_respool_stats(const eddy_respool_t *pool, eddy_respool_stats_t *out) {
  *out = pool->_st;
}

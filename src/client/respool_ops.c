/*
 * The resource pool's factory operations and what happens when they end.
 * A create's op is allocated (there is no resource yet to hold it); a
 * validate or destroy uses the op embedded in its resource, so giving back
 * and destroying never fail for want of memory.
 */
#include <stdlib.h>

#include "client/respool_int.h"

int eddy__respool_start_op(eddy_respool_t *pool, eddy_respool_op_kind_t kind,
                           eddy_respool_res_t *res) {
  eddy_respool_op_t *op = res ? &res->_op : calloc(1, sizeof *op);
  if (!op) return -ENOMEM;
  op->data = NULL;
  op->pool = pool;
  op->kind = kind;
  op->res = res;
  op->_status = 0;
  if (kind == EDDY_RESPOOL_CREATE) {
    pool->_st.creating++;
    pool->_st.size++;
    pool->_factory.create(pool, op);
  } else if (kind == EDDY_RESPOOL_VALIDATE) {
    res->_state = RES_VALIDATING;
    pool->_st.validating++;
    pool->_factory.validate(pool, op);
  } else {
    res->_state = RES_DESTROYING;
    pool->_st.destroying++;
    pool->_factory.destroy(pool, op);
  }
  return 0;
}

void eddy__respool_destroy_res(eddy_respool_t *pool, eddy_respool_res_t *res) {
  pool->_st.size--;
  eddy__respool_start_op(pool, EDDY_RESPOOL_DESTROY, res);
}

void eddy_respool_done(eddy_respool_op_t *op, int status,
                       eddy_respool_res_t *res) {
  eddy_respool_t *pool = op->pool;
  if (op->kind == EDDY_RESPOOL_DESTROY) {
    /* Taken now: the factory may free the resource (and op) on return. */
    pool->_st.destroying--;
    pool->_st.destroyed++;
  } else {
    op->_status = status;
    if (op->kind == EDDY_RESPOOL_CREATE) op->res = res;
    eddy_queue_push(&pool->_done, &op->_node);
  }
  eddy__respool_kick(pool);
}

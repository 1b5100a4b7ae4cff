/*
 * Immediates (Node's setImmediate): a FIFO run in the check phase. The
 * phase takes the whole queue first, so immediates queued while it runs
 * wait for the next iteration.
 */
#include <errno.h>

#include "core/internal.h"

static void immediate_on_close(eddy_handle_t *h) {
  eddy_immediate_stop((eddy_immediate_t *)h);
}

int eddy_immediate_init(eddy_loop_t *loop, eddy_immediate_t *imm) {
  eddy__handle_init(loop, (eddy_handle_t *)imm, EDDY_HANDLE_IMMEDIATE,
                    immediate_on_close);
  imm->cb = NULL;
  eddy_queue_init(&imm->_node);
  return 0;
}

int eddy_immediate_start(eddy_immediate_t *imm, eddy_immediate_cb cb) {
  if (cb == NULL || !eddy__handle_usable((eddy_handle_t *)imm)) return -EINVAL;
  if (!eddy_queue_empty(&imm->_node)) return -EALREADY;
  imm->cb = cb;
  eddy_queue_push(&imm->loop->_immediates, &imm->_node);
  eddy__handle_start((eddy_handle_t *)imm);
  return 0;
}

int eddy_immediate_stop(eddy_immediate_t *imm) {
  eddy_queue_remove(&imm->_node);
  eddy__handle_stop((eddy_handle_t *)imm);
  return 0;
}

void eddy__run_immediates(eddy_loop_t *loop) {
  if (eddy_queue_empty(&loop->_immediates)) return;
  eddy_queue_t batch;
  eddy_queue_move(&loop->_immediates, &batch);
  while (!eddy_queue_empty(&batch)) {
    eddy_queue_t *q = eddy_queue_head(&batch);
    eddy_immediate_t *imm = EDDY_CONTAINER_OF(q, eddy_immediate_t, _node);
    eddy_queue_remove(q);
    eddy__handle_stop((eddy_handle_t *)imm);
    eddy__dispatch(loop, "immediate");
    imm->cb(imm);
  }
}

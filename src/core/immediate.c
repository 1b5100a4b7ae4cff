/*
 * Immediates (Node's setImmediate): a FIFO run in the check phase. The
 * phase takes the whole queue first, so immediates queued while it runs
 * wait for the next iteration. A queued, referenced immediate counts as a
 * request in flight for the loop's liveness.
 */
#include <errno.h>

#include "core/internal.h"

enum { QUEUED = 1u, UNREF = 2u };

int eddy_immediate_init(eddy_loop_t *loop, eddy_immediate_t *imm) {
  imm->loop = loop;
  imm->cb = NULL;
  imm->_flags = 0;
  eddy_queue_init(&imm->_node);
  return 0;
}

int eddy_immediate_start(eddy_immediate_t *imm, eddy_immediate_cb cb) {
  if (cb == NULL) return -EINVAL;
  if (imm->_flags & QUEUED) return -EALREADY;
  imm->cb = cb;
  imm->_flags |= QUEUED;
  eddy_queue_push(&imm->loop->_immediates, &imm->_node);
  if (!(imm->_flags & UNREF)) eddy__req_register(imm->loop);
  return 0;
}

/* Takes a queued immediate off the queue (or off the running batch). */
static void dequeue(eddy_immediate_t *imm) {
  eddy_queue_remove(&imm->_node);
  imm->_flags &= ~QUEUED;
  if (!(imm->_flags & UNREF)) eddy__req_unregister(imm->loop);
}

int eddy_immediate_stop(eddy_immediate_t *imm) {
  if (imm->_flags & QUEUED) dequeue(imm);
  return 0;
}

int eddy_immediate_queued(const eddy_immediate_t *imm) {
  return (imm->_flags & QUEUED) != 0;
}

void eddy_immediate_unref(eddy_immediate_t *imm) {
  if (imm->_flags & UNREF) return;
  imm->_flags |= UNREF;
  if (imm->_flags & QUEUED) eddy__req_unregister(imm->loop);
}

void eddy_immediate_ref(eddy_immediate_t *imm) {
  if (!(imm->_flags & UNREF)) return;
  imm->_flags &= ~UNREF;
  if (imm->_flags & QUEUED) eddy__req_register(imm->loop);
}

void eddy__run_immediates(eddy_loop_t *loop) {
  if (eddy_queue_empty(&loop->_immediates)) return;
  eddy_queue_t batch;
  eddy_queue_move(&loop->_immediates, &batch);
  while (!eddy_queue_empty(&batch)) {
    eddy_immediate_t *imm = EDDY_CONTAINER_OF(eddy_queue_head(&batch),
                                              eddy_immediate_t, _node);
    dequeue(imm);
    eddy__dispatch(loop, "immediate");
    imm->cb(imm);
  }
}

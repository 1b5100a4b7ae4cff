/*
 * What every handle shares: registration, close, ref/unref, walk.
 */
#include <errno.h>

#include "core/internal.h"

void eddy__handle_init(eddy_loop_t *loop, eddy_handle_t *h,
                       eddy_handle_type_t type,
                       void (*on_close)(eddy_handle_t *)) {
  h->loop = loop;
  h->type = type;
  h->_flags = EDDY__REF;
  h->_close_cb = NULL;
  h->_on_close = on_close;
  h->_next_closing = NULL;
  eddy_queue_push(&loop->_handles, &h->_handle_node);
}

int eddy_close(eddy_handle_t *h, eddy_close_cb cb) {
  if (h == NULL || !eddy__handle_usable(h)) return -EINVAL;
  if (h->_on_close) h->_on_close(h);
  eddy__handle_stop(h);
  h->_flags |= EDDY__CLOSING;
  h->_close_cb = cb;
  *h->loop->_closing_tail = h; /* FIFO: close callbacks in close order */
  h->loop->_closing_tail = &h->_next_closing;
  return 0;
}

int eddy_is_active(const eddy_handle_t *h) {
  return (h->_flags & EDDY__ACTIVE) != 0;
}

int eddy_is_closing(const eddy_handle_t *h) {
  return (h->_flags & (EDDY__CLOSING | EDDY__CLOSED)) != 0;
}

void eddy_ref(eddy_handle_t *h) {
  if (h->_flags & EDDY__REF) return;
  h->_flags |= EDDY__REF;
  if (h->_flags & EDDY__ACTIVE) h->loop->_active_handles++;
}

void eddy_unref(eddy_handle_t *h) {
  if (!(h->_flags & EDDY__REF)) return;
  h->_flags &= ~(unsigned)EDDY__REF;
  if (h->_flags & EDDY__ACTIVE) h->loop->_active_handles--;
}

int eddy_has_ref(const eddy_handle_t *h) {
  return (h->_flags & EDDY__REF) != 0;
}

void eddy_loop_walk(eddy_loop_t *loop, void (*fn)(eddy_handle_t *, void *),
                    void *arg) {
  eddy_queue_t *q, *next;
  for (q = loop->_handles.next; q != &loop->_handles; q = next) {
    next = q->next;
    eddy_handle_t *h = EDDY_CONTAINER_OF(q, eddy_handle_t, _handle_node);
    if (!(h->_flags & EDDY__INTERNAL)) fn(h, arg);
  }
}

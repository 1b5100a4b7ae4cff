/*
 * Async wake-ups. All async handles of a loop share one eventfd. A send
 * sets the handle's pending flag and writes the eventfd only if the flag
 * was clear, so a burst of sends costs one write and one callback.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/internal.h"

static void on_eventfd(eddy_io_t *io, unsigned events) {
  eddy_loop_t *loop = io->loop;
  uint64_t n;
  while (read(loop->_async_fd, &n, sizeof(n)) < 0 && errno == EINTR) {
  }
  /* Move each handle back before its callback, so a callback may close any
   * async handle, itself included, without breaking this walk. */
  eddy_queue_t batch;
  eddy_queue_move(&loop->_asyncs, &batch);
  while (!eddy_queue_empty(&batch)) {
    eddy_queue_t *q = eddy_queue_head(&batch);
    eddy_queue_remove(q);
    eddy_queue_push(&loop->_asyncs, q);
    eddy_async_t *a = EDDY_CONTAINER_OF(q, eddy_async_t, _node);
    if (!atomic_exchange_explicit(&a->_pending, 0, memory_order_acquire))
      continue;
    /* A conversation (ports, workers): the next message may be close. */
    if (!(a->_flags & EDDY__ASYNC_NO_SPIN)) loop->_spin_armed = 1;
    eddy__dispatch(loop, "async");
    a->cb(a);
  }
}

/* Makes the loop's eventfd and its internal watcher on first use. */
static int async_setup(eddy_loop_t *loop) {
  if (loop->_async_io) return 0;
  int err;
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  eddy_io_t *io = eddy__internal_io_new(loop, fd, on_eventfd, &err);
  if (!io) return err;
  loop->_async_fd = fd;
  loop->_async_io = io;
  return 0;
}

void eddy__async_free(eddy_loop_t *loop) {
  if (!loop->_async_io) return;
  eddy__internal_io_free(loop->_async_io);
  loop->_async_io = NULL;
  loop->_async_fd = -1;
}

static void async_on_close(eddy_handle_t *h) {
  eddy_queue_remove(&((eddy_async_t *)h)->_node);
}

int eddy_async_init(eddy_loop_t *loop, eddy_async_t *a, eddy_async_cb cb) {
  if (cb == NULL) return -EINVAL;
  int err = async_setup(loop);
  if (err) return err;
  eddy__handle_init(loop, (eddy_handle_t *)a, EDDY_HANDLE_ASYNC,
                    async_on_close);
  a->cb = cb;
  atomic_init(&a->_pending, 0);
  eddy_queue_push(&loop->_asyncs, &a->_node);
  eddy__handle_start((eddy_handle_t *)a);
  return 0;
}

int eddy_async_send(eddy_async_t *a) {
  /* Relaxed pre-check: a send while one is pending costs no atomic write. */
  if (atomic_load_explicit(&a->_pending, memory_order_relaxed)) return 0;
  if (atomic_exchange_explicit(&a->_pending, 1, memory_order_release)) return 0;
  uint64_t one = 1;
  /* Before the write: a spinning loop sees this and goes to epoll, which
   * then finds the eventfd readable (or waits the instant it takes). */
  atomic_fetch_add_explicit(&a->loop->_async_sends, 1, memory_order_relaxed);
  while (write(a->loop->_async_fd, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
  return 0;
}

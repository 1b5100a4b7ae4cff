/*
 * io watchers on epoll (level-triggered; see loop.h for why).
 *
 * Watchers sit in an array indexed by fd, as in redis and libuv. Interest
 * changes are queued and applied just before epoll_wait, so a watcher that
 * toggles within one iteration costs at most one epoll_ctl; a stop is
 * applied at once, so the fd can be closed right after it.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/internal.h"

#define MAX_EVENTS 1024
/* Fairness bound: re-polls without waiting when the event array was full. */
#define MAX_REPOLLS 48

int eddy__io_setup(eddy_loop_t *loop) {
  loop->_epfd = epoll_create1(EPOLL_CLOEXEC);
  if (loop->_epfd < 0) return -errno;
  loop->_poll_events = malloc(sizeof(struct epoll_event) * MAX_EVENTS);
  if (!loop->_poll_events) {
    close(loop->_epfd);
    return -ENOMEM;
  }
  return 0;
}

void eddy__io_free(eddy_loop_t *loop) {
  if (loop->_epfd >= 0) close(loop->_epfd);
  loop->_epfd = -1;
  free(loop->_watchers);
  loop->_watchers = NULL;
  loop->_nwatchers = 0;
  free(loop->_poll_events);
  loop->_poll_events = NULL;
}

static int grow_watchers(eddy_loop_t *loop, int fd) {
  if ((unsigned)fd < loop->_nwatchers) return 0;
  unsigned n = loop->_nwatchers ? loop->_nwatchers : 64;
  while (n <= (unsigned)fd) n *= 2;
  eddy__watcher_t **w = realloc(loop->_watchers, n * sizeof(*w));
  if (!w) return -ENOMEM;
  for (unsigned i = loop->_nwatchers; i < n; i++) w[i] = NULL;
  loop->_watchers = w;
  loop->_nwatchers = n;
  return 0;
}

/* ---------------------------------------------- bare watchers (private) */

int eddy__watcher_init(eddy_loop_t *loop, eddy__watcher_t *w, int fd,
                       void (*cb)(eddy__watcher_t *, unsigned)) {
  if (fd < 0 || cb == NULL) return -EINVAL;
  int err = grow_watchers(loop, fd);
  if (err) return err;
  w->fd = fd;
  w->events = 0;
  w->_kernel = 0;
  w->_wcb = cb;
  eddy_queue_init(&w->_change_node);
  return 0;
}

/* Drops events already collected for `fd` in the batch being dispatched. */
static void invalidate_fd(eddy_loop_t *loop, int fd) {
  for (int i = 0; i < loop->_poll_count; i++)
    if (loop->_poll_events[i].data.fd == fd) loop->_poll_events[i].data.fd = -1;
}

int eddy__watcher_start(eddy_loop_t *loop, eddy__watcher_t *w,
                        unsigned events) {
  eddy__watcher_t *cur = loop->_watchers[w->fd];
  if (cur && cur != w) return -EEXIST;
  loop->_watchers[w->fd] = w;
  w->events = events;
  if (w->events != w->_kernel && eddy_queue_empty(&w->_change_node))
    eddy_queue_push(&loop->_io_changes, &w->_change_node);
  return 0;
}

/* Marks the kernel's copy stale so apply_changes re-registers it. */
#define REQUEUE 8u

void eddy__watcher_requeue(eddy_loop_t *loop, eddy__watcher_t *w) {
  if (!(w->_kernel & EDDY__EXCLUSIVE) || !(w->events & EDDY__EXCLUSIVE)) return;
  w->_kernel |= REQUEUE;
  if (eddy_queue_empty(&w->_change_node))
    eddy_queue_push(&loop->_io_changes, &w->_change_node);
}

void eddy__watcher_stop(eddy_loop_t *loop, eddy__watcher_t *w) {
  eddy_queue_remove(&w->_change_node);
  if (w->_kernel) {
    struct epoll_event ev = {0};
    /* ENOENT/EBADF: the fd was closed already, which removed it. */
    epoll_ctl(loop->_epfd, EPOLL_CTL_DEL, w->fd, &ev);
    w->_kernel = 0;
  }
  if (w->fd >= 0 && (unsigned)w->fd < loop->_nwatchers &&
      loop->_watchers[w->fd] == w) {
    loop->_watchers[w->fd] = NULL;
    invalidate_fd(loop, w->fd);
  }
  w->events = 0;
}

/* ------------------------------------------------ io handles (public) */

static void io_on_close(eddy_handle_t *h) { eddy_io_stop((eddy_io_t *)h); }

static void io_dispatch(eddy__watcher_t *w, unsigned events) {
  eddy_io_t *io = EDDY_CONTAINER_OF(w, eddy_io_t, _w);
  io->cb(io, events);
}

int eddy_io_init(eddy_loop_t *loop, eddy_io_t *io, int fd, eddy_io_cb cb) {
  if (cb == NULL) return -EINVAL;
  int err = eddy__watcher_init(loop, &io->_w, fd, io_dispatch);
  if (err) return err;
  eddy__handle_init(loop, (eddy_handle_t *)io, EDDY_HANDLE_IO, io_on_close);
  io->cb = cb;
  return 0;
}

int eddy_io_start(eddy_io_t *io, unsigned events) {
  if (events & ~(EDDY_READABLE | EDDY_WRITABLE)) return -EINVAL;
  if (!eddy__handle_usable((eddy_handle_t *)io)) return -EINVAL;
  if (events == 0) return eddy_io_stop(io);
  int err = eddy__watcher_start(io->loop, &io->_w, events);
  if (err) return err;
  eddy__handle_start((eddy_handle_t *)io);
  return 0;
}

int eddy_io_stop(eddy_io_t *io) {
  eddy__watcher_stop(io->loop, &io->_w);
  eddy__handle_stop((eddy_handle_t *)io);
  return 0;
}

static uint32_t to_epoll(unsigned events) {
  return ((events & EDDY_READABLE) ? EPOLLIN : 0u) |
         ((events & EDDY_WRITABLE) ? EPOLLOUT : 0u) |
         ((events & EDDY__EXCLUSIVE) ? (uint32_t)EPOLLEXCLUSIVE : 0u);
}

static void apply_changes(eddy_loop_t *loop) {
  while (!eddy_queue_empty(&loop->_io_changes)) {
    eddy_queue_t *q = eddy_queue_head(&loop->_io_changes);
    eddy_queue_remove(q);
    eddy__watcher_t *w = EDDY_CONTAINER_OF(q, eddy__watcher_t, _change_node);
    if (w->events == w->_kernel) continue;
    struct epoll_event ev = {.events = to_epoll(w->events)};
    ev.data.fd = w->fd;
    int op = w->_kernel ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (w->_kernel && ((w->events | w->_kernel) & EDDY__EXCLUSIVE)) {
      epoll_ctl(loop->_epfd, EPOLL_CTL_DEL, w->fd, &ev);
      op = EPOLL_CTL_ADD;
    }
    if (epoll_ctl(loop->_epfd, op, w->fd, &ev) < 0 && errno == EEXIST)
      epoll_ctl(loop->_epfd, EPOLL_CTL_MOD, w->fd, &ev); /* a dup'd fd */
    w->_kernel = w->events;
  }
}

static void dispatch_events(eddy_loop_t *loop, int n) {
  loop->_poll_count = n;
  for (int i = 0; i < n; i++) {
    int fd = loop->_poll_events[i].data.fd;
    if (fd < 0) continue; /* invalidated by a stop in this batch */
    eddy__watcher_t *w = (unsigned)fd < loop->_nwatchers ? loop->_watchers[fd]
                                                         : NULL;
    if (w == NULL) continue;
    uint32_t e = loop->_poll_events[i].events;
    unsigned got = ((e & EPOLLIN) ? EDDY_READABLE : 0u) |
                   ((e & EPOLLOUT) ? EDDY_WRITABLE : 0u);
    if (e & (EPOLLERR | EPOLLHUP)) got |= w->events;
    got &= w->events;
    if (!got) continue;
    eddy__dispatch(loop, "io");
    w->_wcb(w, got);
  }
  loop->_poll_count = 0;
}

void eddy__io_poll(eddy_loop_t *loop, int timeout) {
  apply_changes(loop);
  for (int round = 0; round < MAX_REPOLLS; round++) {
    int n;
    if (timeout != 0) {
      atomic_store_explicit(&loop->_label, NULL, memory_order_relaxed);
      uint64_t t0 = eddy_hrtime();
      eddy__spin_before_sleep(loop, timeout);
      n = epoll_wait(loop->_epfd, loop->_poll_events, MAX_EVENTS, timeout);
      eddy_loop_update_time(loop);
      atomic_fetch_add_explicit(&loop->_idle_ns, loop->_now_ns - t0,
                                memory_order_relaxed);
    } else {
      n = epoll_wait(loop->_epfd, loop->_poll_events, MAX_EVENTS, 0);
      if (n > 0) eddy_loop_update_time(loop);
    }
    if (n < 0) {
      assert(errno == EINTR);
      return;
    }
    dispatch_events(loop, n);
    if (n < MAX_EVENTS) return;
    timeout = 0;
    apply_changes(loop);
  }
}

/*
 * The loop's own watchers (the async eventfd, the signalfd): allocated,
 * hidden from walk and unreferenced. Takes ownership of `fd` (closed on
 * failure). Returns the watcher, or NULL with *err set.
 */
eddy_io_t *eddy__internal_io_new(eddy_loop_t *loop, int fd, eddy_io_cb cb,
                                 int *err) {
  if (fd < 0) {
    *err = -errno;
    return NULL;
  }
  eddy_io_t *io = malloc(sizeof(*io));
  *err = io ? eddy_io_init(loop, io, fd, cb) : -ENOMEM;
  if (*err) {
    close(fd);
    free(io);
    return NULL;
  }
  if ((*err = eddy_io_start(io, EDDY_READABLE))) {
    eddy__internal_io_free(io);
    return NULL;
  }
  io->_flags |= EDDY__INTERNAL;
  eddy_unref((eddy_handle_t *)io);
  return io;
}

/* Frees an internal watcher: no close phase for these. */
void eddy__internal_io_free(eddy_io_t *io) {
  eddy_io_stop(io);
  eddy_queue_remove(&io->_handle_node);
  close(io->fd);
  free(io);
}

/*
 * Streams: the handle, its io watcher, the deferred-callback node, and
 * close. One io watcher per stream; its wanted events are recomputed from
 * the stream's state by eddy__stream_update().
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "net/stream.h"

static void stream_on_close(eddy_handle_t *h);
static void stream_pending(eddy__pending_t *p);

int eddy__socket(int family) {
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd < 0 ? -errno : fd;
}

void eddy__stream_init(eddy_loop_t *loop, eddy_stream_t *s,
                       eddy_handle_type_t type) {
  eddy__handle_init(loop, (eddy_handle_t *)s, type, stream_on_close);
  s->_alloc_cb = NULL;
  s->_read_cb = NULL;
  s->_connection_cb = NULL;
  s->_drain_cb = NULL;
  s->_queued = 0;
  s->_high_water = EDDY_HIGH_WATER_DEFAULT;
  eddy_queue_init(&s->_writes);
  eddy_queue_init(&s->_done);
  s->_connect_req = NULL;
  s->_shutdown_req = NULL;
  s->_listener = NULL;
  s->_error = 0;
  s->_connect_status = 0;
  s->_io.fd = -1;
  eddy__pending_t *p = net_pending(s);
  eddy__pending_init(p);
  p->cb = stream_pending;
  p->label = type == EDDY_HANDLE_TCP ? "tcp" : "unix";
}

static void stream_io_cb(eddy__watcher_t *w, unsigned events) {
  eddy_stream_t *s = EDDY_CONTAINER_OF(w, eddy_stream_t, _io);
  if (s->_flags & S_CONNECTING) {
    eddy__connect_event(s);
    return;
  }
  if (s->_flags & S_LISTENING) {
    eddy__listener_accept(s);
    return;
  }
  if ((events & EDDY_WRITABLE) && (s->_flags & S_WRITE_BLOCKED))
    eddy__stream_flush(s);
  if ((events & EDDY_READABLE) && (s->_flags & S_READING) && net_usable(s))
    eddy__stream_read(s);
}

/* Takes `fd` (already non-blocking) as the stream's socket. */
int eddy__stream_set_fd(eddy_stream_t *s, int fd) {
  /* A bare watcher, not a handle: the stream is the handle that keeps the
   * loop alive, and 64 bytes less per connection. */
  int err = eddy__watcher_init(s->loop, &s->_io, fd, stream_io_cb);
  if (err) return err;
  s->_flags |= S_HAS_FD;
  return 0;
}

void eddy__stream_update(eddy_stream_t *s) {
  unsigned ev = 0, f = s->_flags;
  if (!(f & S_HAS_FD) || !net_usable(s)) return;
  if (f & S_CONNECTING)
    ev = EDDY_WRITABLE;
  else {
    if ((f & S_READING) || ((f & S_LISTENING) && !(f & (S_PAUSED | S_HELD))))
      ev |= EDDY_READABLE;
    if ((ev & EDDY_READABLE) && (f & S_LISTENING) && (f & S_EXCLUSIVE))
      ev |= EDDY__EXCLUSIVE;
    if (f & S_WRITE_BLOCKED) ev |= EDDY_WRITABLE;
  }
  if (ev == s->_io.events)
    ;
  else if (ev)
    eddy__watcher_start(s->loop, &s->_io, ev);
  else
    eddy__watcher_stop(s->loop, &s->_io);
  if (ev || (f & S_LISTENING))
    eddy__handle_start((eddy_handle_t *)s);
  else
    eddy__handle_stop((eddy_handle_t *)s);
}

void eddy__stream_defer(eddy_stream_t *s) {
  eddy__pending_push(s->loop, net_pending(s));
}

static void run_shutdown_cb(eddy_stream_t *s, int status) {
  eddy_shutdown_t *req = s->_shutdown_req;
  s->_shutdown_req = NULL;
  s->_flags &= ~(unsigned)S_SHUT_DONE;
  eddy__req_unregister(s->loop);
  if (req->_cb) req->_cb(req, status);
}

/* The pending phase: connect result, write callbacks, drain, shutdown. */
static void stream_pending(eddy__pending_t *p) {
  eddy_stream_t *s = EDDY_CONTAINER_OF((eddy__pending_space_t *)(void *)p,
                                       eddy_stream_t, _pending);
  if ((s->_flags & S_CONNECT_DONE) && eddy__connect_deferred(s)) return;
  if (eddy__stream_run_done(s)) return;
  if ((s->_flags & S_NEED_DRAIN) && eddy_queue_empty(&s->_writes)) {
    s->_flags &= ~(unsigned)S_NEED_DRAIN;
    if (s->_drain_cb) s->_drain_cb(s);
    if (!net_usable(s)) return;
  }
  if (s->_flags & S_SHUT_DONE) run_shutdown_cb(s, s->_shutdown_req->_status);
}

/*
 * Runs in the close phase just before the stream's own close callback, so
 * every request callback comes before the user's close callback.
 */
static void cancel_requests(eddy_stream_t *s) {
  if (s->_connect_req) {
    eddy_connect_t *req = s->_connect_req;
    s->_connect_req = NULL;
    eddy__req_unregister(s->loop);
    req->_cb(req, -ECANCELED);
  }
  eddy__stream_cancel_all(s);
  if (s->_shutdown_req)
    run_shutdown_cb(s, (s->_flags & S_SHUT_DONE) ? s->_shutdown_req->_status
                                                 : -ECANCELED);
}

/* eddy_close(): stop and close the fd now; the requests' callbacks wait for
 * the close phase (EDDY__CLOSE_AGAIN brings us back there). */
static void stream_on_close(eddy_handle_t *h) {
  eddy_stream_t *s = (eddy_stream_t *)h;
  if (h->_flags & EDDY__CLOSED) {
    cancel_requests(s);
    return;
  }
  h->_flags |= EDDY__CLOSE_AGAIN;
  eddy__pending_cancel(net_pending(s));
  if (s->_listener) eddy__listener_close(s);
  if (!(s->_flags & S_HAS_FD)) return;
  eddy__watcher_stop(s->loop, &s->_io);
  close(s->_io.fd);
}

int eddy_stream_open(eddy_stream_t *s, int fd) {
  if (fd < 0 || !net_usable(s)) return -EINVAL;
  if (s->_flags & S_HAS_FD) return -EISCONN;
  int listening = 0, on = 1;
  socklen_t len = sizeof(listening);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0) {
    if (errno != ENOTSOCK) return -errno;
    s->_flags |= S_NOT_SOCK;
  }
  if (ioctl(fd, FIONBIO, &on) < 0) return -errno;
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return -errno;
  int err = eddy__stream_set_fd(s, fd);
  if (err) return err;
  /* A listener, or a socket only bound, gets eddy_listen. */
  struct sockaddr_storage peer;
  socklen_t plen = sizeof(peer);
  if (!listening && ((s->_flags & S_NOT_SOCK) ||
                     getpeername(fd, (struct sockaddr *)&peer, &plen) == 0))
    s->_flags |= S_CONNECTED;
  return 0;
}

int eddy_stream_fd(const eddy_stream_t *s) {
  return (s->_flags & S_HAS_FD) ? s->_io.fd : -EBADF;
}

int eddy_stream_sockname(const eddy_stream_t *s, struct sockaddr_storage *a,
                         socklen_t *len) {
  if (!(s->_flags & S_HAS_FD)) return -EBADF;
  return getsockname(s->_io.fd, (struct sockaddr *)a, len) ? -errno : 0;
}

int eddy_stream_peername(const eddy_stream_t *s, struct sockaddr_storage *a,
                         socklen_t *len) {
  if (!(s->_flags & S_HAS_FD)) return -EBADF;
  return getpeername(s->_io.fd, (struct sockaddr *)a, len) ? -errno : 0;
}

size_t eddy_stream_queued(const eddy_stream_t *s) { return s->_queued; }

int eddy_stream_set_high_water(eddy_stream_t *s, size_t bytes,
                               eddy_drain_cb drain_cb) {
  if (!net_usable(s)) return -EINVAL;
  s->_high_water = bytes ? bytes : EDDY_HIGH_WATER_DEFAULT;
  s->_drain_cb = drain_cb;
  return 0;
}

/*
 * Non-blocking connect. The result always reaches the callback on a later
 * iteration: from the writable event after EINPROGRESS, or through the
 * stream's pending node when connect(2) answered at once (Unix sockets,
 * refused loopback ports).
 */
#include <unistd.h>

#include "net/stream.h"

int eddy__stream_connect(eddy_connect_t *req, eddy_stream_t *s,
                         const struct sockaddr *addr, socklen_t len,
                         eddy_connect_cb cb) {
  if (!cb || !net_usable(s)) return -EINVAL;
  if (s->_flags & (S_CONNECTING | S_CONNECT_DONE)) return -EALREADY;
  if (s->_flags & (S_LISTENING | S_CONNECTED)) return -EISCONN;
  if (!(s->_flags & S_HAS_FD)) {
    int fd = eddy__socket(addr->sa_family);
    if (fd < 0) return fd;
    int err = eddy__stream_set_fd(s, fd);
    if (err) {
      close(fd);
      return err;
    }
  }
  int r;
  do r = connect(s->_io.fd, addr, len);
  while (r < 0 && errno == EINTR);
  req->stream = s;
  req->_cb = cb;
  s->_connect_req = req;
  eddy__req_register(s->loop);
  if (r < 0 && errno == EINPROGRESS) {
    s->_flags |= S_CONNECTING;
    eddy__stream_update(s);
    return 0;
  }
  s->_connect_status = r < 0 ? -errno : 0;
  s->_flags |= S_CONNECT_DONE;
  eddy__stream_defer(s);
  return 0;
}

/* Delivers the result; afterwards sends what was written meanwhile. */
static void connect_finish(eddy_stream_t *s, int status) {
  eddy_connect_t *req = s->_connect_req;
  s->_connect_req = NULL;
  if (status == 0) s->_flags |= S_CONNECTED;
  eddy__stream_update(s);
  eddy__req_unregister(s->loop);
  req->_cb(req, status);
  if (!net_usable(s)) return;
  if (status < 0) {
    if (!eddy_queue_empty(&s->_writes)) eddy__stream_fail_writes(s, status);
    return;
  }
  if (!eddy_queue_empty(&s->_writes) || (s->_flags & S_SHUT_PENDING))
    eddy__stream_flush(s);
}

void eddy__connect_event(eddy_stream_t *s) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(s->_io.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  s->_flags &= ~(unsigned)S_CONNECTING;
  connect_finish(s, -err);
}

/* From the pending phase; returns 1 if the stream got closed. */
int eddy__connect_deferred(eddy_stream_t *s) {
  s->_flags &= ~(unsigned)S_CONNECT_DONE;
  connect_finish(s, s->_connect_status);
  return !net_usable(s);
}

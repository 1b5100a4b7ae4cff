/*
 * Writes: a queue of requests flushed with sendmsg (writev semantics plus
 * MSG_NOSIGNAL and SCM_RIGHTS). The socket is tried at once when the queue
 * is empty; EDDY_WRITABLE is armed only after the kernel refused bytes.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net/stream.h"

/* Flush rounds per call: a round ends early when the kernel takes less. */
#define FLUSH_ROUNDS 4

static eddy_write_t *head_req(eddy_stream_t *s) {
  return EDDY_CONTAINER_OF(eddy_queue_head(&s->_writes), eddy_write_t, _node);
}

static void req_skip_empty(eddy_write_t *req) {
  while (req->_index < req->_nbufs && req->_bufs[req->_index].len == 0)
    req->_index++;
}

/* Moves a finished request to the done list; its callback runs deferred. */
static void req_finish(eddy_stream_t *s, eddy_write_t *req, int status) {
  eddy_queue_remove(&req->_node);
  if (req->_bufs != req->_small) free(req->_bufs);
  req->_bufs = NULL;
  req->_status = status;
  eddy_queue_push(&s->_done, &req->_node);
}

/* Finishes head requests with nothing left to send. */
static void finish_empty_heads(eddy_stream_t *s) {
  while (!eddy_queue_empty(&s->_writes)) {
    eddy_write_t *req = head_req(s);
    req_skip_empty(req);
    if (req->_index < req->_nbufs || req->_file_left) return;
    req_finish(s, req, 0);
  }
}

/* Advances the queue past `n` bytes the kernel took, in place. */
static void consume(eddy_stream_t *s, size_t n) {
  s->_queued -= n;
  while (n > 0) {
    eddy_write_t *req = head_req(s);
    eddy_buf_t *b = &req->_bufs[req->_index];
    req->_send_fd = -1; /* its first byte went with the descriptor */
    if (n < b->len) {
      b->base += n;
      b->len -= n;
      return;
    }
    n -= b->len;
    req->_index++;
    finish_empty_heads(s);
  }
}

/* Fills `iov` from the queue; sets *fd when the batch carries one. */
static int gather(eddy_stream_t *s, struct iovec *iov, size_t *bytes, int *fd) {
  int cnt = 0;
  eddy_queue_t *q;
  *bytes = 0;
  *fd = -1;
  EDDY_QUEUE_FOREACH(q, &s->_writes) {
    eddy_write_t *req = EDDY_CONTAINER_OF(q, eddy_write_t, _node);
    if (req->_file_fd >= 0) break; /* a file segment goes alone */
    if (req->_send_fd >= 0) {
      if (cnt > 0) break; /* the fd goes with this request's first byte */
      *fd = req->_send_fd;
    }
    for (unsigned i = req->_index; i < req->_nbufs && cnt < IOV_MAX; i++) {
      iov[cnt++] = *(struct iovec *)&req->_bufs[i];
      *bytes += req->_bufs[i].len;
    }
    if (cnt == IOV_MAX || *fd >= 0) break;
  }
  return cnt;
}

static ssize_t send_batch(eddy_stream_t *s, struct iovec *iov, int cnt,
                          int fd) {
  union {
    char space[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } cbuf;
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
  if (fd >= 0) {
    memset(&cbuf, 0, sizeof(cbuf));
    msg.msg_control = cbuf.space;
    msg.msg_controllen = sizeof(cbuf.space);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t n;
  do {
    if (s->_flags & S_NOT_SOCK)
      n = writev(s->_io.fd, iov, cnt);
    else if (cnt == 1 && fd < 0) /* no msghdr or iovec for the kernel to copy */
      n = send(s->_io.fd, iov[0].iov_base, iov[0].iov_len,
               MSG_NOSIGNAL | MSG_DONTWAIT);
    else
      n = sendmsg(s->_io.fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : n;
}

/* Sends the head file segment; same results as one round of flush_rounds. */
static int send_file_part(eddy_stream_t *s, eddy_write_t *req) {
  /* 1 GiB per call bounds how long one connection holds the loop. */
  size_t want = req->_file_left < (1u << 30) ? req->_file_left : (1u << 30);
  off_t off = (off_t)req->_file_off;
  ssize_t n;
  do {
    n = sendfile(s->_io.fd, req->_file_fd, &off, want);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? 1 : -errno;
  if (n == 0) return -EIO; /* the file is shorter than promised */
  s->_queued -= (size_t)n;
  req->_file_off += n;
  req->_file_left -= (uint64_t)n;
  if (req->_file_left) return 1;
  req_finish(s, req, 0);
  return 2;
}

/* Returns 0 when the queue emptied, 1 when the kernel is full, or -errno. */
static int flush_rounds(eddy_stream_t *s) {
  struct iovec iov[IOV_MAX];
  for (int round = 0; round < FLUSH_ROUNDS; round++) {
    finish_empty_heads(s);
    if (eddy_queue_empty(&s->_writes)) return 0;
    if (head_req(s)->_file_fd >= 0) {
      int r = send_file_part(s, head_req(s));
      if (r != 2) return r;
      continue;
    }
    size_t bytes;
    int fd;
    int cnt = gather(s, iov, &bytes, &fd);
    ssize_t n = send_batch(s, iov, cnt, fd);
    if (n == -EAGAIN || n == -EWOULDBLOCK) return 1;
    if (n < 0) return (int)n;
    consume(s, (size_t)n);
    if ((size_t)n < bytes) return 1; /* retrying now would only EAGAIN */
  }
  return eddy_queue_empty(&s->_writes) ? 0 : 1;
}

static void do_shutdown(eddy_stream_t *s) {
  s->_flags &= ~(unsigned)S_SHUT_PENDING;
  s->_flags |= S_SHUT_DONE;
  int r = shutdown(s->_io.fd, SHUT_WR);
  s->_shutdown_req->_status = r < 0 ? -errno : 0;
  eddy__stream_defer(s);
}

void eddy__stream_fail_writes(eddy_stream_t *s, int err) {
  while (!eddy_queue_empty(&s->_writes)) req_finish(s, head_req(s), err);
  s->_queued = 0;
  if (err != -ECANCELED) s->_error = err;
  eddy__stream_defer(s);
}

void eddy__stream_flush(eddy_stream_t *s) {
  unsigned was = s->_flags & S_WRITE_BLOCKED;
  int r = flush_rounds(s);
  if (r < 0) eddy__stream_fail_writes(s, r);
  if (r == 1)
    s->_flags |= S_WRITE_BLOCKED;
  else
    s->_flags &= ~(unsigned)S_WRITE_BLOCKED;
  if (!eddy_queue_empty(&s->_done)) eddy__stream_defer(s);
  if (r != 1 && (s->_flags & S_SHUT_PENDING)) do_shutdown(s);
  if (was != (s->_flags & S_WRITE_BLOCKED)) eddy__stream_update(s);
}

/* Runs done write callbacks; returns 1 if the stream got closed. */
int eddy__stream_run_done(eddy_stream_t *s) {
  while (!eddy_queue_empty(&s->_done)) {
    eddy_queue_t *q = eddy_queue_head(&s->_done);
    eddy_queue_remove(q);
    eddy_write_t *req = EDDY_CONTAINER_OF(q, eddy_write_t, _node);
    eddy__req_unregister(s->loop);
    if (req->_cb) req->_cb(req, req->_status);
    if (!net_usable(s)) return 1;
  }
  return 0;
}

/* On close: unfinished requests get -ECANCELED, after the finished ones. */
void eddy__stream_cancel_all(eddy_stream_t *s) {
  while (!eddy_queue_empty(&s->_writes)) req_finish(s, head_req(s), -ECANCELED);
  s->_queued = 0;
  while (!eddy_queue_empty(&s->_done)) {
    eddy_queue_t *q = eddy_queue_head(&s->_done);
    eddy_queue_remove(q);
    eddy_write_t *req = EDDY_CONTAINER_OF(q, eddy_write_t, _node);
    eddy__req_unregister(s->loop);
    if (req->_cb) req->_cb(req, req->_status);
  }
}

static int write_check(const eddy_stream_t *s, unsigned nbufs) {
  if (nbufs == 0 || !net_usable(s) || (s->_flags & S_LISTENING)) return -EINVAL;
  if (!(s->_flags & S_HAS_FD)) return -ENOTCONN;
  if (s->_flags & (S_SHUT | S_SHUT_PENDING | S_SHUT_DONE)) return -EPIPE;
  return s->_error;
}

/* Copies the buffer array (inline when small); returns bytes or -ENOMEM. */
static ssize_t req_fill(eddy_write_t *req, const eddy_buf_t *bufs,
                        unsigned nbufs) {
  req->_bufs = req->_small;
  if (nbufs > EDDY_WRITE_INLINE_BUFS) {
    req->_bufs = malloc(nbufs * sizeof(eddy_buf_t));
    if (!req->_bufs) return -ENOMEM;
  }
  size_t total = 0;
  for (unsigned i = 0; i < nbufs; i++) {
    req->_bufs[i] = bufs[i];
    total += bufs[i].len;
  }
  req->_nbufs = nbufs;
  req->_index = 0;
  return (ssize_t)total;
}

static int write_enqueue(eddy_write_t *req, eddy_stream_t *s, size_t total);

static int write_common(eddy_write_t *req, eddy_stream_t *s,
                        const eddy_buf_t bufs[], unsigned nbufs, int fd,
                        eddy_write_cb cb) {
  int err = write_check(s, nbufs);
  if (err) return err;
  ssize_t total = req_fill(req, bufs, nbufs);
  if (total < 0) return (int)total;
  if (total == 0 && fd >= 0) {
    if (req->_bufs != req->_small) free(req->_bufs);
    return -EINVAL;
  }
  req->stream = s;
  req->_cb = cb;
  req->_status = 0;
  req->_send_fd = fd;
  req->_file_fd = -1;
  req->_file_left = 0;
  return write_enqueue(req, s, (size_t)total);
}

/* Queues a filled request; flushes at once if the queue was idle. */
static int write_enqueue(eddy_write_t *req, eddy_stream_t *s, size_t total) {
  eddy__req_register(s->loop);
  int idle = eddy_queue_empty(&s->_writes);
  s->_queued += total;
  eddy_queue_push(&s->_writes, &req->_node);
  if (idle && !(s->_flags & (S_CONNECTING | S_CONNECT_DONE)))
    eddy__stream_flush(s);
  if (s->_queued < s->_high_water) return 0;
  s->_flags |= S_NEED_DRAIN;
  return 1;
}

int eddy_write(eddy_write_t *req, eddy_stream_t *s, const eddy_buf_t bufs[],
               unsigned nbufs, eddy_write_cb cb) {
  return write_common(req, s, bufs, nbufs, -1, cb);
}

ssize_t eddy_try_write(eddy_stream_t *s, const eddy_buf_t bufs[],
                       unsigned nbufs) {
  int err = write_check(s, nbufs);
  if (err) return err;
  if (nbufs > IOV_MAX) return -EINVAL;
  if (!eddy_queue_empty(&s->_writes) ||
      (s->_flags & (S_CONNECTING | S_CONNECT_DONE)))
    return -EAGAIN; /* bytes must not overtake what is queued */
  /* eddy_buf_t is laid out as struct iovec (net.h) */
  ssize_t n = send_batch(s, (struct iovec *)(uintptr_t)bufs, (int)nbufs, -1);
  return n == -EWOULDBLOCK ? -EAGAIN : n;
}

int eddy_write_fd(eddy_write_t *req, eddy_stream_t *s, const eddy_buf_t bufs[],
                  unsigned nbufs, int fd, eddy_write_cb cb) {
  if (fd < 0 || s->type != EDDY_HANDLE_UNIX || (s->_flags & S_NOT_SOCK))
    return -EINVAL;
  return write_common(req, s, bufs, nbufs, fd, cb);
}

int eddy_write_file(eddy_write_t *req, eddy_stream_t *s, int file_fd,
                    int64_t offset, uint64_t len, eddy_write_cb cb) {
  if (file_fd < 0 || offset < 0 || len == 0) return -EINVAL;
  int err = write_check(s, 1);
  if (err) return err;
  req->_bufs = req->_small;
  req->_nbufs = req->_index = 0;
  req->stream = s;
  req->_cb = cb;
  req->_status = 0;
  req->_send_fd = -1;
  req->_file_fd = file_fd;
  req->_file_off = offset;
  req->_file_left = len;
  return write_enqueue(req, s, (size_t)len);
}

int eddy_shutdown(eddy_shutdown_t *req, eddy_stream_t *s, eddy_shutdown_cb cb) {
  if (!net_usable(s) || (s->_flags & S_LISTENING)) return -EINVAL;
  if (!(s->_flags & S_HAS_FD)) return -ENOTCONN;
  if (s->_flags & (S_SHUT | S_SHUT_PENDING | S_SHUT_DONE) || s->_shutdown_req)
    return -EALREADY;
  req->stream = s;
  req->_cb = cb;
  req->_status = 0;
  s->_shutdown_req = req;
  s->_flags |= S_SHUT_PENDING | S_SHUT;
  eddy__req_register(s->loop);
  if (eddy_queue_empty(&s->_writes) &&
      !(s->_flags & (S_CONNECTING | S_CONNECT_DONE)))
    do_shutdown(s);
  return 0;
}

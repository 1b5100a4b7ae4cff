/*
 * eddy net — private interface shared by the stream files (stream.c,
 * read.c, write.c, listen.c, connect.c, tcp.c, unix.c).
 */
#ifndef EDDY_NET_STREAM_H
#define EDDY_NET_STREAM_H

#include <sys/uio.h>

#include "core/internal.h"
#include "eddy/net.h"

/* Stream flags, in the handle's type bits. */
enum {
  S_HAS_FD = EDDY__TYPE_FLAG0 << 0, /* the io watcher is initialised */
  S_READING = EDDY__TYPE_FLAG0 << 1,
  S_LISTENING = EDDY__TYPE_FLAG0 << 2,
  S_PAUSED = EDDY__TYPE_FLAG0 << 3,        /* listener out of fds, retrying */
  S_CONNECTING = EDDY__TYPE_FLAG0 << 4,    /* waiting for EDDY_WRITABLE */
  S_CONNECT_DONE = EDDY__TYPE_FLAG0 << 5,  /* result waits in _connect_status */
  S_WRITE_BLOCKED = EDDY__TYPE_FLAG0 << 6, /* last flush hit EAGAIN */
  S_NEED_DRAIN = EDDY__TYPE_FLAG0 << 7,
  S_SHUT_PENDING = EDDY__TYPE_FLAG0 << 8, /* shutdown after the queue drains */
  S_SHUT_DONE = EDDY__TYPE_FLAG0 << 9,    /* shutdown cb waits */
  S_SHUT = EDDY__TYPE_FLAG0 << 10,        /* no more writes */
  S_IPC = EDDY__TYPE_FLAG0 << 11,         /* read with recvmsg, take fds */
  S_NOT_SOCK = EDDY__TYPE_FLAG0 << 12,    /* opened on a non-socket fd */
  S_CONNECTED = EDDY__TYPE_FLAG0 << 13,
  S_EXCLUSIVE = EDDY__TYPE_FLAG0 << 14, /* listen with EPOLLEXCLUSIVE */
  S_HELD = EDDY__TYPE_FLAG0 << 15       /* eddy_listen_pause */
};

/* Suggested size passed to alloc callbacks. */
#define NET_READ_SIZE (64u * 1024u)

_Static_assert(sizeof(eddy_buf_t) == sizeof(struct iovec), "buf = iovec");
_Static_assert(offsetof(eddy_buf_t, base) == offsetof(struct iovec, iov_base),
               "buf = iovec");
_Static_assert(offsetof(eddy_buf_t, len) == offsetof(struct iovec, iov_len),
               "buf = iovec");
_Static_assert(sizeof(eddy__pending_space_t) == sizeof(eddy__pending_t),
               "pending storage");

static inline eddy__pending_t *net_pending(eddy_stream_t *s) {
  return (eddy__pending_t *)(void *)&s->_pending;
}

static inline int net_usable(const eddy_stream_t *s) {
  return eddy__handle_usable((const eddy_handle_t *)s);
}

static inline int net_fd(const eddy_stream_t *s) {
  return (s->_flags & S_HAS_FD) ? s->_io.fd : -1;
}

/* stream.c */
void eddy__stream_init(eddy_loop_t *loop, eddy_stream_t *s,
                       eddy_handle_type_t type);
int eddy__stream_set_fd(eddy_stream_t *s, int fd);
void eddy__stream_update(eddy_stream_t *s);
void eddy__stream_defer(eddy_stream_t *s);
/* read.c */
void eddy__stream_read(eddy_stream_t *s);
/* write.c */
void eddy__stream_flush(eddy_stream_t *s);
void eddy__stream_fail_writes(eddy_stream_t *s, int err);
int eddy__stream_run_done(eddy_stream_t *s);
void eddy__stream_cancel_all(eddy_stream_t *s);
/* connect.c */
int eddy__stream_connect(eddy_connect_t *req, eddy_stream_t *s,
                         const struct sockaddr *addr, socklen_t len,
                         eddy_connect_cb cb);
void eddy__connect_event(eddy_stream_t *s);
int eddy__connect_deferred(eddy_stream_t *s);
/* listen.c */
void eddy__listener_accept(eddy_stream_t *s);
void eddy__listener_close(eddy_stream_t *s);
/* socket helpers (stream.c) */
int eddy__socket(int family);

#endif

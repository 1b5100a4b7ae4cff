/*
 * eddy — TCP and Unix streams: listen/accept, connect, reads, queued writes,
 * shutdown, and file-descriptor passing (libuv's uv_tcp/uv_pipe/uv_stream).
 *
 * A stream is a caller-owned handle (eddy_tcp_t or eddy_unix_t, both usable
 * as an eddy_stream_t through EDDY_STREAM()) over one non-blocking socket
 * that the stream owns and closes. It sits on one io watcher of the loop,
 * level-triggered, so every read, accept and flush is bounded per event
 * (fairness between connections) without losing readiness.
 *
 * Reads: the caller supplies the memory through an alloc callback (libuv's
 * alloc_cb), called right before each read (recv(2) on a socket). We chose this
 * over a buffer owned by the stream because it lets the layer above decide: the
 * HTTP layer reads straight into its per-connection parse buffer (no copy), and
 * a server with many idle connections can hand out one loop-wide buffer, so
 * an idle connection holds no read memory at all. Every alloc callback is
 * followed by exactly one read callback with that buffer, so the caller can
 * always release it there.
 *
 * Writes: a request carries an array of buffers (iovecs); eddy never copies
 * the bytes, only the small array (inline for up to EDDY_WRITE_INLINE_BUFS
 * buffers, so typical writes do not allocate). With an empty queue eddy_write
 * tries the socket at once; what the kernel does not take is queued, and
 * EDDY_WRITABLE is armed only after EAGAIN. Queued requests are flushed
 * together with one writev-like sendmsg (at most IOV_MAX buffers; a send
 * when there is one), partial writes advance the queued buffers in place.
 * Callbacks always run later, in the pending phase, never inside
 * eddy_write.
 *
 * Back-pressure is Node's: eddy_write returns 1 when the bytes queued are at
 * or above the stream's high-water mark (default EDDY_HIGH_WATER_DEFAULT),
 * and the drain callback runs once the queue has emptied after that.
 *
 * Closing: eddy_close(EDDY_HANDLE(s), cb) closes the socket at once. Write,
 * connect and shutdown requests that have not had their callback get it
 * before the close callback: -ECANCELED if they had not completed, else
 * their real status. Every request callback runs exactly once.
 *
 * Threads: a stream and its requests belong to the loop's thread; no
 * function here is thread-safe. Errors are negative errnos (error.h); a
 * function that returns an error never calls the callback it was given.
 * Addresses are numeric only: eddy never resolves names on the loop.
 */
#ifndef EDDY_NET_H
#define EDDY_NET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "eddy/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eddy_stream_s eddy_stream_t;
typedef struct eddy_tcp_s eddy_tcp_t;
typedef struct eddy_unix_s eddy_unix_t;
typedef struct eddy_write_s eddy_write_t;
typedef struct eddy_connect_s eddy_connect_t;
typedef struct eddy_shutdown_s eddy_shutdown_t;

/* A buffer: laid out exactly as struct iovec, so arrays pass to writev. */
typedef struct {
  char *base;
  size_t len;
} eddy_buf_t;

/* Builds a buffer value: eddy_buf("hi", 2). */
static inline eddy_buf_t eddy_buf(const void *base, size_t len) {
  eddy_buf_t b = {(char *)(uintptr_t)base, len};
  return b;
}

/*
 * Called before each read with a suggested size (64 KiB); fill `buf` with
 * memory the stream may read into. Leaving buf->len 0 makes the read
 * callback run with -ENOBUFS and reading stop.
 */
typedef void (*eddy_alloc_cb)(eddy_stream_t *s, size_t suggested,
                              eddy_buf_t *buf);

/*
 * Called once after every alloc callback. `nread` > 0: bytes read into
 * buf->base. 0: nothing was read (the buffer may be released). EDDY_EOF:
 * the peer shut down its side; reading has stopped. Other negative: an
 * error; reading has stopped. The stream may be closed from here.
 */
typedef void (*eddy_read_cb)(eddy_stream_t *s, ssize_t nread,
                             const eddy_buf_t *buf);

/* A write request finished: 0, a negative errno, or -ECANCELED on close. */
typedef void (*eddy_write_cb)(eddy_write_t *req, int status);
/* Connect finished: 0 or a negative errno such as -ECONNREFUSED. */
typedef void (*eddy_connect_cb)(eddy_connect_t *req, int status);
/* Shutdown finished (SHUT_WR sent after the queue drained), or failed. */
typedef void (*eddy_shutdown_cb)(eddy_shutdown_t *req, int status);
/*
 * A listening stream has a connection: call eddy_accept() from here to take
 * it (one per call), or it is closed when the callback returns. `status` is
 * negative for an accept error other than the ones eddy handles itself
 * (EAGAIN, ECONNABORTED, EMFILE/ENFILE); the listener keeps listening.
 */
typedef void (*eddy_connection_cb)(eddy_stream_t *server, int status);
/* The write queue emptied after eddy_write returned 1 (Node's 'drain'). */
typedef void (*eddy_drain_cb)(eddy_stream_t *s);
/*
 * A file descriptor arrived on a Unix stream (SCM_RIGHTS). The callee owns
 * `fd` (it has FD_CLOEXEC set) and must close it. Runs before the read
 * callback of the bytes it came with.
 */
typedef void (*eddy_fd_cb)(eddy_unix_t *u, int fd);

/* Buffers a write request holds without allocating. */
#define EDDY_WRITE_INLINE_BUFS 4
/* Default high-water mark of a stream's write queue (Node's 16 KiB). */
#define EDDY_HIGH_WATER_DEFAULT (16u * 1024u)
/* Most file descriptors accepted with one message on a Unix stream. */
#define EDDY_UNIX_MAX_FDS 16

/* Private storage of a deferred callback (the core's eddy__pending_t). */
typedef struct {
  eddy_queue_t _node;
  void *_cb;
  const char *_label;
} eddy__pending_space_t;

/*
 * Fields every stream has. All private but `data` (handle fields) and the
 * read-only loop/type.
 */
/* clang-format off */
#define EDDY_STREAM_FIELDS                                                    \
  EDDY_HANDLE_FIELDS                                                          \
  eddy_alloc_cb _alloc_cb;                                                    \
  eddy_read_cb _read_cb;                                                      \
  eddy_connection_cb _connection_cb;                                          \
  eddy_drain_cb _drain_cb;                                                    \
  size_t _queued;           /* bytes not yet written */                       \
  size_t _high_water;                                                         \
  eddy_queue_t _writes;     /* queued; the head is being written */           \
  eddy_queue_t _done;       /* completed, callback not yet run */             \
  eddy_connect_t *_connect_req;                                               \
  eddy_shutdown_t *_shutdown_req;                                             \
  struct eddy__listener_s *_listener;                                         \
  int _error;               /* sticky write error */                          \
  int _connect_status;                                                        \
  eddy__watcher_t _io;                                                        \
  eddy__pending_space_t _pending;
/* clang-format on */

struct eddy_stream_s {
  EDDY_STREAM_FIELDS
};

/* A TCP stream (IPv4 or IPv6). Type EDDY_HANDLE_TCP. */
struct eddy_tcp_s {
  EDDY_STREAM_FIELDS
};

/* A Unix-domain stream. Type EDDY_HANDLE_UNIX. */
struct eddy_unix_s {
  EDDY_STREAM_FIELDS
  eddy_fd_cb _fd_cb;
};

/* Any stream as an eddy_stream_t *: eddy_read_start(EDDY_STREAM(&tcp), ...). */
#define EDDY_STREAM(s) ((eddy_stream_t *)(s))

/*
 * A write request. Caller-owned; it must stay valid (and untouched) until
 * its callback has run. The bytes the buffers point to must stay valid and
 * unchanged until then too; the buffer array itself is copied.
 */
struct eddy_write_s {
  void *data;
  eddy_stream_t *stream; /* read-only */
  /* private */
  eddy_write_cb _cb;
  int _status;
  int _send_fd;
  unsigned _nbufs;
  unsigned _index;
  eddy_buf_t *_bufs;
  eddy_queue_t _node;
  int _file_fd;        /* eddy_write_file: the file, else -1 */
  int64_t _file_off;   /* next file byte to send */
  uint64_t _file_left; /* file bytes not yet taken by the kernel */
  eddy_buf_t _small[EDDY_WRITE_INLINE_BUFS];
};

/* A connect request; caller-owned until its callback has run. */
struct eddy_connect_s {
  void *data;
  eddy_stream_t *stream; /* read-only */
  eddy_connect_cb _cb;
};

/* A shutdown request; caller-owned until its callback has run. */
struct eddy_shutdown_s {
  void *data;
  eddy_stream_t *stream; /* read-only */
  eddy_shutdown_cb _cb;
  int _status;
};

/* ------------------------------------------------------------ addresses */

/*
 * Parses a numeric IPv4 or IPv6 address ("127.0.0.1", "::1", "fe80::1%eth0")
 * and a port (0..65535) into `out`. Never resolves names: "localhost" is
 * -EINVAL. Returns 0 or -EINVAL. Any thread.
 */
EDDY_EXTERN int eddy_net_addr(const char *ip, int port,
                              struct sockaddr_storage *out);

/* The port of an AF_INET/AF_INET6 address, or -EINVAL. Any thread. */
EDDY_EXTERN int eddy_net_port(const struct sockaddr *addr);

/* ------------------------------------------------------------------ TCP */

/*
 * Initialises a TCP stream with no socket yet; the socket is made by bind,
 * connect, accept or eddy_stream_open. Always returns 0. Loop thread.
 */
EDDY_EXTERN int eddy_tcp_init(eddy_loop_t *loop, eddy_tcp_t *tcp);

/* Flags of eddy_tcp_bind(). */
#define EDDY_TCP_REUSEPORT 1u /* SO_REUSEPORT: several sockets, one port */
#define EDDY_TCP_IPV6ONLY 2u  /* IPv6 socket refuses IPv4-mapped peers */

/*
 * Makes the socket (if the stream has none) and binds it to `addr`, with
 * SO_REUSEADDR always and the flags above. Port 0 picks a free port (read it
 * back with eddy_stream_sockname). Returns 0, -EINVAL (bad flags, family, or
 * a closing handle), -EADDRINUSE, -EADDRNOTAVAIL, -EAFNOSUPPORT, -EMFILE...
 */
EDDY_EXTERN int eddy_tcp_bind(eddy_tcp_t *tcp, const struct sockaddr *addr,
                              unsigned flags);

/* eddy_tcp_bind() on a numeric address: eddy_tcp_bind_ip(t, "::1", 0, 0). */
EDDY_EXTERN int eddy_tcp_bind_ip(eddy_tcp_t *tcp, const char *ip, int port,
                                 unsigned flags);

/*
 * Starts a non-blocking connect to `addr`, making the socket if the stream
 * has none. `cb` runs on a later iteration with 0 or the error (for example
 * -ECONNREFUSED), never inside this call. Writes issued before the connect
 * completes are queued and sent once it does. Returns 0, -EINVAL (NULL cb,
 * closing handle, bad family), -EALREADY (a connect is in progress),
 * -EISCONN (listening or already connected), or a socket() error.
 */
EDDY_EXTERN int eddy_tcp_connect(eddy_connect_t *req, eddy_tcp_t *tcp,
                                 const struct sockaddr *addr,
                                 eddy_connect_cb cb);

/* eddy_tcp_connect() to a numeric address and port. */
EDDY_EXTERN int eddy_tcp_connect_ip(eddy_connect_t *req, eddy_tcp_t *tcp,
                                    const char *ip, int port,
                                    eddy_connect_cb cb);

/*
 * TCP_NODELAY on or off (Nagle's algorithm off when on). Needs a socket:
 * -EBADF before bind/connect/accept/open.
 */
EDDY_EXTERN int eddy_tcp_nodelay(eddy_tcp_t *tcp, int on);

/*
 * SO_KEEPALIVE on or off; when on, the first probe is sent after
 * `idle_s` seconds of silence (TCP_KEEPIDLE; >= 1) and then every
 * `idle_s` seconds (TCP_KEEPINTVL). -EBADF without a socket, -EINVAL.
 */
EDDY_EXTERN int eddy_tcp_keepalive(eddy_tcp_t *tcp, int on, unsigned idle_s);

/* ----------------------------------------------------------------- Unix */

/*
 * Initialises a Unix stream with no socket yet. Always returns 0.
 * Loop thread.
 */
EDDY_EXTERN int eddy_unix_init(eddy_loop_t *loop, eddy_unix_t *u);

/*
 * Makes the socket and binds it to the filesystem `path`. The path is not
 * removed on close: unlink it yourself. -ENAMETOOLONG (longer than
 * sun_path), -EADDRINUSE (the path exists), -EINVAL, -EACCES, ...
 */
EDDY_EXTERN int eddy_unix_bind(eddy_unix_t *u, const char *path);

/*
 * Connects to the socket at `path`; as eddy_tcp_connect(): the result
 * (0, -ECONNREFUSED, -ENOENT, ...) always arrives in `cb` later.
 */
EDDY_EXTERN int eddy_unix_connect(eddy_connect_t *req, eddy_unix_t *u,
                                  const char *path, eddy_connect_cb cb);

/*
 * Connects two initialised Unix streams of the same loop to each other
 * (socketpair(2)): what the cluster uses between primary and worker.
 * -EINVAL if either already has a socket; -EMFILE, -ENFILE.
 */
EDDY_EXTERN int eddy_unix_pair(eddy_unix_t *a, eddy_unix_t *b);

/*
 * Receives file descriptors sent by the peer with eddy_write_fd(): from now
 * on reads use recvmsg(MSG_CMSG_CLOEXEC) and each received fd is handed to
 * `cb`, which owns it. With no fd callback (the default) received fds are
 * closed by the kernel. At most EDDY_UNIX_MAX_FDS per message are kept.
 * -EINVAL for a NULL cb or a closing handle.
 */
EDDY_EXTERN int eddy_unix_recv_fds(eddy_unix_t *u, eddy_fd_cb cb);

/* -------------------------------------------------------------- streams */

/*
 * Wraps an existing socket `fd` (connected, listening, a socketpair end,
 * or bound and not yet listening: then call eddy_listen) in an initialised
 * stream without one. The stream owns `fd` from now on
 * (even on error, the caller keeps it) and closes it on eddy_close; it is
 * switched to non-blocking and close-on-exec. -EINVAL (bad fd, closing
 * handle), -EISCONN (the stream already has a socket), -ENOMEM.
 */
EDDY_EXTERN int eddy_stream_open(eddy_stream_t *s, int fd);

/* The stream's socket, or -EBADF if it has none. */
EDDY_EXTERN int eddy_stream_fd(const eddy_stream_t *s);

/*
 * The local / peer address (getsockname / getpeername). `*len` is in/out
 * as for the system calls. -EBADF without a socket, -ENOTCONN, ...
 */
EDDY_EXTERN int eddy_stream_sockname(const eddy_stream_t *s,
                                     struct sockaddr_storage *addr,
                                     socklen_t *len);
EDDY_EXTERN int eddy_stream_peername(const eddy_stream_t *s,
                                     struct sockaddr_storage *addr,
                                     socklen_t *len);

/*
 * Listens on a bound (or opened) socket. `backlog` <= 0 means SOMAXCONN.
 * For each connection `cb` runs and calls eddy_accept(); at most 32 are
 * accepted per readable event. When the process is out of file descriptors
 * (EMFILE/ENFILE) the listener does not spin: it closes a reserved spare
 * descriptor, accepts and closes the waiting connections (the clients see a
 * close), reopens the spare, and logs a warning (at most one line per 10 s);
 * if the spare cannot be reopened it pauses accepting for 100 ms. Returns 0,
 * -EINVAL (NULL cb, closing), -EBADF (no socket), -EISCONN, -ENOMEM, or a
 * listen() error.
 */
EDDY_EXTERN int eddy_listen(eddy_stream_t *server, int backlog,
                            eddy_connection_cb cb);

/*
 * Makes the listener wait with EPOLLEXCLUSIVE, for a listening socket that
 * several processes (or loops) share: a new connection then wakes one of
 * the loops waiting in epoll, not all of them (no thundering herd), and a
 * loop that is busy or stuck is not waiting, so the connection goes to
 * another. Call before or after eddy_listen(). Cannot be undone. Returns
 * 0, or -EINVAL for a closing handle. Loop thread.
 */
EDDY_EXTERN int eddy_listen_exclusive(eddy_stream_t *server);

/*
 * Stops (paused 1) or resumes (0) accepting on a listener without closing
 * it: the socket keeps listening and new connections wait in its queue,
 * where another process sharing the socket may take them. A cluster
 * worker pauses before it closes its server, so no connection is
 * accepted in the moment before the close. Works before eddy_listen too.
 * Returns 0, or -EINVAL for a closing handle. Loop thread.
 */
EDDY_EXTERN int eddy_listen_pause(eddy_stream_t *server, int paused);

/*
 * Offers `fd`, a connection accepted elsewhere (for example received from
 * a cluster primary over a Unix socket), to a listening stream's
 * connection callback as if accept had returned it: the callback runs
 * INSIDE this call and takes it with eddy_accept(), or it is closed when
 * the callback returns. The stream takes `fd` when this returns 0. The
 * listener may be paused. -EINVAL (fd < 0, not listening, closing, or
 * called from a connection callback); the caller then keeps fd. Loop
 * thread.
 */
EDDY_EXTERN int eddy_listen_offer(eddy_stream_t *server, int fd);

/*
 * Takes the connection offered to the connection callback into `client`,
 * an initialised stream of the same kind (TCP or Unix) on the same loop
 * with no socket. Only valid inside that callback. -EAGAIN (nothing
 * offered), -EINVAL (wrong kind or loop, closing), -EISCONN, -ENOMEM.
 */
EDDY_EXTERN int eddy_accept(eddy_stream_t *server, eddy_stream_t *client);

/*
 * Starts reading: `alloc_cb` then `read_cb` per read, at most 8 reads per
 * readable event. -EINVAL (NULL cb, closing, listening), -ENOTCONN (no
 * socket), -EALREADY (already reading). May be called from a read callback
 * after eddy_read_stop().
 */
EDDY_EXTERN int eddy_read_start(eddy_stream_t *s, eddy_alloc_cb alloc_cb,
                                eddy_read_cb read_cb);

/* Stops reading; no read callback runs after it returns. Idempotent. */
EDDY_EXTERN int eddy_read_stop(eddy_stream_t *s);

/*
 * Queues `nbufs` buffers for writing (see the top of this file); `cb` (may
 * be NULL) runs later with the status. Returns 0 while the queue is below
 * the high-water mark, 1 at or above it (the drain callback will run when
 * it empties), or a negative error with no callback: -EINVAL (nbufs 0,
 * closing handle, listening), -ENOTCONN (no socket), -EPIPE (after
 * eddy_shutdown), -ENOMEM (more than EDDY_WRITE_INLINE_BUFS buffers and no
 * memory), or the error an earlier write failed with.
 */
EDDY_EXTERN int eddy_write(eddy_write_t *req, eddy_stream_t *s,
                           const eddy_buf_t bufs[], unsigned nbufs,
                           eddy_write_cb cb);

/*
 * libuv's uv_try_write: sends what the kernel takes of `nbufs` buffers now
 * and queues nothing, so no request and no callback. Returns the bytes sent
 * (fewer than given when the kernel took part), -EAGAIN when writes are
 * queued, the stream is connecting or the kernel took nothing, the
 * eddy_write() errors (-EINVAL, also for more than IOV_MAX buffers;
 * -ENOTCONN, -EPIPE, an earlier failure), or the send's own error
 * (-ECONNRESET, -EPIPE...), which does not mark the stream: the caller
 * decides, usually by closing it. Loop thread.
 */
EDDY_EXTERN ssize_t eddy_try_write(eddy_stream_t *s, const eddy_buf_t bufs[],
                                   unsigned nbufs);

/*
 * eddy_write() that also sends the descriptor `fd` (SCM_RIGHTS) with the
 * first byte of these buffers, over a Unix stream. eddy does not take `fd`:
 * keep it open until `cb` runs, then close it if you like (the peer has its
 * own copy). -EINVAL also for a TCP stream, a negative fd or no bytes.
 */
EDDY_EXTERN int eddy_write_fd(eddy_write_t *req, eddy_stream_t *s,
                              const eddy_buf_t bufs[], unsigned nbufs, int fd,
                              eddy_write_cb cb);

/*
 * Queues `len` bytes of the regular file `file_fd` from `offset`, sent with
 * sendfile(2) (zero-copy) in queue order: after the writes queued before
 * it, before those queued after it. The bytes count in
 * eddy_stream_queued(). eddy does not take `file_fd`: keep it open until
 * `cb` runs. If the file turns out shorter than offset + len, the write
 * fails with -EIO (the stream is then unusable for writes).
 *
 * sendfile runs on the loop thread, as in nginx and h2o: for a file in
 * the page cache it copies nothing and never waits; for a cold file the
 * kernel may read the disk inside the call. Warm the file on the thread
 * pool (eddy_fs_read, posix_fadvise) if that matters. Loop thread.
 * Returns as eddy_write(), and -EINVAL for len 0, a negative fd or offset.
 */
EDDY_EXTERN int eddy_write_file(eddy_write_t *req, eddy_stream_t *s,
                                int file_fd, int64_t offset, uint64_t len,
                                eddy_write_cb cb);

/* Bytes queued and not yet taken by the kernel. */
EDDY_EXTERN size_t eddy_stream_queued(const eddy_stream_t *s);

/*
 * Sets the high-water mark (bytes; 0 restores the default) and the drain
 * callback (may be NULL). Returns 0, or -EINVAL for a closing handle.
 */
EDDY_EXTERN int eddy_stream_set_high_water(eddy_stream_t *s, size_t bytes,
                                           eddy_drain_cb drain_cb);

/*
 * Shuts down the sending side (SHUT_WR) once every queued write has been
 * flushed; the peer then reads EOF. `cb` (may be NULL) runs later with the
 * status. Writes after this return -EPIPE. -EINVAL (closing, listening),
 * -ENOTCONN (no socket), -EALREADY (already requested).
 */
EDDY_EXTERN int eddy_shutdown(eddy_shutdown_t *req, eddy_stream_t *s,
                              eddy_shutdown_cb cb);

#ifdef __cplusplus
}
#endif
#endif

/*
 * eddy — the HTTP/1.1 server.
 *
 * An HTTP/1.1 server on an eddy_tcp_t listener. Each connection has one
 * read buffer (grown up to the head limit, reused across keep-alive
 * requests), parses every complete request in it (pipelining), and calls
 * the handler with (server, req, res). Responses leave strictly in request
 * order even when handlers finish out of order; everything produced for a
 * connection in one loop iteration leaves in one eddy_write.
 *
 * Lifetime: `req` (and its slices and body) and `res` stay valid until the
 * handler has called eddy_http_res_end() -- which every handler must call
 * exactly once, now or later (after a timer, a thread-pool job...). If the
 * client goes away first, the on-close callback (eddy_http_res_on_close)
 * runs; res and req then stay valid, every res function returns
 * -ECANCELED, and the final eddy_http_res_end() releases them.
 *
 * Threads: everything here is loop-thread only.
 */
#ifndef EDDY_HTTP_H
#define EDDY_HTTP_H

#include "eddy/http_parser.h"
#include "eddy/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eddy_http_server_s eddy_http_server_t;
/* A response in progress (opaque; `data` is the handler's). */
typedef struct eddy_http_res_s eddy_http_res_t;

/* Called once per request, in request order, with its complete body. */
typedef void (*eddy_http_handler_cb)(eddy_http_server_t *server,
                                     eddy_http_request_t *req,
                                     eddy_http_res_t *res);
/* Drain (the write queue went below the high-water mark) or client gone. */
typedef void (*eddy_http_res_cb)(eddy_http_res_t *res);
/* The server is closed: every connection and the listener are gone. */
typedef void (*eddy_http_server_close_cb)(eddy_http_server_t *server);

/*
 * Server options; zero means the default shown. Timeouts are in ms and
 * follow Node's http.Server defaults.
 */
typedef struct eddy_http_server_opts_s {
  eddy_http_limits_t limits;      /* zero fields: parser defaults */
  uint64_t headers_timeout_ms;    /* 60000: the head must arrive within */
  uint64_t request_timeout_ms;    /* 300000: head and body within, from
                                     the request's first byte (Node) */
  uint64_t keep_alive_timeout_ms; /* 5000: an idle connection closes */
  uint64_t send_timeout_ms;       /* 60000: a client that takes no byte of
                                     pending output for this long is cut off
                                     (nginx's send_timeout) */
  unsigned max_connections;       /* default: the process's open-file
                                     limit (RLIMIT_NOFILE) less 64, at
                                     least 64; EDDY_HTTP_UNLIMITED for no
                                     limit. Above it a new connection is
                                     accepted and closed at once. */
  int backlog;                    /* 511 */
  const char *server_name;        /* NULL: no Server header */
  uint64_t body_timeout_ms;       /* 60000: a request body that receives
                                     no byte for this long is answered
                                     408 (nginx's client_body_timeout) */
  uint64_t response_timeout_ms;   /* 0 = off: a handler that has not
                                     begun its answer this long after its
                                     request was complete is told through
                                     on_close, and the client gets 503 and
                                     the close. The handler must still call
                                     eddy_http_res_end (-ECANCELED). */
} eddy_http_server_opts_t;

/* send_path opens a server may have queued on the thread pool at once;
 * past it send_path says EDDY_EQUEUEFULL at once (answer 503). */
#define EDDY_HTTP_MAX_PATH_JOBS 1024

/* max_connections: no limit but the open-file limit. */
#define EDDY_HTTP_UNLIMITED ((unsigned)-1)

/* The server; caller-owned, valid until the close callback has run. */
struct eddy_http_server_s {
  void *data;
  eddy_loop_t *loop; /* read-only */
  /* private */
  eddy_tcp_t _tcp;
  eddy_http_server_opts_t _opts;
  eddy_http_handler_cb _handler;
  eddy_http_server_close_cb _close_cb;
  eddy_queue_t _conns;
  unsigned _nconns;
  int _closing;
  int _listening;
  void *_free;                       /* free list of exchange objects */
  unsigned _free_count;              /* its length (bounded) */
  unsigned _path_jobs;               /* send_path opens on the thread pool */
  struct eddy__http_cache_s *_cache; /* idle connections' buffers */
  eddy_timer_t _grace;
  eddy_http_handler_cb _on_head;
  eddy_http_limits_t _parse_limits; /* _opts.limits, body limit lifted */
};

/*
 * Prepares `server` on `loop`; `opts` may be NULL (defaults) and is
 * copied. Returns 0 or -EINVAL (NULL handler). Loop thread.
 */
EDDY_EXTERN int eddy_http_server_init(eddy_loop_t *loop,
                                      eddy_http_server_t *server,
                                      const eddy_http_server_opts_t *opts,
                                      eddy_http_handler_cb handler);

/*
 * Binds host:port (numeric address; port 0 picks one, see
 * eddy_http_server_port) and listens. Returns 0 or a negative errno
 * (-EADDRINUSE, -EINVAL for a bad address...).
 */
EDDY_EXTERN int eddy_http_server_listen(eddy_http_server_t *server,
                                        const char *host, int port);

/* Flags of eddy_http_server_listen_fd(). */
#define EDDY_HTTP_LISTEN_EXCLUSIVE 1u /* eddy_listen_exclusive (net.h) */

/*
 * Listens on `fd`, a socket that is already bound (and maybe listening),
 * for example one inherited from a cluster primary. The server owns `fd`
 * once this returns 0 or a listen() error, and closes it when the server
 * closes (other processes' copies stay open); after -EINVAL or -EISCONN
 * the caller still owns it. With
 * EDDY_HTTP_LISTEN_EXCLUSIVE the listener waits with EPOLLEXCLUSIVE, for
 * a socket that several processes accept on. Returns 0, -EINVAL (fd < 0,
 * unknown flags, server closing), -EISCONN (already listening), or a
 * listen() error. Loop thread.
 */
EDDY_EXTERN int eddy_http_server_listen_fd(eddy_http_server_t *server, int fd,
                                           unsigned flags);

/* The bound port, or a negative errno. */
EDDY_EXTERN int eddy_http_server_port(const eddy_http_server_t *server);

/*
 * Closes the server: stops accepting at once and closes idle
 * connections. Connections with requests in flight get `Connection:
 * close` on their responses and close after them, or when `grace_ms`
 * ends (0: close everything now). `cb` (may be NULL) runs once all are
 * closed. -EALREADY if already closing.
 */
EDDY_EXTERN int eddy_http_server_close(eddy_http_server_t *server,
                                       uint64_t grace_ms,
                                       eddy_http_server_close_cb cb);

/* Open connections. */
EDDY_EXTERN unsigned eddy_http_server_connections(
    const eddy_http_server_t *server);

/*
 * Sets a hook called for each request that carries a body (Content-Length
 * above 0, or chunked) as soon as its head is parsed: before any body byte
 * is read, before "100 Continue" is sent and before the body limit is
 * checked. `hook` may be NULL (the default: no hook). Inside the hook, and
 * only there, the request is decided; the hook must choose before it
 * returns:
 *   - stream the body: eddy_http_req_on_data() (and maybe
 *     eddy_http_req_set_max_body()); the handler is then NOT called for
 *     this request: the hook and the callbacks answer `res`;
 *   - answer at once without the body (eddy_http_res_status +
 *     eddy_http_res_end, e.g. 401, 413 or 417): no 100 Continue is sent,
 *     the body is never read, and the connection closes after the
 *     response (the unread body would otherwise be taken for a request);
 *   - do neither: the body is buffered as usual (with the limit, raised
 *     or not) and the handler runs with it.
 * Loop thread.
 */
EDDY_EXTERN void eddy_http_server_on_head(eddy_http_server_t *server,
                                          eddy_http_handler_cb hook);

/* A chunk of a streamed body: `len` bytes (> 0) at `data`, valid only
 * during the call (copy what you keep). */
typedef void (*eddy_http_data_cb)(eddy_http_request_t *req, const char *data,
                                  size_t len);
/*
 * The streamed body ended: status 0 when complete, else the status to
 * answer (400 malformed chunked body, 413 over the body limit, 408 too
 * slow); after an error the connection closes after the response. Not
 * called if the response was ended first (the rest of the body is then
 * never read and the connection closes) or if the client went away (the
 * on_close callback of the response runs instead).
 */
typedef void (*eddy_http_end_cb)(eddy_http_request_t *req, int status);

/*
 * From the on-head hook only: delivers this request's body as it arrives
 * (Content-Length bytes, or the decoded data of a chunked body) to
 * `on_data`, then calls `on_end`, instead of buffering it. Reading is
 * paused while the callbacks are behind (eddy_http_req_pause), so the
 * connection's read buffer stays at a few tens of KiB whatever the body
 * size. Sends "100 Continue" if the client asked for it. Callbacks run
 * on the loop thread, never inside this call. Returns 0, or -EINVAL
 * (outside the hook, NULL callback).
 */
EDDY_EXTERN int eddy_http_req_on_data(eddy_http_request_t *req,
                                      eddy_http_data_cb on_data,
                                      eddy_http_end_cb on_end);

/*
 * From the on-head hook only: sets the body limit of this request (bytes,
 * > 0) in place of limits.max_body; a longer body is answered 413 (or
 * on_end(413) when streaming). -EINVAL outside the hook or for 0.
 */
EDDY_EXTERN int eddy_http_req_set_max_body(eddy_http_request_t *req,
                                           uint64_t max_body);

/*
 * Streamed bodies: pause stops reading from the socket (no on_data runs
 * until resume, even for bytes already read); resume restarts it, and the
 * next on_data runs from the loop, not inside resume. Both idempotent.
 * -EINVAL if the request is not streaming or its body is over;
 * -ECANCELED once the client is gone.
 */
EDDY_EXTERN int eddy_http_req_pause(eddy_http_request_t *req);
EDDY_EXTERN int eddy_http_req_resume(eddy_http_request_t *req);

/* The body of a request handed to the handler ("" and 0 if none). */
EDDY_EXTERN const char *eddy_http_req_body(const eddy_http_request_t *req,
                                           size_t *len);

/* The handler's pointer for this response (NULL at first). */
EDDY_EXTERN void **eddy_http_res_data(eddy_http_res_t *res);

/* The request this response answers. */
EDDY_EXTERN eddy_http_request_t *eddy_http_res_req(eddy_http_res_t *res);

/* Sets the status (default 200). -EINVAL outside 200..999 (a 1xx is
 * interim, never the answer; the server sends 100 Continue itself) or
 * after the head has been written; -ECANCELED once the client is gone. */
EDDY_EXTERN int eddy_http_res_status(eddy_http_res_t *res, int status);

/*
 * Header fields of the response. set replaces every field of that name
 * (case-insensitive), append adds one more, remove drops them all. Names
 * and values are copied; a name that is not a token or a value with a
 * control byte (CR, LF, NUL...) is -EINVAL, and a refused set changes
 * nothing. Setting "Connection: close" closes the connection after this
 * response.
 *
 * Framing is the server's (as nginx and h2o frame a body themselves):
 *   - Transfer-Encoding: refused, -EINVAL (set and append). The server
 *     chunks a body of unknown length itself.
 *   - Content-Length: the value must be 1 to 18 digits (RFC 9110 §8.6),
 *     else -EINVAL; set replaces it, a second append is -EINVAL, remove
 *     drops it. It replaces the automatic one (no chunking) and the body
 *     is held to it: a write or end that would go past it is
 *     -EMSGSIZE and sends none of its bytes; an end that leaves the body
 *     short ends the response as the last on its connection, which then
 *     closes (Connection: close if the head was not out yet), and returns
 *     -EMSGSIZE. HEAD and 304 responses send it as given with no body,
 *     and are never short; a 204 never carries it (RFC 9110 §8.6).
 *     send_file with another length is -EINVAL.
 * -EINVAL after the head was written, -ECANCELED, -ENOMEM.
 */
EDDY_EXTERN int eddy_http_res_set_header(eddy_http_res_t *res, const char *name,
                                         const char *value);
EDDY_EXTERN int eddy_http_res_append_header(eddy_http_res_t *res,
                                            const char *name,
                                            const char *value);
EDDY_EXTERN int eddy_http_res_remove_header(eddy_http_res_t *res,
                                            const char *name);

/*
 * Streams `len` body bytes (copied). The first call writes the head: with
 * no Content-Length set the body is chunked (HTTP/1.1) or delimited by
 * closing the connection (HTTP/1.0). Returns 0, 1 if the connection's
 * output is above its high-water mark (wait for the drain callback), or
 * -ECANCELED (client gone), -ENOMEM, -EINVAL (after end), -EMSGSIZE
 * (past the Content-Length the handler set: nothing of it is sent and
 * the response stays open).
 */
EDDY_EXTERN int eddy_http_res_write(eddy_http_res_t *res, const void *data,
                                    size_t len);

/*
 * Finishes the response with a last `len` bytes of body (may be 0). If
 * nothing was written yet, Content-Length is set to `len`. HEAD requests
 * and 204/304 responses get no body bytes. Releases res and req (they
 * must not be used afterwards). Returns 0, -ECANCELED (the client was
 * gone: res is still released), -ENOMEM, -EMSGSIZE (the body does not
 * match the Content-Length the handler set: bytes past it are not sent,
 * a short body closes the connection after it; res is still released),
 * or -EINVAL (ended twice is undefined: do not).
 */
EDDY_EXTERN int eddy_http_res_end(eddy_http_res_t *res, const void *body,
                                  size_t len);

/*
 * Finishes the response with `length` bytes of the open regular file `fd`
 * from `offset` (length -1: to the end of the file, found with fstat,
 * which reads the in-memory inode and never touches the disk). The head
 * gets Content-Length: length; the bytes go with sendfile(2), zero-copy,
 * after the responses before this one and before those after it; a slow
 * client makes it wait for writability, never the loop. HEAD requests and
 * 204/304 get the head only.
 *
 * eddy takes `fd` whatever the result and closes it when the response is
 * done or the connection is gone. Open it off the loop: eddy_fs_open()
 * (thread pool), or use eddy_http_res_send_path().
 *
 * Like nginx and h2o, eddy calls sendfile on the loop thread: a file in
 * the page cache costs no copy and no wait, but a cold file makes the
 * kernel read the disk inside the call. Warm such files on the thread pool
 * first if that matters (see eddy_write_file in net.h).
 *
 * Ends the response like eddy_http_res_end() (res and req are released)
 * and returns 0, or -ECANCELED (client gone; released too). On -EINVAL
 * (negative fd or offset, length < -1, offset past the end, not a regular
 * file, head already written, a length that is not the Content-Length
 * the handler set) or an fstat error, the response is NOT
 * ended: answer it another way.
 */
EDDY_EXTERN int eddy_http_res_send_file(eddy_http_res_t *res, int fd,
                                        int64_t offset, int64_t length);

/*
 * Opens `path` (copied) on the thread pool, fstats it there, then finishes
 * the response as eddy_http_res_send_file(res, fd, 0, size). If the open
 * fails the response is ended with 404 (missing, a directory), 403
 * (permission, or not a regular file: a FIFO or device is never opened
 * for long), 503 (the job was cancelled) or 500 (also when the handler
 * set a Content-Length that is not the file's size), text/plain. Headers set
 * before (Content-Type...) are kept. The path is used as given: confine
 * it to your document root first (eddy_http_url_decode +
 * eddy_http_path_normalize, or openat2 with RESOLVE_BENEATH as the app's
 * static middleware does). Returns 0 (the response will end by itself),
 * -EINVAL (NULL path, head written), -ECANCELED (client gone: still call
 * eddy_http_res_end), EDDY_EQUEUEFULL (EDDY_HTTP_MAX_PATH_JOBS opens are
 * already queued: answer 503), -ENOMEM, or an eddy_queue_work() error; on
 * an error nothing is ended. A closing server waits for its queued opens.
 */
EDDY_EXTERN int eddy_http_res_send_path(eddy_http_res_t *res, const char *path);

/*
 * The client's address (getpeername of the connection), `*len` in/out as
 * for getpeername. Returns 0, -ECANCELED once the client is gone, or a
 * negative errno. Loop thread.
 */
EDDY_EXTERN int eddy_http_res_peername(const eddy_http_res_t *res,
                                       struct sockaddr_storage *addr,
                                       socklen_t *len);

/* Callbacks: `drain` after write returned 1; `on_close` if the client
 * goes before the response ends. Either may be NULL. */
EDDY_EXTERN void eddy_http_res_on_drain(eddy_http_res_t *res,
                                        eddy_http_res_cb drain);
EDDY_EXTERN void eddy_http_res_on_close(eddy_http_res_t *res,
                                        eddy_http_res_cb on_close);

/*
 * Writes the IMF-fixdate for `t` (seconds since the epoch) into out[29]
 * plus NUL: "Sun, 06 Nov 1994 08:49:37 GMT". Any thread.
 */
EDDY_EXTERN void eddy_http_date(long long t, char out[30]);

#ifdef __cplusplus
}
#endif
#endif

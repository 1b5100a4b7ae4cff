/*
 * eddy — the HTTP/1.1 client and its keep-alive agent (Node's http.request
 * with an Agent, undici's pool, in C).
 *
 * An eddy_client_t is an agent: it owns the connections, one keep-alive
 * pool per host and port (a resource pool, eddy/respool.h), at most
 * `max_per_host` connections to one origin and `max_total` in all, and a
 * bounded queue of requests waiting for a connection. eddy_client_request()
 * starts one request; its callbacks deliver the response head, the body
 * (streamed piece by piece, or buffered whole up to a limit) and the end,
 * or one error, and nothing after either.
 *
 * Lifetime of a request: eddy_client_request() allocates it and returns a
 * pointer the caller may use (abort, pause, resume, body writes) until the
 * request's on_end or on_error callback has returned; the client frees it
 * then. Exactly one of the two runs, exactly once, never inside a call of
 * the caller into the client. A request that cannot be started fails
 * synchronously and gets no callback.
 *
 * Errors (on_error's status, and synchronous returns):
 *   EDDY_ENOTFOUND       the host name does not resolve
 *   -ECONNREFUSED        nothing listens on the port
 *   -ECONNRESET          the peer reset or closed the connection before the
 *                        response was complete (Node's "socket hang up")
 *   -ETIMEDOUT           the connection was not made in connect_timeout_ms
 *   EDDY_ERESPTIMEOUT    no response byte came in response_timeout_ms
 *   EDDY_EIDLETIMEOUT    the response stalled for idle_timeout_ms
 *   -EMSGSIZE            the buffered body exceeded max_body
 *   -EPROTO              malformed or ambiguous response (bad status line,
 *                        bad header, Content-Length with Transfer-Encoding,
 *                        bad lengths or chunks, head above max_head)
 *   -ECANCELED           eddy_client_abort(), or the client was closed
 *   EDDY_EQUEUEFULL      (synchronous) the host's waiting queue is full
 *   -EINVAL              (synchronous) a bad URL, method or header
 *   other negative errno from DNS or the socket (-ENETUNREACH, ...)
 *
 * Reuse: a connection goes back to its pool after a complete exchange when
 * both sides allow keep-alive and nothing unexpected followed the response.
 * An idle connection is read by the agent, so one the server closes is
 * dropped at once; if the server closes it just as a request is written on
 * it (no response byte yet), an idempotent request (GET, HEAD, PUT, DELETE,
 * OPTIONS, TRACE) with a buffered body is sent again once on a new
 * connection, as Node and undici do.
 *
 * Pipelining (opts.pipelining > 1, undici's option): once a host has
 * max_per_host connections, an idempotent request with a buffered body
 * (no 100-continue) may be written on a connection behind up to
 * pipelining - 1 others of its kind; responses come back in order. If that
 * connection fails, the requests behind the failed one are sent again once
 * (they had no response byte yet); aborting a request that waits behind
 * another closes the connection, with the same effect on the others.
 *
 * Names are resolved with eddy_getaddrinfo() on the thread pool, never on
 * the loop, and kept dns_ttl_ms per host; the addresses are tried in order.
 *
 * Plain HTTP only. TLS will sit between the connection and the exchange
 * (see docs/ARCHITECTURE.md).
 *
 * Threads: a client and its requests belong to the loop's thread.
 */
#ifndef EDDY_CLIENT_H
#define EDDY_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "eddy/http_parser.h"
#include "eddy/loop.h"
#include "eddy/respool.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eddy_client_s eddy_client_t;
typedef struct eddy_client_req_s eddy_client_req_t;

/* ------------------------------------------------------------- the URL */

/* A parsed http:// URL; slices point into the parsed string. */
typedef struct {
  eddy_http_slice_t host;   /* name or IP literal, IPv6 without brackets */
  eddy_http_slice_t target; /* path and query, "/" when empty */
  int port;                 /* 80 when absent */
  int ipv6;                 /* host was an [IPv6] literal */
} eddy_client_url_t;

/*
 * Parses "http://host[:port][/path][?query][#fragment]" (scheme
 * case-insensitive; userinfo and fragment are refused and dropped
 * respectively). Returns 0 or -EINVAL (not http, empty or bad host, bad
 * port, bytes a request target may not hold), -EPROTONOSUPPORT for
 * "https://". Pure; any thread.
 */
EDDY_EXTERN int eddy_client_url_parse(const char *url, size_t len,
                                      eddy_client_url_t *out);

/* ------------------------------------------------- the response parser */

/* Response flags (eddy_client_head_t.flags). */
enum {
  EDDY_CLIENT_F_KEEP_ALIVE = 1 << 0, /* the server allows reuse */
  EDDY_CLIENT_F_CHUNKED = 1 << 1,    /* chunked body */
  EDDY_CLIENT_F_UNTIL_CLOSE = 1 << 2 /* body ends when the server closes */
};

/* A parsed response head. Slices point into the parsed buffer. */
typedef struct {
  int status;        /* 100..999 */
  int minor_version; /* 0 or 1 */
  eddy_http_slice_t reason;
  unsigned flags;
  int64_t content_length;      /* -1 if absent */
  eddy_http_header_t *headers; /* the caller's array */
  size_t nheaders;
} eddy_client_head_t;

/*
 * Parses the response head at the start of `buf` (`len` bytes) with the
 * strictness of the request parser: "HTTP/1.x SSS reason", CRLF line ends,
 * token names, no obs-fold, no control bytes in values, at most
 * `max_headers` lines into `headers` and `max_head` bytes in all.
 * Content-Length must be one decimal value (a list of equal values is
 * allowed); a Transfer-Encoding that does not end in chunked leaves the
 * body to the close (RFC 9112 §6.3); chunked twice, Transfer-Encoding with
 * Content-Length, several differing lengths or Transfer-Encoding in
 * HTTP/1.0 are refused (smuggling).
 * The framing flags are for a response to a request other than HEAD; the
 * caller handles HEAD, 1xx, 204 and 304 (no body). Returns the head's
 * length, EDDY_HTTP_INCOMPLETE, or -EPROTO. Pure; any thread.
 */
EDDY_EXTERN int eddy_client_parse_response(const char *buf, size_t len,
                                           eddy_client_head_t *head,
                                           eddy_http_header_t *headers,
                                           size_t max_headers, size_t max_head);

/* First header named `name` (case-insensitive) of `head`, or NULL. */
EDDY_EXTERN const eddy_http_header_t *eddy_client_find_header(
    const eddy_client_head_t *head, const char *name);

/* ---------------------------------------------------------- the agent */

/* Agent options; zero means the default given. */
typedef struct {
  unsigned max_per_host;        /* connections per host:port; 16 */
  unsigned max_total;           /* connections in all; 256 */
  unsigned max_queue;           /* requests waiting for a connection per
                                   host (also those whose connection is
                                   being made); past it EDDY_EQUEUEFULL at
                                   once; 1024 */
  uint64_t keep_alive_ms;       /* an idle connection is closed after;
                                   4000 (below Node servers' 5 s) */
  uint64_t connect_timeout_ms;  /* 10000 */
  uint64_t response_timeout_ms; /* request sent to first byte; 30000 */
  uint64_t idle_timeout_ms;     /* silence within a response; 30000 */
  uint64_t dns_ttl_ms;          /* how long a resolved name is kept; 30000 */
  size_t max_head;              /* response head bytes; 16384 */
  unsigned max_headers;         /* response header lines; 100 */
  uint64_t continue_timeout_ms; /* wait for 100 Continue, then send the
                                   body anyway; 1000 (curl's) */
  unsigned pipelining;          /* requests in flight on one connection;
                                   1 (none, as Node and undici's default) */
} eddy_client_opts_t;

/* Counts of the agent now. */
typedef struct {
  unsigned hosts;       /* host:port pools */
  unsigned connections; /* open or opening */
  unsigned idle;        /* kept alive, unused */
  unsigned waiting;     /* requests waiting for a connection */
  uint64_t connects;    /* connections made so far */
  uint64_t reused;      /* requests sent on a kept-alive connection */
  uint64_t retried;     /* requests sent again after a stale connection */
  uint64_t pipelined;   /* requests sent behind another on a connection */
  uint64_t dns_lookups; /* resolutions on the thread pool */
} eddy_client_stats_t;

/* The end of eddy_client_close(). */
typedef void (*eddy_client_close_cb)(eddy_client_t *client);

/* The agent; allocated by eddy_client_create(). `data` is the user's. */
struct eddy_client_s {
  void *data;
  eddy_loop_t *loop; /* read-only */
};

/*
 * Makes an agent on `loop` with `opts` (NULL for defaults) into *out.
 * Returns 0, -EINVAL or -ENOMEM. Loop thread.
 */
EDDY_EXTERN int eddy_client_create(eddy_loop_t *loop,
                                   const eddy_client_opts_t *opts,
                                   eddy_client_t **out);

/*
 * Closes the agent: waiting and running requests end with -ECANCELED,
 * connections are closed, and `cb` (may be NULL) runs when all are gone;
 * the agent is freed after `cb` returns. -EALREADY if already closing.
 */
EDDY_EXTERN int eddy_client_close(eddy_client_t *client,
                                  eddy_client_close_cb cb);

/* Copies the agent's counts into *out. */
EDDY_EXTERN void eddy_client_stats(const eddy_client_t *client,
                                   eddy_client_stats_t *out);

/* ------------------------------------------------------- the requests */

/* A request header; both strings NUL-terminated, copied at the start. */
typedef struct {
  const char *name;
  const char *value;
} eddy_client_header_t;

/* The response as the callbacks see it; valid until on_end/on_error. */
typedef struct {
  int status;
  int minor_version;
  eddy_http_slice_t reason;
  const eddy_http_header_t *headers;
  size_t nheaders;
  int64_t content_length; /* -1 if not sent */
  const char *body;       /* buffered mode, in on_end: the whole body */
  size_t body_len;
  unsigned redirects; /* redirects followed to get here */
} eddy_client_res_t;

/* The response head has arrived (final status; 1xx are skipped). */
typedef void (*eddy_client_head_cb)(eddy_client_req_t *req,
                                    const eddy_client_res_t *res);
/* A piece of the body (streamed mode); valid during the call only. */
typedef void (*eddy_client_data_cb)(eddy_client_req_t *req, const char *data,
                                    size_t len);
/* The exchange is complete. */
typedef void (*eddy_client_end_cb)(eddy_client_req_t *req,
                                   const eddy_client_res_t *res);
/* The request failed (see the top of this file); nothing follows. */
typedef void (*eddy_client_error_cb)(eddy_client_req_t *req, int status);
/* Streamed upload: the body may be written now, or again after a 1. */
typedef void (*eddy_client_ready_cb)(eddy_client_req_t *req);

/* What eddy_client_request() sends and how it delivers the answer. */
typedef struct {
  const char *method;                  /* "GET" when NULL */
  const char *url;                     /* http://host[:port]/path?query */
  const eddy_client_header_t *headers; /* Host is added when absent;
                          Content-Length and Transfer-Encoding are eddy's */
  size_t nheaders;
  const void *body; /* buffered request body (may be NULL) */
  size_t body_len;  /* copied: the caller's memory is free on return */
  /* Streamed request body: eddy calls on_ready when it may be written with
   * eddy_client_write(); eddy_client_end() finishes it. body_length is its
   * length (Content-Length) or -1 (chunked). */
  int stream_body;
  int64_t body_length;
  int expect_continue;         /* send "Expect: 100-continue", wait for 100
                                  up to continue_timeout_ms */
  int buffer_body;             /* deliver the whole body in on_end (max_body) */
  size_t max_body;             /* buffered mode: larger is -EMSGSIZE; 1 MiB */
  unsigned max_redirects;      /* GET/HEAD follow up to this many; 0 (Node) */
  eddy_client_head_cb on_head; /* may be NULL */
  eddy_client_data_cb on_data; /* may be NULL (body discarded) */
  eddy_client_end_cb on_end;   /* required */
  eddy_client_error_cb on_error; /* required */
  eddy_client_ready_cb on_ready; /* required with stream_body */
  void *data;                    /* becomes req->data */
} eddy_client_req_opts_t;

/* A request in flight. `data` is the user's; the rest is private. */
struct eddy_client_req_s {
  void *data;
  eddy_client_t *client; /* read-only */
};

/*
 * Starts a request (the opts and everything they point to are copied or
 * used only during the call). Sets *out and returns 0, or returns an error
 * with no callback: -EINVAL (bad URL, method, header; no on_end/on_error),
 * -EPROTONOSUPPORT (https), EDDY_EQUEUEFULL, EDDY_ECLOSED (closing),
 * -ENOMEM. `out` may be NULL.
 */
EDDY_EXTERN int eddy_client_request(eddy_client_t *client,
                                    const eddy_client_req_opts_t *opts,
                                    eddy_client_req_t **out);

/*
 * Aborts the request at whatever point it is: on_error runs later with
 * -ECANCELED (once; nothing else follows), and a connection it was using
 * is closed. -EALREADY if the request has already ended or been aborted.
 */
EDDY_EXTERN int eddy_client_abort(eddy_client_req_t *req);

/*
 * Stops / restarts delivering the body (backpressure on a streamed
 * download): while paused eddy reads nothing from the connection, and the
 * idle timeout does not run. Idempotent.
 */
EDDY_EXTERN void eddy_client_pause(eddy_client_req_t *req);
EDDY_EXTERN void eddy_client_resume(eddy_client_req_t *req);

/*
 * Streamed upload: sends `len` bytes (copied) of the body. Returns 0 while
 * more may be written, 1 when the connection's queue is full (on_ready
 * runs again when it has drained), or -EINVAL (not streaming, not ready
 * yet, ended, or more than body_length), -EPIPE (the request failed).
 */
EDDY_EXTERN int eddy_client_write(eddy_client_req_t *req, const void *data,
                                  size_t len);

/*
 * Ends a streamed upload (the last chunk for a chunked body). -EINVAL if
 * not streaming or a declared body_length was not reached.
 */
EDDY_EXTERN int eddy_client_end(eddy_client_req_t *req);

#ifdef __cplusplus
}
#endif
#endif

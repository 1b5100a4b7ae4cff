/*
 * eddy — HTTP/1.1.
 *
 * This header has two sections: the message parser (request heads, chunked
 * bodies, URL helpers, method and status tables) and, below it, the HTTP
 * server built on the parser.
 */
#ifndef EDDY_HTTP_H
#define EDDY_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "eddy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/* Section: HTTP/1.1 message parser                                          */
/* ======================================================================== */
/*
 * A zero-copy request parser in the shape of picohttpparser with nginx's
 * strictness (RFC 9110 / RFC 9112). It never allocates, never writes to the
 * input and never reads past the length it is given. Every string it returns
 * is a slice of the caller's buffer (or, for a few defaults, of a static
 * string), valid as long as that buffer is.
 *
 * All functions in this section are pure: any thread may call them on its
 * own data.
 *
 * Results. Parsing functions return a count (> 0) or one of:
 *   EDDY_HTTP_INCOMPLETE  more bytes are needed;
 *   -status               the input is refused and the connection should
 *                         answer `status` (400, 413, 414, 417, 431, 501,
 *                         505) and close. eddy_http_error_status() turns
 *                         such a result back into the status code.
 * HTTP results live between -100 and -599, a range no errno uses.
 */

/* More input is needed; call again with more bytes (and `last_len`). */
#define EDDY_HTTP_INCOMPLETE (-2)

/* The chunked decoder finished the body (see eddy_http_chunked_decode). */
#define EDDY_HTTP_DONE 0

/*
 * Maps a parser result to the HTTP status to answer: 400..599 for a
 * refusal, 0 for a success or EDDY_HTTP_INCOMPLETE.
 */
static inline int eddy_http_error_status(long result) {
  return (result <= -100 && result >= -599) ? (int)-result : 0;
}

/* A slice of a buffer: `len` bytes at `base`, not NUL-terminated. */
typedef struct eddy_http_slice_s {
  const char *base;
  size_t len;
} eddy_http_slice_t;

/* One header field line; `value` has its surrounding whitespace removed. */
typedef struct eddy_http_header_s {
  eddy_http_slice_t name;
  eddy_http_slice_t value;
} eddy_http_header_t;

/*
 * XX(enum suffix, name). Methods are case-sensitive (RFC 9110 §9.1). The
 * list is RFC 9110's methods, PATCH (RFC 5789), WebDAV's common methods
 * (RFC 4918) and PURGE, which caches and CDNs use. Append only.
 */
#define EDDY_HTTP_METHOD_MAP(XX)                                             \
  XX(GET, "GET")                                                             \
  XX(HEAD, "HEAD")                                                           \
  XX(POST, "POST")                                                           \
  XX(PUT, "PUT")                                                             \
  XX(DELETE, "DELETE")                                                       \
  XX(CONNECT, "CONNECT")                                                     \
  XX(OPTIONS, "OPTIONS")                                                     \
  XX(TRACE, "TRACE")                                                         \
  XX(PATCH, "PATCH")                                                         \
  XX(PROPFIND, "PROPFIND")                                                   \
  XX(PROPPATCH, "PROPPATCH")                                                 \
  XX(MKCOL, "MKCOL")                                                         \
  XX(COPY, "COPY")                                                           \
  XX(MOVE, "MOVE")                                                           \
  XX(LOCK, "LOCK")                                                           \
  XX(UNLOCK, "UNLOCK")                                                       \
  XX(PURGE, "PURGE")

/* HTTP methods; EDDY_HTTP_METHOD_UNKNOWN (0) is a name not in the table. */
typedef enum eddy_http_method_e {
  EDDY_HTTP_METHOD_UNKNOWN = 0,
#define EDDY_HTTP_METHOD_ENUM(id, name) EDDY_HTTP_##id,
  EDDY_HTTP_METHOD_MAP(EDDY_HTTP_METHOD_ENUM)
#undef EDDY_HTTP_METHOD_ENUM
  EDDY_HTTP_METHOD_COUNT
} eddy_http_method_t;

/*
 * Returns the static name of `method` ("GET", ...), or NULL for
 * EDDY_HTTP_METHOD_UNKNOWN and values outside the enum.
 */
EDDY_EXTERN const char *eddy_http_method_name(eddy_http_method_t method);

/*
 * Returns the method whose name is exactly the `len` bytes at `name`
 * (case-sensitive), or EDDY_HTTP_METHOD_UNKNOWN.
 */
EDDY_EXTERN eddy_http_method_t eddy_http_method_lookup(const char *name,
                                                       size_t len);

/*
 * XX(code, enum suffix, reason phrase): every status of RFC 9110 §15 plus
 * 102/103 (RFC 2518/8297), 207/208/226, 423/424 (WebDAV), 425 (RFC 8470),
 * 428/429/431/511 (RFC 6585), 451 (RFC 7725), 506/507/508/510.
 */
#define EDDY_HTTP_STATUS_MAP(XX)                                             \
  XX(100, CONTINUE, "Continue")                                              \
  XX(101, SWITCHING_PROTOCOLS, "Switching Protocols")                        \
  XX(102, PROCESSING, "Processing")                                          \
  XX(103, EARLY_HINTS, "Early Hints")                                        \
  XX(200, OK, "OK")                                                          \
  XX(201, CREATED, "Created")                                                \
  XX(202, ACCEPTED, "Accepted")                                              \
  XX(203, NON_AUTHORITATIVE, "Non-Authoritative Information")                \
  XX(204, NO_CONTENT, "No Content")                                          \
  XX(205, RESET_CONTENT, "Reset Content")                                    \
  XX(206, PARTIAL_CONTENT, "Partial Content")                                \
  XX(207, MULTI_STATUS, "Multi-Status")                                      \
  XX(208, ALREADY_REPORTED, "Already Reported")                              \
  XX(226, IM_USED, "IM Used")                                                \
  XX(300, MULTIPLE_CHOICES, "Multiple Choices")                              \
  XX(301, MOVED_PERMANENTLY, "Moved Permanently")                            \
  XX(302, FOUND, "Found")                                                    \
  XX(303, SEE_OTHER, "See Other")                                            \
  XX(304, NOT_MODIFIED, "Not Modified")                                      \
  XX(305, USE_PROXY, "Use Proxy")                                            \
  XX(307, TEMPORARY_REDIRECT, "Temporary Redirect")                          \
  XX(308, PERMANENT_REDIRECT, "Permanent Redirect")                          \
  XX(400, BAD_REQUEST, "Bad Request")                                        \
  XX(401, UNAUTHORIZED, "Unauthorized")                                      \
  XX(402, PAYMENT_REQUIRED, "Payment Required")                              \
  XX(403, FORBIDDEN, "Forbidden")                                            \
  XX(404, NOT_FOUND, "Not Found")                                            \
  XX(405, METHOD_NOT_ALLOWED, "Method Not Allowed")                          \
  XX(406, NOT_ACCEPTABLE, "Not Acceptable")                                  \
  XX(407, PROXY_AUTH_REQUIRED, "Proxy Authentication Required")              \
  XX(408, REQUEST_TIMEOUT, "Request Timeout")                                \
  XX(409, CONFLICT, "Conflict")                                              \
  XX(410, GONE, "Gone")                                                      \
  XX(411, LENGTH_REQUIRED, "Length Required")                                \
  XX(412, PRECONDITION_FAILED, "Precondition Failed")                        \
  XX(413, CONTENT_TOO_LARGE, "Content Too Large")                            \
  XX(414, URI_TOO_LONG, "URI Too Long")                                      \
  XX(415, UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type")                  \
  XX(416, RANGE_NOT_SATISFIABLE, "Range Not Satisfiable")                    \
  XX(417, EXPECTATION_FAILED, "Expectation Failed")                          \
  XX(421, MISDIRECTED_REQUEST, "Misdirected Request")                        \
  XX(422, UNPROCESSABLE_CONTENT, "Unprocessable Content")                    \
  XX(423, LOCKED, "Locked")                                                  \
  XX(424, FAILED_DEPENDENCY, "Failed Dependency")                            \
  XX(425, TOO_EARLY, "Too Early")                                            \
  XX(426, UPGRADE_REQUIRED, "Upgrade Required")                              \
  XX(428, PRECONDITION_REQUIRED, "Precondition Required")                    \
  XX(429, TOO_MANY_REQUESTS, "Too Many Requests")                            \
  XX(431, HEADER_FIELDS_TOO_LARGE, "Request Header Fields Too Large")        \
  XX(451, UNAVAILABLE_FOR_LEGAL_REASONS, "Unavailable For Legal Reasons")    \
  XX(500, INTERNAL_SERVER_ERROR, "Internal Server Error")                    \
  XX(501, NOT_IMPLEMENTED, "Not Implemented")                                \
  XX(502, BAD_GATEWAY, "Bad Gateway")                                        \
  XX(503, SERVICE_UNAVAILABLE, "Service Unavailable")                        \
  XX(504, GATEWAY_TIMEOUT, "Gateway Timeout")                                \
  XX(505, VERSION_NOT_SUPPORTED, "HTTP Version Not Supported")               \
  XX(506, VARIANT_ALSO_NEGOTIATES, "Variant Also Negotiates")                \
  XX(507, INSUFFICIENT_STORAGE, "Insufficient Storage")                      \
  XX(508, LOOP_DETECTED, "Loop Detected")                                    \
  XX(510, NOT_EXTENDED, "Not Extended")                                      \
  XX(511, NETWORK_AUTH_REQUIRED, "Network Authentication Required")

/* Status codes as named constants: EDDY_HTTP_STATUS_NOT_FOUND == 404. */
enum eddy_http_status_e {
#define EDDY_HTTP_STATUS_ENUM(code, id, reason) EDDY_HTTP_STATUS_##id = code,
  EDDY_HTTP_STATUS_MAP(EDDY_HTTP_STATUS_ENUM)
#undef EDDY_HTTP_STATUS_ENUM
};

/*
 * Returns the static reason phrase of `status` ("Not Found"), or "" for a
 * code not in the table (an empty reason phrase is valid on the wire,
 * RFC 9112 §4). Never NULL.
 */
EDDY_EXTERN const char *eddy_http_status_reason(int status);

/*
 * Parser limits. Zero in any field means "the default" (shown), so a
 * zeroed struct and NULL both give the defaults.
 */
typedef struct eddy_http_limits_s {
  size_t max_request_line; /* 8192: longer request line -> 414 */
  size_t max_header_bytes; /* 16384: bigger header section -> 431 */
  size_t max_headers;      /* 100: more field lines -> 431 */
  uint64_t max_body;       /* 1 MiB: longer Content-Length or chunked
                              body -> 413 */
  size_t max_chunk_ext;    /* 1024: longer extensions on one chunk -> 400 */
  size_t max_trailer_bytes; /* 4096: bigger trailer section -> 400 */
} eddy_http_limits_t;

#define EDDY_HTTP_DEFAULT_MAX_REQUEST_LINE 8192
#define EDDY_HTTP_DEFAULT_MAX_HEADER_BYTES 16384
#define EDDY_HTTP_DEFAULT_MAX_HEADERS 100
#define EDDY_HTTP_DEFAULT_MAX_BODY (1024 * 1024)
#define EDDY_HTTP_DEFAULT_MAX_CHUNK_EXT 1024
#define EDDY_HTTP_DEFAULT_MAX_TRAILER_BYTES 4096

/* Request flags (eddy_http_request_t.flags). */
enum eddy_http_flag_e {
  /* The connection may stay open after this exchange: HTTP/1.1 without
   * "Connection: close", or HTTP/1.0 with "Connection: keep-alive". */
  EDDY_HTTP_F_KEEP_ALIVE = 1 << 0,
  /* The body is chunked (Transfer-Encoding ends in "chunked"). */
  EDDY_HTTP_F_CHUNKED = 1 << 1,
  /* HTTP/1.1 "Expect: 100-continue": send 100 before reading the body. */
  EDDY_HTTP_F_EXPECT_CONTINUE = 1 << 2,
  /* HTTP/1.1 Upgrade field together with "Connection: upgrade". */
  EDDY_HTTP_F_UPGRADE = 1 << 3,
  /* A Host field was present (its value is in `host`). */
  EDDY_HTTP_F_HOST = 1 << 4,
  /* Transfer-Encoding names codings before chunked (gzip, ...): the
   * de-chunked body is still encoded; the application decides. */
  EDDY_HTTP_F_TE_ENCODED = 1 << 5,
  /* "Connection: close" was sent. */
  EDDY_HTTP_F_CONNECTION_CLOSE = 1 << 6,
};

/* The form of the request target (RFC 9112 §3.2). */
typedef enum eddy_http_target_form_e {
  EDDY_HTTP_TARGET_ORIGIN = 0,    /* "/path?query" */
  EDDY_HTTP_TARGET_ABSOLUTE = 1,  /* "http://host/path?query" */
  EDDY_HTTP_TARGET_AUTHORITY = 2, /* "host:port", CONNECT only */
  EDDY_HTTP_TARGET_ASTERISK = 3,  /* "*", OPTIONS only */
} eddy_http_target_form_t;

/*
 * A parsed request head. Filled by eddy_http_parse_request(); every slice
 * points into the parsed buffer.
 *   target   the request target as sent;
 *   path     its path, still percent-encoded ("*" for "*"; "/" for an
 *            authority or an absolute URI without a path);
 *   query    what follows '?', without the '?' (len 0 if none);
 *   host     the Host field value, or for an absolute-form target its
 *            authority, which RFC 9112 §3.2.2 says takes precedence;
 *   content_length  the body length, -1 if no Content-Length was sent.
 * A request without Content-Length and not chunked has no body.
 */
typedef struct eddy_http_request_s {
  eddy_http_method_t method;
  eddy_http_slice_t method_name;
  eddy_http_slice_t target;
  eddy_http_slice_t path;
  eddy_http_slice_t query;
  eddy_http_slice_t host;
  eddy_http_target_form_t target_form;
  int minor_version; /* 0 or 1: HTTP/1.0 or HTTP/1.1 */
  unsigned flags;    /* EDDY_HTTP_F_* */
  int64_t content_length;
  eddy_http_header_t *headers; /* the caller's array */
  size_t nheaders;
} eddy_http_request_t;

/*
 * Parses the request head at the start of `buf` (`len` bytes).
 *
 * `headers` is the caller's array of `max_headers` entries; the field lines
 * go there in order, and req->headers/nheaders describe them. More field
 * lines than fit (or than limits->max_headers) is 431.
 *
 * `last_len` is the length this buffer had at the previous call that
 * returned EDDY_HTTP_INCOMPLETE for the same request, or 0. With it, a head
 * that arrives in many small reads costs time linear in its size: the
 * lines already checked are not checked again. The bytes below last_len
 * must be unchanged. Whatever the splits, the final result is the same as
 * parsing the whole head at once.
 *
 * `limits` may be NULL for the defaults.
 *
 * Returns the length of the head (request line, field lines and the empty
 * line) on success, with *req filled; EDDY_HTTP_INCOMPLETE if the head is
 * not complete yet; or -status (see the section comment): -400 malformed,
 * -413 Content-Length above limits->max_body, -414 request line too long,
 * -417 an expectation other than 100-continue, -431 header section too
 * big, -501 unknown method or transfer coding, -505 an HTTP version other
 * than 1.0 and 1.1. On any result but success *req is unspecified.
 *
 * Choices where RFC 9112 leaves room (see src/http/parser.c for why): empty
 * lines (CRLF) before the request line are skipped, counted against the
 * request-line limit; every line must end in CRLF (a bare LF is 400);
 * obs-fold, whitespace before the colon and control bytes are 400.
 */
EDDY_EXTERN int eddy_http_parse_request(const char *buf, size_t len,
                                        eddy_http_request_t *req,
                                        eddy_http_header_t *headers,
                                        size_t max_headers, size_t last_len,
                                        const eddy_http_limits_t *limits);

/*
 * Returns the first header named `name` (case-insensitive) in `req`, or
 * NULL.
 */
EDDY_EXTERN const eddy_http_header_t *
eddy_http_find_header(const eddy_http_request_t *req, const char *name,
                      size_t name_len);

/*
 * An incremental decoder of a chunked body (RFC 9112 §7.1). Caller-owned;
 * members are private. One per body: eddy_http_chunked_init() before the
 * first bytes of the body.
 */
typedef struct eddy_http_chunked_s {
  int _state;
  int _digits;          /* significant hex digits of the current size */
  uint64_t _remaining;  /* data bytes left in the current chunk */
  uint64_t _total;      /* data bytes so far */
  size_t _ext;          /* extension bytes on the current chunk */
  size_t _trailer;      /* trailer section bytes so far */
  uint64_t _max_body;
  size_t _max_ext;
  size_t _max_trailer;
} eddy_http_chunked_t;

/* Resets `d` for a new body; `limits` may be NULL (defaults). */
EDDY_EXTERN void eddy_http_chunked_init(eddy_http_chunked_t *d,
                                        const eddy_http_limits_t *limits);

/*
 * Decodes the `len` bytes at `in` and writes the chunk data to `out`
 * (which has room for `len` bytes; out == in decodes in place, since the
 * data never moves forward). Any split of the body over calls gives the
 * same data.
 *
 * Sets *consumed to the input bytes used and *produced to the data bytes
 * written. Returns:
 *   EDDY_HTTP_INCOMPLETE  all input used, the body goes on;
 *   EDDY_HTTP_DONE (0)    the last chunk and trailer section ended after
 *                         *consumed bytes; the rest is the next request;
 *   -400                  malformed (bad size, extension, CRLF, trailer);
 *   -413                  the data exceeds limits->max_body.
 * Trailer fields are checked with the header rules and then discarded.
 * After DONE or an error, call eddy_http_chunked_init() before reuse.
 */
EDDY_EXTERN int eddy_http_chunked_decode(eddy_http_chunked_t *d,
                                         const char *in, size_t len,
                                         char *out, size_t *consumed,
                                         size_t *produced);

/*
 * Splits a request target into its path and query at the first '?'
 * (query excludes the '?'; len 0 if none). A '#' and what follows, which
 * a request never carries but a stored URL may, is dropped.
 */
EDDY_EXTERN void eddy_http_url_split(const char *target, size_t len,
                                     eddy_http_slice_t *path,
                                     eddy_http_slice_t *query);

/*
 * Percent-decodes the `len` bytes at `src` into `dst` (room for `len`
 * bytes; dst == src decodes in place). With `plus_is_space` (form query
 * strings) '+' becomes ' '. Returns the decoded length, or -EINVAL for a
 * '%' not followed by two hex digits or for "%00", which no path or name
 * may contain.
 */
EDDY_EXTERN ssize_t eddy_http_url_decode(const char *src, size_t len,
                                         char *dst, int plus_is_space);

/*
 * Removes "." and ".." segments from the absolute path `path` in place
 * (RFC 3986 §5.2.4): "/a/./b/../c" -> "/a/c". ".." never climbs above the
 * root ("/../x" -> "/x"); a trailing "." or ".." leaves a trailing '/'.
 * Decode first, then normalize, so "%2e%2e" cannot escape. Returns the
 * new length, or -EINVAL if `path` does not start with '/'.
 */
EDDY_EXTERN ssize_t eddy_http_path_normalize(char *path, size_t len);

/* ======================================================================== */
/* End of section: HTTP/1.1 message parser                                  */
/* ======================================================================== */


/* ======================================================================== */
/* Section: HTTP/1.1 server                                                  */
/* ======================================================================== */
/*
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
#include "eddy/net.h"

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
  unsigned max_connections;       /* 0 = unlimited; above: accept+close */
  int backlog;                    /* 511 */
  const char *server_name;        /* NULL: no Server header */
} eddy_http_server_opts_t;

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
  void *_free; /* free list of request objects */
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

/* Sets the status (default 200). -EINVAL outside 100..999 or after the
 * head has been written; -ECANCELED once the client is gone. */
EDDY_EXTERN int eddy_http_res_status(eddy_http_res_t *res, int status);

/*
 * Header fields of the response. set replaces every field of that name
 * (case-insensitive), append adds one more, remove drops them all. Names
 * and values are copied; CR, LF or NUL in either is -EINVAL. Setting
 * Content-Length disables the automatic one (and chunking), setting
 * "Connection: close" closes the connection after this response.
 * -EINVAL after the head was written, -ECANCELED, -ENOMEM.
 */
EDDY_EXTERN int eddy_http_res_set_header(eddy_http_res_t *res,
                                         const char *name, const char *value);
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
 * -ECANCELED (client gone), -ENOMEM, -EINVAL (after end).
 */
EDDY_EXTERN int eddy_http_res_write(eddy_http_res_t *res, const void *data,
                                    size_t len);

/*
 * Finishes the response with a last `len` bytes of body (may be 0). If
 * nothing was written yet, Content-Length is set to `len`. HEAD requests
 * and 204/304 responses get no body bytes. Releases res and req (they
 * must not be used afterwards). Returns 0, -ECANCELED (the client was
 * gone: res is still released), -ENOMEM, or -EINVAL (ended twice is
 * undefined: do not).
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
 * file, head already written) or an fstat error, the response is NOT
 * ended: answer it another way.
 */
EDDY_EXTERN int eddy_http_res_send_file(eddy_http_res_t *res, int fd,
                                        int64_t offset, int64_t length);

/*
 * Opens `path` (copied) on the thread pool, fstats it there, then finishes
 * the response as eddy_http_res_send_file(res, fd, 0, size). If the open
 * fails the response is ended with 404 (missing, not a regular file), 403
 * (permission) or 500, text/plain. Headers set before (Content-Type...)
 * are kept. The path is used as given: confine it to your document root
 * first (eddy_http_url_decode + eddy_http_path_normalize). Returns 0 (the
 * response will end by itself), -EINVAL (NULL path, head written),
 * -ECANCELED (client gone: still call eddy_http_res_end), -ENOMEM, or an
 * eddy_queue_work() error; on an error nothing is ended.
 */
EDDY_EXTERN int eddy_http_res_send_path(eddy_http_res_t *res,
                                        const char *path);

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

/* ======================================================================== */
/* End of section: HTTP/1.1 server                                          */
/* ======================================================================== */

#ifdef __cplusplus
}
#endif
#endif

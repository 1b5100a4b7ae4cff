/*
 * eddy — the HTTP/1.1 message parser: request heads, chunked bodies, URL
 * helpers, method and status tables. No I/O and no loop; the server
 * (eddy/http.h) and the client (eddy/client.h) build on it.
 *
 * A zero-copy request parser in the shape of picohttpparser with nginx's
 * strictness (RFC 9110 / RFC 9112). It never allocates, never writes to the
 * input and never reads past the length it is given. Every string it returns
 * is a slice of the caller's buffer (or, for a few defaults, of a static
 * string), valid as long as that buffer is.
 *
 * All functions here are pure: any thread may call them on its own data.
 *
 * Results. Parsing functions return a count (> 0) or one of:
 *   EDDY_HTTP_INCOMPLETE  more bytes are needed;
 *   -status               the input is refused and the connection should
 *                         answer `status` (400, 413, 414, 417, 431, 501,
 *                         505) and close. eddy_http_error_status() turns
 *                         such a result back into the status code.
 * HTTP results are refusals, 4xx and 5xx only: -400..-599. Errnos are
 * small (-ETIMEDOUT is -110, -ECONNREFUSED -111; Linux's end at -133) and
 * eddy's own codes are -30000 and below, so neither falls in that range;
 * -100..-399 is never a parser result.
 */
#ifndef EDDY_HTTP_PARSER_H
#define EDDY_HTTP_PARSER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "eddy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* More input is needed; call again with more bytes (and `last_len`). */
#define EDDY_HTTP_INCOMPLETE (-2)

/* The chunked decoder finished the body (see eddy_http_chunked_decode). */
#define EDDY_HTTP_DONE 0

/*
 * Maps a parser result to the HTTP status to answer: 400..599 for a
 * refusal, 0 for anything else (a success, EDDY_HTTP_INCOMPLETE, or an
 * errno such as -ETIMEDOUT).
 */
static inline int eddy_http_error_status(long result) {
  return (result <= -400 && result >= -599) ? (int)-result : 0;
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
/* clang-format off */
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
/* clang-format on */

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
/* clang-format off */
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
/* clang-format on */

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
  size_t max_request_line;  /* 8192: longer request line -> 414 */
  size_t max_header_bytes;  /* 16384: bigger header section -> 431 */
  size_t max_headers;       /* 100: more field lines -> 431 */
  uint64_t max_body;        /* 1 MiB: longer Content-Length or chunked
                               body -> 413 */
  size_t max_chunk_ext;     /* 1024: longer extensions on one chunk -> 400 */
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
EDDY_EXTERN const eddy_http_header_t *eddy_http_find_header(
    const eddy_http_request_t *req, const char *name, size_t name_len);

/*
 * An incremental decoder of a chunked body (RFC 9112 §7.1). Caller-owned;
 * members are private. One per body: eddy_http_chunked_init() before the
 * first bytes of the body.
 */
typedef struct eddy_http_chunked_s {
  int _state;
  int _digits;         /* hex digits of the current size, zeros too */
  uint64_t _remaining; /* data bytes left in the current chunk */
  uint64_t _total;     /* data bytes so far */
  size_t _ext;         /* extension bytes on the current chunk */
  size_t _trailer;     /* trailer section bytes so far */
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
EDDY_EXTERN int eddy_http_chunked_decode(eddy_http_chunked_t *d, const char *in,
                                         size_t len, char *out,
                                         size_t *consumed, size_t *produced);

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
EDDY_EXTERN ssize_t eddy_http_url_decode(const char *src, size_t len, char *dst,
                                         int plus_is_space);

/*
 * Removes "." and ".." segments from the absolute path `path` in place
 * (RFC 3986 §5.2.4): "/a/./b/../c" -> "/a/c". ".." never climbs above the
 * root ("/../x" -> "/x"); a trailing "." or ".." leaves a trailing '/'.
 * Decode first, then normalize, so "%2e%2e" cannot escape. Returns the
 * new length, or -EINVAL if `path` does not start with '/'.
 */
EDDY_EXTERN ssize_t eddy_http_path_normalize(char *path, size_t len);

#ifdef __cplusplus
}
#endif
#endif

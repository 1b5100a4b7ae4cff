/*
 * eddy — error codes.
 *
 * Every eddy function that can fail returns 0 (or a count) on success and a
 * negative number on failure: either a negated errno (-ENOMEM, -EINVAL, ...)
 * or one of eddy's own codes below. Callbacks receive the same kind of status
 * as their status argument.
 *
 * eddy's own codes live far below any errno (like libuv's UV__EOF = -4095) so
 * that the two ranges never collide. The table is append-only: a code is never
 * renumbered or reused, and new codes go at the end. Where a standard errno
 * says it (-ETIMEDOUT, -ECANCELED, -EPROTO, ...), eddy returns the errno.
 *
 * Deprecated: these stay in the table, so old values keep their names, but
 * eddy no longer returns them.
 *   EDDY_ETIMEDOUT    eddy returns -ETIMEDOUT: one code for "timed out"
 *   EDDY_EPARSE       never returned: the HTTP parser answers -status
 *                     (http_parser.h), other bad input is -EINVAL
 *   EDDY_ETASKFAILED  never returned: a pool task's fn returns its own
 *                     negative errno, which its done callback receives
 */
#ifndef EDDY_ERROR_H
#define EDDY_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#include <errno.h>

#define EDDY_EXTERN __attribute__((visibility("default")))

/* XX(name, value, description). Append only. */
/* clang-format off */
#define EDDY_ERRNO_MAP(XX)                                                   \
  XX(EOF, -30000, "end of stream")                                           \
  XX(EQUEUEFULL, -30001, "queue is full")                                    \
  XX(ECLOSED, -30002, "handle or port is closed")                            \
  XX(ETIMEDOUT, -30003, "operation timed out")                               \
  XX(ETERMINATED, -30004, "worker was terminated")                           \
  XX(EPARSE, -30005, "malformed input")                                      \
  XX(ETASKFAILED, -30006, "task reported failure")                           \
  XX(ENOTFOUND, -30100, "host name not found")                               \
  XX(ERESPTIMEOUT, -30101, "no response in time")                            \
  XX(EIDLETIMEOUT, -30102, "response stalled too long")                      \
  XX(EDB, -30200, "the database refused the statement")                      \
  XX(ECONSTRAINT, -30201, "a database constraint was violated")
/* clang-format on */

enum eddy_errno_e {
#define EDDY_ERR_ENUM(name, value, desc) EDDY_##name = (value),
  EDDY_ERRNO_MAP(EDDY_ERR_ENUM)
#undef EDDY_ERR_ENUM
};

/*
 * Returns a static, human-readable description of `err`: eddy's own codes
 * from the table above, negated errnos through strerror's text. Never NULL.
 * Thread-safe.
 */
EDDY_EXTERN const char *eddy_strerror(int err);

/*
 * Returns the symbolic name of `err` ("EDDY_EQUEUEFULL", "ENOENT", ...), or
 * "UNKNOWN" for a value that is neither. Static string; thread-safe.
 */
EDDY_EXTERN const char *eddy_err_name(int err);

#ifdef __cplusplus
}
#endif
#endif

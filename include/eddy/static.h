/*
 * eddy — static files (Express's `express.static`), the app layer's
 * private interface until these declarations move into eddy/app.h.
 *
 * A static server has a root directory opened once at start-up; every
 * request path is resolved below it and nothing outside it is ever opened:
 *   - the path is split into segments and each one percent-decoded on its
 *     own, so "%2f" can never add a separator; "..", NUL (%00), a decoded
 *     '/' or '\' is refused (403, 400); "." and empty segments are
 *     dropped; a segment starting with '.' is a dotfile (404 by default);
 *   - the file is opened with openat2(RESOLVE_BENEATH |
 *     RESOLVE_NO_MAGICLINKS) relative to the root's descriptor, so a
 *     symlink that leads outside the root fails in the kernel;
 *   - O_NONBLOCK, and anything but a regular file or a directory is
 *     refused after fstat: a FIFO can never block a thread.
 * Opening and fstat run on the thread pool; a bounded cache of open
 * descriptors (revalidated on the thread pool when older than
 * `cache_valid_ms`) lets a hot file skip the pool (see ARCHITECTURE.md).
 *
 * Threads: eddy_static_path, eddy_static_range, eddy_static_fresh,
 * eddy_static_etag and eddy_static_parse_date are pure
 * (any thread); the rest is loop-thread only.
 */
#ifndef EDDY_STATIC_H
#define EDDY_STATIC_H

#include <stdint.h>
#include <sys/types.h>

#include "eddy/app.h"

/* ------------------------------------------------------- path resolving */

/* What a dotfile segment ("/.env", "/.git/config") gets. */
typedef enum {
  EDDY_STATIC_DOT_IGNORE = 0, /* as if missing: 404 (Express's default) */
  EDDY_STATIC_DOT_DENY,       /* 403 */
  EDDY_STATIC_DOT_ALLOW,      /* served like any file */
} eddy_static_dotfiles_t;

/*
 * Resolves the still percent-encoded URL path `path` (`len` bytes, with
 * or without a leading '/') into a path relative to the root, written to
 * `out` (room for `cap` bytes, NUL-terminated; "" for the root itself).
 * Segments are joined by single '/'; a trailing '/' in the URL is kept.
 * Returns the length written, or minus the HTTP status to answer:
 * -400 (malformed percent-encoding, %00 or a raw NUL, a decoded '/' or
 * '\'), -403
 * (a ".." segment, or a dotfile with DENY), -404 (a dotfile with IGNORE),
 * -414 (longer than `cap` - 1).
 */
EDDY_EXTERN ssize_t eddy_static_path(const char *path, size_t len, char *out,
                                     size_t cap,
                                     eddy_static_dotfiles_t dotfiles);

/* ---------------------------------------------- conditionals and ranges */

/*
 * Writes the ETag of a file of `size` bytes modified at `mtime_ns` into
 * out[40]: "\"<size hex>-<mtime ns hex>\"" (strong, like nginx's). Returns
 * its length.
 */
EDDY_EXTERN size_t eddy_static_etag(int64_t size, int64_t mtime_ns,
                                    char out[40]);

/*
 * Parses an HTTP-date in IMF-fixdate form ("Sun, 06 Nov 1994 08:49:37
 * GMT") into seconds since the epoch; -1 if it is not one (RFC 9110 says a
 * recipient may ignore other forms, and eddy does).
 */
EDDY_EXTERN int64_t eddy_static_parse_date(const char *s, size_t len);

/*
 * RFC 9110 §13.2.2 for a GET or HEAD of a file with `etag` and modified
 * at `mtime_s`: 1 if the client's copy is fresh (answer 304), else 0.
 * If-None-Match (`inm`, NULL if absent) decides when present, with weak
 * comparison and "*"; If-Modified-Since (`ims`, NULL if absent) only
 * when If-None-Match is absent.
 */
EDDY_EXTERN int eddy_static_fresh(const eddy_http_slice_t *inm,
                                  const eddy_http_slice_t *ims,
                                  const char *etag, int64_t mtime_s);

/*
 * RFC 9110 §14 for a GET of `size` bytes with the Range field `range`
 * (NULL if absent) and If-Range `if_range` (NULL if absent). Returns:
 *   0   serve the whole file (no Range, not "bytes=", a malformed or
 *       multi-range set, or an If-Range that does not match `etag` /
 *       `mtime_s`: RFC 9110 lets a server ignore those);
 *   206 serve *off and *n bytes (one satisfiable range, clipped);
 *   416 the range is not satisfiable.
 */
EDDY_EXTERN int eddy_static_range(const eddy_http_slice_t *range,
                                  const eddy_http_slice_t *if_range,
                                  const char *etag, int64_t mtime_s,
                                  int64_t size, int64_t *off, int64_t *n);

/* --------------------------------------------------------- the server */

typedef struct eddy_static_s eddy_static_t;

/* Options; zero fields mean the default shown. */
typedef struct {
  const char *index;               /* "index.html": served for "dir/" */
  uint64_t max_age_s;              /* 0: "Cache-Control: public, max-age=N" */
  eddy_static_dotfiles_t dotfiles; /* IGNORE */
  int no_etag;                     /* 0: send ETag */
  int no_last_modified;            /* 0: send Last-Modified */
  int no_redirect;                 /* 0: "dir" -> 301 "dir/" */
  unsigned cache_entries;          /* 256 open descriptors; rounded to 2^k */
  uint64_t cache_valid_ms;         /* 1000: reuse a cached descriptor that
                                      long before re-opening it on the pool */
  int no_cache;                    /* 1: every request opens on the pool */
} eddy_static_opts_t;

/*
 * Opens `root` (a directory; O_PATH) and makes a static server for `loop`.
 * Blocking: call it at start-up. `opts` may be NULL and is copied (the
 * index name too). Returns 0 and *out, or -ENOTDIR, -ENOENT, -EACCES,
 * -ENOMEM, -EINVAL.
 */
EDDY_EXTERN int eddy_static_create(eddy_loop_t *loop, const char *root,
                                   const eddy_static_opts_t *opts,
                                   eddy_static_t **out);

/*
 * Serves `path` (the URL path below the middleware's prefix, encoded) for
 * `req`. Returns:
 *   0  the request is finished or will be (file, 206, 304, 301, 400, 403,
 *      416...), or passed on later with eddy_app_next(req, 0) when the
 *      file does not exist (Express's fallthrough);
 *   1  not for static files, decided now (a method other than GET/HEAD,
 *      an ignored dotfile): call eddy_app_next yourself;
 *   <0 an error (-ENOMEM, a thread-pool error): nothing was answered.
 * Loop thread.
 */
EDDY_EXTERN int eddy_static_serve(eddy_static_t *st, eddy_app_req_t *req,
                                  const char *path, size_t len);

/*
 * Middleware (`arg` = the eddy_static_t): serves the request's path below
 * the prefix it was registered with (eddy_app_req_subpath), else calls
 * eddy_app_next:
 *   eddy_app_use(app, "/assets", eddy_static_middleware, st);
 */
EDDY_EXTERN void eddy_static_middleware(eddy_app_req_t *req,
                                        eddy_app_res_t *res, void *arg);

/*
 * Closes the cached descriptors and the root, frees `st`. Only once no
 * request is in flight (after the loop has run out of work: the pool jobs
 * keep it alive). NULL is a no-op.
 */
EDDY_EXTERN void eddy_static_destroy(eddy_static_t *st);

/* Counters for /metrics: cache hits, pool opens, 2xx/304 answered. */
typedef struct {
  uint64_t hits;
  uint64_t opens;
  uint64_t not_modified;
} eddy_static_stats_t;
EDDY_EXTERN void eddy_static_stats(const eddy_static_t *st,
                                   eddy_static_stats_t *out);

#endif

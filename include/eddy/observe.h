/*
 * eddy — seeing an app from outside: Prometheus metrics, health and
 * readiness, the access log. The app layer's private interface until these
 * declarations move into eddy/app.h.
 *
 * Metrics follow the Prometheus text exposition format 0.0.4: a `# HELP`
 * and a `# TYPE` line per family, counters end in `_total`, durations are
 * in seconds, histograms give cumulative `_bucket{le="..."}` lines ending
 * with le="+Inf", then `_sum` and `_count`.
 *
 * Threads: loop thread only, except eddy_app_metrics_render's reading of
 * the pools (their own locks).
 */
#ifndef EDDY_OBSERVE_H
#define EDDY_OBSERVE_H

#include <stdint.h>

#include "eddy/static.h"
#include "eddy/app.h"
#include "eddy/pool.h"

typedef struct eddy_app_metrics_s eddy_app_metrics_t;

/*
 * Makes a registry for the app on `loop` and starts its event-loop delay
 * sampler: an unreferenced 10 ms timer whose lateness goes into the
 * eddy_eventloop_delay_seconds histogram (it never keeps the loop alive).
 * Returns 0 and *out, or -ENOMEM.
 */
EDDY_EXTERN int eddy_app_metrics_create(eddy_loop_t *loop,
                                        eddy_app_metrics_t **out);

/* Closes the sampler and frees `m` in a close phase. NULL is a no-op. */
EDDY_EXTERN void eddy_app_metrics_close(eddy_app_metrics_t *m);

/* The server whose open connections are reported (NULL: none). */
EDDY_EXTERN void eddy_app_metrics_set_server(eddy_app_metrics_t *m,
                                             eddy_http_server_t *server);

/*
 * A worker pool to report under label pool="name" (`name` must outlive
 * m). Up to 4 pools; -ENOSPC beyond.
 */
EDDY_EXTERN int eddy_app_metrics_add_pool(eddy_app_metrics_t *m,
                                          eddy_pool_t *pool, const char *name);

/* The static server whose cache figures are reported (NULL: none). */
EDDY_EXTERN void eddy_app_metrics_set_static(eddy_app_metrics_t *m,
                                             eddy_static_t *files);

/*
 * Counts one finished request: method, route pattern (NULL: no route
 * answered it, labelled "none"; copied), status, and its duration in ns.
 * At most 768 label sets; requests with a new one beyond that count in
 * eddy_http_requests_unlabelled_total.
 */
EDDY_EXTERN void eddy_app_metrics_record(eddy_app_metrics_t *m,
                                         eddy_http_method_t method,
                                         const char *route, int status,
                                         uint64_t duration_ns);

/*
 * Renders every family as Prometheus text into a malloc'd buffer (free
 * it): *out and *len. Returns 0 or -ENOMEM.
 */
EDDY_EXTERN int eddy_app_metrics_render(eddy_app_metrics_t *m, char **out,
                                        size_t *len);

/*
 * Route handler for GET /metrics: `arg` is the eddy_app_metrics_t.
 * Content-Type: text/plain; version=0.0.4; charset=utf-8.
 */
EDDY_EXTERN void eddy_app_metrics_handler(eddy_app_req_t *req,
                                          eddy_app_res_t *res, void *arg);

/*
 * An on_end hook (eddy_app_on_end) that records each request in the
 * registry `arg`.
 */
EDDY_EXTERN void eddy_app_metrics_on_end(eddy_app_req_t *req,
                                         eddy_app_res_t *res, void *arg);

/* ------------------------------------------------- health, readiness */

/* GET /healthz: 200 {"status":"ok"} while the loop answers at all. */
EDDY_EXTERN void eddy_app_healthz(eddy_app_req_t *req, eddy_app_res_t *res,
                                  void *arg);

/*
 * GET /readyz: `arg` points to an int that is non-zero while the server
 * shuts down: then 503 {"status":"shutting down"} with Connection: close
 * (load balancers stop sending), else 200 {"status":"ready"}.
 */
EDDY_EXTERN void eddy_app_readyz(eddy_app_req_t *req, eddy_app_res_t *res,
                                 void *arg);

/* ---------------------------------------------------------- access log */

typedef struct eddy_access_log_s eddy_access_log_t;

/*
 * Opens an access log writing to `path` (appended, created 0644), or to
 * stderr for "-". Lines are formatted on the loop thread and written by
 * a writer thread through a bounded buffer (as eddy/log.h): the loop never
 * waits for the disk; a full buffer drops lines and counts them.
 * Blocking open: call at start-up. 0 and *out, or a negative errno.
 */
EDDY_EXTERN int eddy_access_log_open(const char *path, eddy_access_log_t **out);

/*
 * Formats one line in the combined log format:
 *   ip - - [10/Oct/2000:13:55:36 +0000] "GET /a HTTP/1.1" 200 2326
 *   "referer" "user-agent"
 * ("-" for an unknown address, referer or agent; quotes and control bytes
 * in fields escaped as \xHH) into `out` (room for `cap`), NUL-terminated.
 * Returns the length (cut at cap - 1). Pure: any thread.
 */
EDDY_EXTERN size_t eddy_access_log_format(char *out, size_t cap, const char *ip,
                                          const eddy_http_request_t *req,
                                          int status, uint64_t bytes,
                                          int64_t when_s);

/* Appends `n` bytes (whole lines) to the log; dropped and counted if
 * the buffer is full. Never blocks on I/O. */
EDDY_EXTERN void eddy_access_log_write(eddy_access_log_t *log, const char *line,
                                       size_t n);

/* Appends one request's line (eddy_app_on_end with arg = the log). */
EDDY_EXTERN void eddy_access_log_on_end(eddy_app_req_t *req,
                                        eddy_app_res_t *res, void *arg);

/* Writes what is buffered, stops the writer and closes the file.
 * Blocking: at exit. NULL is a no-op. */
EDDY_EXTERN void eddy_access_log_close(eddy_access_log_t *log);

/* Lines dropped because the buffer was full. */
EDDY_EXTERN uint64_t eddy_access_log_dropped(const eddy_access_log_t *log);

#endif

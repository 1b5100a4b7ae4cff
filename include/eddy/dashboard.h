/*
 * eddy — the live dashboard: one self-contained HTML page (HTML, CSS and a
 * small script, no CDN, no framework; served from memory) that polls the
 * server's Prometheus /metrics every second and draws the last five
 * minutes: requests per second and p99 latency, event-loop delay p99 and
 * utilization, open connections, thread-pool and worker-pool queue depth,
 * per-worker RSS and loop delay in a cluster, restarts marked on the time
 * axis with their cause, and the route that blocks a loop while it blocks.
 *
 * The page only reads what /metrics carries; families it knows but does
 * not find are shown as "not reported". The names it reads are listed in
 * the script's table (METRICS) and in docs/GUIDE.md. The blocking route
 * comes from a cluster's eddy_worker_blocked_seconds (another worker
 * answers); a single process cannot answer while its loop is blocked, so
 * the page says instead that it had no answer for N s. A poll unanswered
 * for 2.5 s is given up and the next one opens a new connection (the old
 * one may be held by the blocked worker).
 *
 * Off unless the program turns it on. The metrics say a lot about a
 * server, so it is refused on a non-loopback address unless the caller
 * allows that explicitly (`eddy serve --dashboard-allow`).
 */
#ifndef EDDY_DASHBOARD_H
#define EDDY_DASHBOARD_H

#include <stddef.h>

#include "eddy/app.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Options of eddy_dashboard_route; zero means the default shown. */
typedef struct {
  const char *path; /* the page's route: "/dashboard" */
  const char *host; /* the address the server listens on (numeric or
                       "localhost"); required: it decides the refusal */
  int allow_public; /* 1: serve it on a non-loopback address too */
} eddy_dashboard_opts_t;

/*
 * 1 if `host` is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x,
 * "localhost"), else 0; the wildcard addresses 0.0.0.0 and :: are not.
 * Pure; any thread.
 */
EDDY_EXTERN int eddy_dashboard_host_is_loopback(const char *host);

/*
 * Registers GET `opts->path` on `app`, answering the page (text/html,
 * Cache-Control: no-store). The page polls "/metrics" on the same origin
 * (another path with "?metrics=/path" on the page's URL). Returns 0,
 * -EINVAL (NULL app, opts or host), -EPERM (host is not loopback and
 * allow_public is 0: nothing is registered), or eddy_app_route's errors.
 * Before the app serves; loop thread.
 */
EDDY_EXTERN int eddy_dashboard_route(eddy_app_t *app,
                                     const eddy_dashboard_opts_t *opts);

/*
 * The page itself: a static NUL-terminated string of *len bytes, for a
 * program that serves it without an app. Any thread.
 */
EDDY_EXTERN const char *eddy_dashboard_html(size_t *len);

#ifdef __cplusplus
}
#endif
#endif

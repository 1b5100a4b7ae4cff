/*
 * `eddy serve`: the seeds' demo programs as one app (see `eddy --help`).
 * serve.c builds and runs it, serve_args.c reads the flags, serve_demos.c
 * has the loop lessons (blocking, non-blocking, compute), serve_io.c the
 * I/O ones (serial and parallel reads, a join of mixed work),
 * serve_db.c opens the database and the cache, serve_users.c has the
 * users API, serve_profile.c GET /profile/:id (session, user, web
 * service; serial or joined), serve_page.c the page at `/`.
 */
#ifndef EDDY_BIN_SERVE_H
#define EDDY_BIN_SERVE_H

#include <jansson.h>
#include <limits.h>

#include "eddy/observe.h"
#include "eddy/static.h"
#include "eddy.h"
#include "eddy/app.h"
#include "eddy/client.h"
#include "eddy/cluster.h"
#include "eddy/dashboard.h"
#include "eddy/db.h"
#include "eddy/memcache.h"
#include "eddy/pool.h"

#define SERVE_NFILES 3

typedef struct {
  eddy_http_server_opts_t http;
  const char *host;
  int port;
  const char *root;       /* NULL: the sample site */
  const char *sample_dir; /* NULL: examples/data (the JSON lessons) */
  const char *data_dir;   /* --data-dir: where the SQLite file lives */
  const char *db_url;     /* --db: NULL = sqlite:<data_dir>/eddy.db */
  const char *memcached;  /* --memcached HOST:PORT: NULL = none */
  const char *access_log; /* NULL: off; "-": stderr */
  uint64_t max_block_ms;
  uint64_t drain_delay_ms;
  uint64_t grace_ms;
  unsigned pool_threads;   /* 0: one per CPU */
  unsigned stall_ms;       /* 0: no stall detector */
  const char *fetch_allow; /* hosts /fetch may call, comma-separated */
  int dashboard;           /* --dashboard: GET /dashboard */
  int dashboard_allow;     /* --dashboard-allow: also off loopback */

  /* --service-url: the web service of /profile, "{id}" replaced (NULL:
   * this server's own route); --service-delay-ms: that route's delay. */
  const char *service_url;
  uint64_t service_delay_ms;
} serve_config_t;

typedef struct {
  serve_config_t cfg;
  eddy_loop_t *loop; /* &own_loop, or a cluster worker's */
  eddy_loop_t own_loop;
  eddy_cluster_worker_t *worker; /* --workers: this process's worker */
  eddy_http_server_t server;
  eddy_app_t *app;
  eddy_static_t *files;
  eddy_app_metrics_t *metrics;
  eddy_access_log_t *access_log;
  eddy_pool_t pool;
  eddy_client_t *client; /* /fetch's and /profile's keep-alive agent */
  eddy_db_t *db;         /* the users table (serve_db.c) */
  eddy_mc_t *mc;         /* --memcached: the session store, or NULL */
  char db_url[PATH_MAX + 16];
  char root[PATH_MAX];
  char data[SERVE_NFILES][PATH_MAX];
  const char *data_ptrs[SERVE_NFILES];
  int draining;             /* SIGTERM seen: /readyz answers 503 */
  uint64_t served;          /* requests answered (cluster reports) */
  eddy_hist_t since_report; /* their durations since the last report */
  eddy_signal_t sig_int, sig_term;
  eddy_timer_t drain_timer;
} serve_t;

/* Parses argv[2..] into cfg: 0, 1 for --help, -1 on a bad flag (a
 * message on stderr). */
int serve_parse_args(int argc, char **argv, serve_config_t *cfg);
/* The help text (every flag). */
extern const char serve_usage[];

/* Runs the server until SIGINT/SIGTERM; the exit status. */
int serve_main(serve_config_t *cfg);

/* --workers: the same app in worker `w` of a cluster, on the socket the
 * primary gives it (serve_cluster.c); 0 or -1 after a message. */
int serve_worker_start(const serve_config_t *cfg, eddy_cluster_worker_t *w);

/* `eddy serve --workers N|auto ...`: runs the cluster (primary or
 * worker); -1 if --workers was not given (serve alone), else the exit
 * status. */
int serve_cluster(int argc, char **argv, serve_config_t *cfg);

/* Start-up: creates --data-dir, opens --db (default SQLite in it) and
 * --memcached, and runs the loop until the users table exists. 0, or -1
 * after a message. */
int serve_open_data(serve_t *s);
/* A query status that means the database cannot be reached now (db.h:
 * refused, lost, timed out, closing, missing, forbidden, or SQLite locked
 * past its busy timeout): answered 503, not 500. */
int serve_db_unreachable(int status);
/* Closes what serve_open_data opened (graceful: queries in flight end). */
void serve_close_data(serve_t *s);

/* Route registration of each file; `s` is every handler's arg. */
int serve_add_demos(serve_t *s);
int serve_add_io(serve_t *s);
int serve_add_users(serve_t *s);
int serve_add_page(serve_t *s);
int serve_add_fetch(serve_t *s);
int serve_add_profile(serve_t *s);

/* Reads ?ms=N (default 100) into *ms; on a bad or too large value it has
 * answered 400 and returns -1. */
int serve_ms_param(serve_t *s, eddy_app_req_t *req, uint64_t *ms);

/* Busy-waits `ns` on the calling thread (the "work" of the demos). */
void serve_spin_ns(uint64_t ns);

#endif

/*
 * `eddy serve`: the seeds' demo programs as one app (see `eddy --help`).
 * serve.c builds and runs it, serve_args.c reads the flags, serve_demos.c
 * has the loop lessons (blocking, non-blocking, compute), serve_io.c the
 * I/O ones (serial and parallel reads, a join of mixed work, users),
 * serve_page.c the page at `/`.
 */
#ifndef EDDY_BIN_SERVE_H
#define EDDY_BIN_SERVE_H

#include <jansson.h>
#include <limits.h>

#include "app/observe.h"
#include "app/static.h"
#include "eddy.h"
#include "eddy/app.h"
#include "eddy/pool.h"

#define EDDY_VERSION "0.3.0"
#define SERVE_NFILES 3

typedef struct {
  eddy_http_server_opts_t http;
  const char *host;
  int port;
  const char *root;       /* NULL: the sample site */
  const char *data_dir;   /* NULL: the sample data */
  const char *access_log; /* NULL: off; "-": stderr */
  uint64_t max_block_ms;
  uint64_t drain_delay_ms;
  uint64_t grace_ms;
  unsigned pool_threads;  /* 0: one per CPU */
  unsigned stall_ms;      /* 0: no stall detector */
} serve_config_t;

typedef struct {
  serve_config_t cfg;
  eddy_loop_t loop;
  eddy_http_server_t server;
  eddy_app_t *app;
  eddy_static_t *files;
  eddy_app_metrics_t *metrics;
  eddy_access_log_t *access_log;
  eddy_pool_t pool;
  json_t *users;                 /* {"users": [...]} from users.json */
  char root[PATH_MAX];
  char data[SERVE_NFILES][PATH_MAX];
  const char *data_ptrs[SERVE_NFILES];
  int draining;                  /* SIGTERM seen: /readyz answers 503 */
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

/* Route registration of each file; `s` is every handler's arg. */
int serve_add_demos(serve_t *s);
int serve_add_io(serve_t *s);
int serve_add_page(serve_t *s);

/* Reads ?ms=N (default 100) into *ms; on a bad or too large value it has
 * answered 400 and returns -1. */
int serve_ms_param(serve_t *s, eddy_app_req_t *req, uint64_t *ms);

/* Busy-waits `ns` on the calling thread (the "work" of the demos). */
void serve_spin_ns(uint64_t ns);

#endif

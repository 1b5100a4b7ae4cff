/*
 * The soak: sustained mixed load against `eddy serve` and the http-static
 * example, both started here on free ports. 16 client threads pick one
 * scenario after another until the time is up: keep-alive runs, pipelined
 * bursts, Content-Length and chunked bodies, static files (1 KiB to
 * 1 MiB), half-closes, resets mid-request and mid-download. Every second
 * the servers' RSS and open fds are sampled. Used by `make soak` (release
 * build, SOAK_SECONDS) and, short, by tests/e2e/test_soak.c in `make test`.
 * No Criterion here: the soak binary links it without the test runner.
 */
#ifndef EDDY_TEST_SOAK_H
#define EDDY_TEST_SOAK_H

#include <stddef.h>

typedef struct {
  int seconds;
  int check_rss;        /* fail if RSS grows after warm-up (not under ASan) */
  const char *bin;      /* path of eddy */
  const char *examples; /* directory of the examples */
} soak_opts_t;

typedef struct {
  long requests, failed, resets;
  long rss_kib[2][600]; /* per server, per second: eddy serve, http-static */
  int fds[2][600];
  int samples;
  int fds_before[2], fds_after[2];
  int exit_ok;          /* both servers exited 0 on SIGTERM */
  char why[256];        /* the first failure, "" if none */
} soak_result_t;

/* Runs the soak; returns 0 if nothing failed (see r->why otherwise). */
int soak_run(const soak_opts_t *o, soak_result_t *r);

/* Prints the table of samples and the totals. */
void soak_print(const soak_result_t *r, int seconds);

#endif

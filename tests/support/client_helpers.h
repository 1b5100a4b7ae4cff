/*
 * Helpers for the HTTP client's tests: a recorder of one request's
 * callbacks (head, data, end, error; counts, so "exactly once" and
 * "nothing after the error" can be asserted), a runner that drives the
 * test thread's loop until requests end, and peers started by PID.
 */
#ifndef EDDY_TEST_CLIENT_HELPERS_H
#define EDDY_TEST_CLIENT_HELPERS_H

#include <criterion/criterion.h>
#include <sys/types.h>

#include "eddy/client.h"

typedef struct {
  int heads, ends, errors;  /* callback counts */
  int error;                /* on_error's status */
  int status;               /* response status seen by on_head/on_end */
  unsigned redirects;
  char *body;               /* buffered or streamed bytes, malloc'd */
  size_t body_len;
  int done;                 /* on_end or on_error ran */
  int after_end;            /* a callback came after the end: a bug */
} rec_t;

/* Fills opts' callbacks and data for `rec` (zeroes rec). */
void rec_opts(eddy_client_req_opts_t *o, rec_t *rec, const char *url);
void rec_free(rec_t *rec);

/* Runs `loop` until every rec in recs[0..n) is done or `ms` passes;
 * asserts they all ended. */
void run_recs(eddy_loop_t *loop, rec_t *recs, int n, unsigned ms);

/* Closes the client and runs the loop until its close callback ran. */
void close_client(eddy_loop_t *loop, eddy_client_t *client);

/* Waits until something accepts on 127.0.0.1:port (asserts within 5 s). */
void wait_port(int port);
/* A free port on 127.0.0.1 (bound and released). */
int any_port(void);
/* fork+exec argv (NULL-terminated) with stdout/stderr to `log` (may be
 * NULL: /dev/null); returns the pid. */
pid_t spawn(char *const argv[], const char *log);
/* SIGTERM then waitpid (SIGKILL after 3 s). */
void stop_pid(pid_t pid);

#endif

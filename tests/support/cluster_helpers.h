/*
 * Cluster end-to-end helpers: start a cluster program (the test app or an
 * example) with its event lines (stdout) and log (stderr) in temp files,
 * wait for events, and drive bounded load from a thread.
 */
#ifndef EDDY_TEST_CLUSTER_HELPERS_H
#define EDDY_TEST_CLUSTER_HELPERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/types.h>

typedef struct {
  pid_t pid; /* the primary */
  int port;
  char out_path[128]; /* stdout: the test app's "event ..." lines */
  char log_path[128]; /* stderr: eddy's log */
} cl_t;

/* Starts `path PORT extra...` (NULL-terminated) on a free port. */
void cl_start_path(cl_t *c, const char *path, const char *const *extra);
/* The test app (build/<mode>/tests/cluster-app, found from
 * EDDY_EXAMPLES) or an example by name. */
void cl_start_app(cl_t *c, const char *const *extra);
void cl_start_example(cl_t *c, const char *name, const char *const *extra);
/* Lines of stdout starting with `prefix` ("event listening"). */
int cl_count(const cl_t *c, const char *prefix);
/* Waits until cl_count(prefix) >= n; returns the ms waited or -1. */
long cl_wait(const cl_t *c, const char *prefix, int n, long timeout_ms);
/* The pid in the k-th (0-based) line starting with prefix, or -1. */
int cl_event_pid(const cl_t *c, const char *prefix, int k);
/* 1 if the log contains `needle` (waits up to 3 s for it). */
int cl_log_has_now(const cl_t *c, const char *needle); /* no wait */
int cl_log_has(const cl_t *c, const char *needle);
/* One GET on a fresh connection (2 s timeout): the status, -1 (no
 * answer at all) or -2 (an answer cut short); the
 * answering worker's pid (from the test app's body) into *pid if set. */
int cl_get(int port, const char *path, int *pid);
/* SIGTERM (or `sig`) and wait; returns the wait status. */
int cl_stop(cl_t *c, int sig);
/* The primary was reaped by the test: remove the files. */
void cl_forget(cl_t *c);
/* .fini: SIGKILL a primary a failed test left (workers then stop). */
void cl_kill_leftover(void);

/* A load thread: GET / on fresh connections until stopped (at most
 * max_ms), counting answers and failures and the pids that answered. */
typedef struct {
  int port;
  long max_ms;
  atomic_int stop;
  atomic_int ok, failed, partial; /* partial: some bytes, not all */
  int pids[64];
  atomic_int npids;
  pthread_t thread;
} cl_load_t;

void cl_load_start(cl_load_t *l, int port, long max_ms);
void cl_load_stop(cl_load_t *l);
/* 1 if `pid` answered some request of this load. */
int cl_load_saw(const cl_load_t *l, int pid);

/* One GET in a thread, for a request that takes long (GET /blocking):
 * its status (as cl_get, read timeout timeout_ms) and when it ended. */
typedef struct {
  int port;
  char path[128];
  long timeout_ms;
  atomic_int status;   /* 0 while it runs */
  atomic_long end_ms;  /* e2e_now_ms() when it ended */
  pthread_t thread;
} cl_bg_get_t;

void cl_bg_get_start(cl_bg_get_t *g, int port, const char *path,
                     long timeout_ms);
/* Waits for it; returns its status. */
int cl_bg_get_join(cl_bg_get_t *g);

#endif

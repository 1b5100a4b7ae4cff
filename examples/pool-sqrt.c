/*
 * pool-sqrt [N]: pushes N square roots (default 10,000,000) through the
 * worker pool with max_queue auto, waiting for drain whenever the queue is
 * full, checks the sum of the results, and prints N, time and tasks/s.
 * Memory stays bounded: tasks come from a fixed array of slots reused as
 * they complete. Environment: POOL_THREADS (max_threads), POOL_RING
 * (concurrent_tasks).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "eddy/pool.h"

#define SLOTS 4096 /* more than the pool can hold: rings + queue */

typedef struct {
  eddy_pool_task_t task;
  double in, out;
} job_t;

static eddy_pool_t pool;
static job_t jobs[SLOTS];
static job_t *free_jobs[SLOTS];
static int nfree;
static long n, submitted, finished;
static int starved; /* submit_more stopped for want of a free slot */
static double sum;

static int do_sqrt(void *arg, void **result) {
  job_t *j = arg;
  j->out = sqrt(j->in);
  return 0;
}

static void submit_more(void);

static void on_done(eddy_pool_task_t *task, int status, void *result) {
  job_t *j = (job_t *)task;
  if (status == 0) sum += j->out;
  finished++;
  free_jobs[nfree++] = j;
  if (starved) submit_more(); /* no drain is armed to resume us */
}

/* Submits until done or the queue is full; drain calls it again. */
static void submit_more(void) {
  starved = 0;
  while (submitted < n) {
    if (nfree == 0) {
      starved = 1;
      return;
    }
    job_t *j = free_jobs[--nfree];
    j->in = (double)submitted;
    int err = eddy_pool_run(&pool, &j->task, do_sqrt, j, on_done);
    if (err == EDDY_EQUEUEFULL) {
      free_jobs[nfree++] = j;
      return; /* drain is armed: wait for it */
    }
    if (err) {
      fprintf(stderr, "run: %s\n", eddy_strerror(err));
      exit(1);
    }
    submitted++;
  }
}

static void on_drain(eddy_pool_t *p) { submit_more(); }

int main(int argc, char **argv) {
  n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000000;
  if (n <= 0) return 2;
  eddy_loop_t loop;
  eddy_loop_init(&loop);
  eddy_pool_opts_t opts = {.max_queue = EDDY_POOL_QUEUE_AUTO,
                           .on_drain = on_drain};
  if (getenv("POOL_RING"))
    opts.concurrent_tasks = (unsigned)strtoul(getenv("POOL_RING"), NULL, 10);
  if (getenv("POOL_THREADS"))
    opts.max_threads = (unsigned)strtoul(getenv("POOL_THREADS"), NULL, 10);
  if (eddy_pool_init(&loop, &pool, &opts) != 0) return 1;
  for (int i = 0; i < SLOTS; i++) free_jobs[nfree++] = &jobs[i];
  uint64_t t0 = eddy_hrtime();
  submit_more();
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  double secs = (double)(eddy_hrtime() - t0) / 1e9;
  double expect = 0; /* the same sum, computed here (order differs) */
  for (long i = 0; i < n; i++) expect += sqrt((double)i);
  int ok = finished == n && fabs(sum - expect) <= 1e-9 * expect;
  printf("n=%ld time=%.3fs tasks/s=%.0f sum=%s\n", n, secs, n / secs,
         ok ? "ok" : "WRONG");
  eddy_pool_close(&pool, NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_loop_close(&loop);
  return ok ? 0 : 1;
}

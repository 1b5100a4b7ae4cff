/*
 * Peer: libuv's uv_queue_work, N square roots with a bounded window of
 * outstanding requests (1,024 by default). UV_THREADPOOL_SIZE sets the
 * threads. Prints "n= time= tasks/s=".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#define WINDOW 1024

typedef struct {
  uv_work_t req;
  double in, out;
} job_t;

static job_t jobs[WINDOW];
static long n, submitted, finished;
static double sum;

static void work(uv_work_t *req) {
  job_t *j = (job_t *)req;
  j->out = sqrt(j->in);
}

static void after(uv_work_t *req, int status);

static void submit(job_t *j) {
  j->in = (double)submitted++;
  uv_queue_work(uv_default_loop(), &j->req, work, after);
}

static void after(uv_work_t *req, int status) {
  job_t *j = (job_t *)req;
  sum += j->out;
  finished++;
  if (submitted < n) submit(j);
}

int main(int argc, char **argv) {
  n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000000;
  uint64_t t0 = uv_hrtime();
  for (int i = 0; i < WINDOW && submitted < n; i++) submit(&jobs[i]);
  uv_run(uv_default_loop(), UV_RUN_DEFAULT);
  double secs = (double)(uv_hrtime() - t0) / 1e9;
  printf("n=%ld time=%.3fs tasks/s=%.0f finished=%ld\n", n, secs, n / secs, finished);
  return finished == n ? 0 : 1;
}

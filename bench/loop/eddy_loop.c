/*
 * eddy side of bench/loop: `eddy_loop <work> <n>` with work one of
 * timers, immediates. Prints one result line (common.h).
 */
#include "eddy.h"
#include "common.h"

#include <math.h>

static long fired;

static void on_timer(eddy_timer_t *t) { fired++; }
static void on_immediate(eddy_immediate_t *i) { fired++; }

/*
 * n timers of 0 ms (setTimeout(fn, 0)), all scheduled, then all fired.
 * `passes` > 1 repeats the work on the same memory and times only the last
 * pass: the "-warm" variants, free of first-touch page faults.
 */
static void bench_timers(const char *name, long n, int passes) {
  eddy_loop_t loop;
  eddy_timer_t *t = malloc(sizeof(*t) * (size_t)n);
  eddy_loop_init(&loop);
  double t0 = 0;
  for (int p = 0; p < passes; p++) {
    fired = 0;
    t0 = now_s();
    for (long i = 0; i < n; i++) {
      if (p == 0) eddy_timer_init(&loop, &t[i]);
      eddy_timer_start(&t[i], on_timer, 0, 0);
    }
    eddy_run(&loop, EDDY_RUN_DEFAULT);
  }
  double s = now_s() - t0;
  if (fired != n) fprintf(stderr, "fired %ld of %ld\n", fired, n), exit(1);
  report("eddy", name, n, s);
}

static void bench_immediates(const char *name, long n, int passes) {
  eddy_loop_t loop;
  eddy_immediate_t *im = malloc(sizeof(*im) * (size_t)n);
  eddy_loop_init(&loop);
  double t0 = 0;
  for (int p = 0; p < passes; p++) {
    fired = 0;
    t0 = now_s();
    for (long i = 0; i < n; i++) {
      eddy_immediate_init(&loop, &im[i]);
      eddy_immediate_start(&im[i], on_immediate);
    }
    eddy_run(&loop, EDDY_RUN_DEFAULT);
  }
  double s = now_s() - t0;
  if (fired != n) fprintf(stderr, "fired %ld of %ld\n", fired, n), exit(1);
  report("eddy", name, n, s);
}

/* n thread-pool tasks (a square root each), WINDOW outstanding at a time. */
#define WINDOW 1024
static long submitted;
static double sink;
static void pool_work(eddy_work_t *w) { *(double *)w->data = sqrt((double)(uintptr_t)w); }
static void pool_done(eddy_work_t *w, int status) {
  fired++;
  sink += *(double *)w->data;
  if (submitted < (long)(intptr_t)w->loop->data) {
    submitted++;
    eddy_queue_work(w->loop, w, pool_work, pool_done);
  }
}

static void bench_pool(long n) {
  eddy_loop_t loop;
  static eddy_work_t reqs[WINDOW];
  static double results[WINDOW];
  eddy_loop_init(&loop);
  loop.data = (void *)(intptr_t)n;
  double t0 = now_s();
  for (int i = 0; i < WINDOW && submitted < n; i++, submitted++) {
    reqs[i].data = &results[i];
    eddy_queue_work(&loop, &reqs[i], pool_work, pool_done);
  }
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  double s = now_s() - t0;
  if (fired != n) fprintf(stderr, "done %ld of %ld\n", fired, n), exit(1);
  report("eddy", "pool", n, s);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s timers|immediates N\n", argv[0]);
    return 2;
  }
  long n = strtol(argv[2], NULL, 10);
  const char *w = argv[1];
  int warm = strstr(w, "-warm") != NULL;
  if (strncmp(w, "timers", 6) == 0) bench_timers(w, n, warm ? 2 : 1);
  else if (strncmp(w, "immediates", 10) == 0) bench_immediates(w, n, warm ? 2 : 1);
  else if (strcmp(w, "pool") == 0) bench_pool(n);
  else return 2;
  return 0;
}

/*
 * eddy side of bench/loop: `eddy_loop <work> <n>` with work one of
 * timers, immediates. Prints one result line (common.h).
 */
#include "eddy.h"
#include "common.h"

static long fired;

static void on_timer(eddy_timer_t *t) { fired++; }
static void on_immediate(eddy_immediate_t *i) { fired++; }

/* n timers of 0 ms (setTimeout(fn, 0)), all scheduled, then all fired. */
static void bench_timers(long n) {
  eddy_loop_t loop;
  eddy_timer_t *t = malloc(sizeof(*t) * (size_t)n);
  eddy_loop_init(&loop);
  double t0 = now_s();
  for (long i = 0; i < n; i++) {
    eddy_timer_init(&loop, &t[i]);
    eddy_timer_start(&t[i], on_timer, 0, 0);
  }
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  double s = now_s() - t0;
  if (fired != n) fprintf(stderr, "fired %ld of %ld\n", fired, n), exit(1);
  report("eddy", "timers", n, s);
}

static void bench_immediates(long n) {
  eddy_loop_t loop;
  eddy_immediate_t *im = malloc(sizeof(*im) * (size_t)n);
  eddy_loop_init(&loop);
  double t0 = now_s();
  for (long i = 0; i < n; i++) {
    eddy_immediate_init(&loop, &im[i]);
    eddy_immediate_start(&im[i], on_immediate);
  }
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  double s = now_s() - t0;
  if (fired != n) fprintf(stderr, "fired %ld of %ld\n", fired, n), exit(1);
  report("eddy", "immediates", n, s);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s timers|immediates N\n", argv[0]);
    return 2;
  }
  long n = strtol(argv[2], NULL, 10);
  if (strcmp(argv[1], "timers") == 0) bench_timers(n);
  else if (strcmp(argv[1], "immediates") == 0) bench_immediates(n);
  else return 2;
  return 0;
}

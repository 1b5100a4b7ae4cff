/*
 * libuv side of bench/loop: the same work as eddy_loop.c with libuv 1.44.
 * Immediates: libuv has no one-shot immediate; a check handle that stops
 * itself in its callback is the same work (a queued callback after poll).
 */
#include <uv.h>

#include "common.h"

static long fired;

static void on_timer(uv_timer_t *t) { fired++; }
static void on_check(uv_check_t *c) {
  fired++;
  uv_check_stop(c);
}

static void bench_timers(long n) {
  uv_loop_t *loop = uv_default_loop();
  uv_timer_t *t = malloc(sizeof(*t) * (size_t)n);
  double t0 = now_s();
  for (long i = 0; i < n; i++) {
    uv_timer_init(loop, &t[i]);
    uv_timer_start(&t[i], on_timer, 0, 0);
  }
  uv_run(loop, UV_RUN_DEFAULT);
  double s = now_s() - t0;
  if (fired != n) fprintf(stderr, "fired %ld of %ld\n", fired, n), exit(1);
  report("libuv", "timers", n, s);
}

static void bench_immediates(long n) {
  uv_loop_t *loop = uv_default_loop();
  uv_check_t *c = malloc(sizeof(*c) * (size_t)n);
  double t0 = now_s();
  for (long i = 0; i < n; i++) {
    uv_check_init(loop, &c[i]);
    uv_check_start(&c[i], on_check);
  }
  /* A check handle needs an iteration: keep one referenced idle-free
   * iteration by running once without waiting. */
  uv_run(loop, UV_RUN_NOWAIT);
  double s = now_s() - t0;
  if (fired != n) fprintf(stderr, "fired %ld of %ld\n", fired, n), exit(1);
  report("libuv", "immediates", n, s);
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

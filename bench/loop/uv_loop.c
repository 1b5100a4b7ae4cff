/*
 * libuv side of bench/loop: the same work as eddy_loop.c with libuv 1.44.
 * Immediates: libuv has no one-shot immediate; a check handle that stops
 * itself in its callback is the same work (a queued callback after poll).
 */
#include <uv.h>

#include "common.h"

#include <math.h>

static long fired;

static void on_timer(uv_timer_t *t) { fired++; }
static void on_check(uv_check_t *c) {
  fired++;
  uv_check_stop(c);
}

/* `passes` as in eddy_loop.c: the "-warm" variants time the last pass. */
static void bench_timers(const char *name, long n, int passes) {
  uv_loop_t *loop = uv_default_loop();
  uv_timer_t *t = malloc(sizeof(*t) * (size_t)n);
  double t0 = 0;
  for (int p = 0; p < passes; p++) {
    fired = 0;
    t0 = now_s();
    for (long i = 0; i < n; i++) {
      if (p == 0) uv_timer_init(loop, &t[i]);
      uv_timer_start(&t[i], on_timer, 0, 0);
    }
    uv_run(loop, UV_RUN_DEFAULT);
  }
  double s = now_s() - t0;
  if (fired != n) fprintf(stderr, "fired %ld of %ld\n", fired, n), exit(1);
  report("libuv", name, n, s);
}

static void bench_immediates(const char *name, long n, int passes) {
  uv_loop_t *loop = uv_default_loop();
  uv_check_t *c = malloc(sizeof(*c) * (size_t)n);
  double t0 = 0;
  for (int p = 0; p < passes; p++) {
    fired = 0;
    t0 = now_s();
    for (long i = 0; i < n; i++) {
      if (p == 0) uv_check_init(loop, &c[i]);
      uv_check_start(&c[i], on_check);
    }
    /* Check handles run after the poll of one iteration. */
    uv_run(loop, UV_RUN_NOWAIT);
  }
  double s = now_s() - t0;
  if (fired != n) fprintf(stderr, "fired %ld of %ld\n", fired, n), exit(1);
  report("libuv", name, n, s);
}

/* n uv_queue_work tasks (a square root each), WINDOW outstanding. */
#define WINDOW 1024
static long submitted, total;
static double sink;
static void pool_work(uv_work_t *w) { *(double *)w->data = sqrt((double)(uintptr_t)w); }
static void pool_done(uv_work_t *w, int status) {
  fired++;
  sink += *(double *)w->data;
  if (submitted < total) {
    submitted++;
    uv_queue_work(w->loop, w, pool_work, pool_done);
  }
}

static void bench_pool(long n) {
  static uv_work_t reqs[WINDOW];
  static double results[WINDOW];
  uv_loop_t *loop = uv_default_loop();
  total = n;
  double t0 = now_s();
  for (int i = 0; i < WINDOW && submitted < n; i++, submitted++) {
    reqs[i].data = &results[i];
    uv_queue_work(loop, &reqs[i], pool_work, pool_done);
  }
  uv_run(loop, UV_RUN_DEFAULT);
  double s = now_s() - t0;
  if (fired != n) fprintf(stderr, "done %ld of %ld\n", fired, n), exit(1);
  report("libuv", "pool", n, s);
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

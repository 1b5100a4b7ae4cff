/*
 * blocking-loop: why the loop must never block.
 *
 * A 100 ms timer is started, then the same amount of CPU work (default
 * 1000 ms, or the first argument) is done three ways:
 *
 *   blocking    one callback spins `while (!die)` for the whole time: the
 *               timer cannot fire until it ends
 *   immediates  the work is cut into 5 ms slices, one per immediate, so the
 *               loop gets back to its timers between slices
 *   pool        the work runs on a thread-pool thread; the loop stays free
 *
 * Each prints how late the timer fired. Usage: blocking-loop [work_ms]
 */
#include <stdio.h>
#include <stdlib.h>

#include "eddy.h"
#include "eddy/fs.h"

#define TIMER_MS 100
#define SLICE_MS 5

static uint64_t work_ms = 1000;
static uint64_t started_ns, work_start_ns;
static long late_ms;
static volatile int die;

static uint64_t ms_since(uint64_t t0) {
  return (eddy_hrtime() - t0) / 1000000u;
}

static void on_timer(eddy_timer_t *t) {
  late_ms = (long)ms_since(started_ns) - TIMER_MS;
}

/* Spins until `until_ms` after work_start_ns: the stand-in for CPU work. */
static void spin(uint64_t until_ms) {
  die = 0;
  while (!die)
    if (ms_since(work_start_ns) >= until_ms) die = 1;
}

static void blocking_work(eddy_immediate_t *imm) { spin(work_ms); }

static void sliced_work(eddy_immediate_t *imm) {
  uint64_t done = ms_since(work_start_ns);
  if (done >= work_ms) return;
  spin(done + SLICE_MS < work_ms ? done + SLICE_MS : work_ms);
  eddy_immediate_start(imm, sliced_work); /* runs next iteration */
}

static void pool_work(eddy_work_t *w) { spin(work_ms); }

/* Runs one variant on a fresh loop and prints the timer's lateness. */
static int run(const char *name, int variant) {
  eddy_loop_t loop;
  eddy_timer_t timer;
  eddy_immediate_t imm;
  eddy_work_t work;
  if (eddy_loop_init(&loop)) return -1;
  eddy_timer_init(&loop, &timer);
  eddy_immediate_init(&loop, &imm);
  started_ns = work_start_ns = eddy_hrtime();
  eddy_timer_start(&timer, on_timer, TIMER_MS, 0);
  if (variant == 0) eddy_immediate_start(&imm, blocking_work);
  if (variant == 1) eddy_immediate_start(&imm, sliced_work);
  if (variant == 2 && eddy_queue_work(&loop, &work, pool_work, NULL)) return -1;
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  printf("%-10s: timer due at %d ms fired %ld ms late (work %llu ms)\n", name,
         TIMER_MS, late_ms, (unsigned long long)ms_since(work_start_ns));
  eddy_close((eddy_handle_t *)&timer, NULL);
  eddy_immediate_stop(&imm); /* an immediate is a request: no close */
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  return eddy_loop_close(&loop);
}

int main(int argc, char **argv) {
  if (argc > 1) {
    char *end;
    unsigned long v = strtoul(argv[1], &end, 10);
    if (*end || v < TIMER_MS || v > 60000) {
      fprintf(stderr, "usage: %s [work_ms, %d..60000]\n", argv[0], TIMER_MS);
      return 2;
    }
    work_ms = v;
  }
  if (run("blocking", 0) || run("immediates", 1) || run("pool", 2)) return 1;
  return 0;
}

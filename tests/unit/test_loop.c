/* The loop: phase order (Node's documented cases), run modes, liveness,
 * stop, close semantics, fairness. */
#include <unistd.h>

#include "core/internal.h"
#include "support/loop_helpers.h"

static eddy_loop_t loop;

/* A suite-wide timeout: Criterion's per-test .timeout leaks in its runner. */
TestSuite(loop, .timeout = 30);
static char trace[64];
static int ntrace;

static void mark(char c) { trace[ntrace++] = c; trace[ntrace] = 0; }

static void on_timer(eddy_timer_t *t) { mark('T'); }
static void on_immediate(eddy_immediate_t *i) { mark('I'); }

static eddy_timer_t t0;
static eddy_immediate_t i0;

/* Node: inside an I/O callback, setImmediate always runs before a 0 ms
 * setTimeout. */
static void on_readable(eddy_io_t *io, unsigned ev) {
  char c;
  cr_assert_eq(read(io->fd, &c, 1), 1);
  mark('R');
  eddy_io_stop(io);
  eddy_timer_start(&t0, on_timer, 0, 0);
  eddy_immediate_start(&i0, on_immediate);
}

Test(loop, immediate_before_zero_timer_inside_io_callback) {
  int p[2];
  cr_assert_eq(pipe(p), 0);
  cr_assert_eq(write(p[1], "x", 1), 1);
  eddy_io_t io;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  ntrace = 0;
  eddy_timer_init(&loop, &t0);
  eddy_immediate_init(&loop, &i0);
  eddy_io_init(&loop, &io, p[0], on_readable);
  eddy_io_start(&io, EDDY_READABLE);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_str_eq(trace, "RIT");
  close_loop(&loop);
  close(p[0]);
  close(p[1]);
}

/* From the main program, a 0 ms timer set before the loop starts fires in
 * the first timers phase, before the first check phase (in Node the order
 * depends on process timing; eddy's is fixed). */
Test(loop, zero_timer_before_immediate_from_main) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  ntrace = 0;
  eddy_timer_init(&loop, &t0);
  eddy_immediate_init(&loop, &i0);
  eddy_immediate_start(&i0, on_immediate);
  eddy_timer_start(&t0, on_timer, 0, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_str_eq(trace, "TI");
  close_loop(&loop);
}


/* One iteration runs timers, pending, poll, check, close: in that order. */
static eddy__pending_t pend;
static eddy_timer_t victim_timer;
static void on_pending(eddy__pending_t *p) { mark('P'); }
static void on_close(eddy_handle_t *h) { mark('C'); }
static void start_everything(eddy_timer_t *t) {
  mark('T');
  pend.cb = on_pending;
  eddy__pending_push(&loop, &pend);
  eddy_immediate_start(&i0, on_immediate);
  eddy_close(EDDY_HANDLE(&victim_timer), on_close);
  cr_assert_eq(ntrace, 1, "close callback must not run inline");
}

Test(loop, phases_run_in_documented_order) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  ntrace = 0;
  eddy__pending_init(&pend);
  eddy_timer_init(&loop, &t0);
  eddy_timer_init(&loop, &victim_timer);
  eddy_immediate_init(&loop, &i0);
  eddy_timer_start(&t0, start_everything, 0, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  /* timers, then pending (deferred by the timer), poll, check, close. */
  cr_assert_str_eq(trace, "TPIC");
  close_loop(&loop);
}

static void never(eddy_timer_t *t) { cr_assert_fail("closed timer fired"); }
static void never_imm(eddy_immediate_t *i) { cr_assert_fail("closed immediate ran"); }
static eddy_timer_t due;
static eddy_immediate_t queued;
static void close_others(eddy_timer_t *t) {
  eddy_close(EDDY_HANDLE(&due), on_close);
  eddy_immediate_stop(&queued); /* clearImmediate */
}

Test(loop, closing_a_handle_cancels_its_pending_callback) {
  eddy_timer_t first;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  ntrace = 0;
  eddy_timer_init(&loop, &first);
  eddy_timer_init(&loop, &due);
  eddy_immediate_init(&loop, &queued);
  eddy_timer_start(&first, close_others, 1, 0);
  eddy_timer_start(&due, never, 1, 0); /* expires in the same phase */
  eddy_immediate_start(&queued, never_imm);
  usleep(3000);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_str_eq(trace, "C");
  close_loop(&loop);
}

Test(loop, run_modes) {
  eddy_timer_t t;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  ntrace = 0;
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, on_timer, 30, 0);
  uint64_t start = now_ms();
  cr_assert_neq(eddy_run(&loop, EDDY_RUN_NOWAIT), 0, "timer still pending");
  cr_assert_lt(now_ms() - start, 20, "NOWAIT must not wait");
  cr_assert_eq(ntrace, 0);
  cr_assert_eq(eddy_run(&loop, EDDY_RUN_ONCE), 0, "ONCE waits and fires the timer");
  cr_assert_str_eq(trace, "T");
  cr_assert_eq(eddy_loop_alive(&loop), 0);
  close_loop(&loop);
}

static int stop_ticks;
static void stop_on_third(eddy_timer_t *t) {
  if (++stop_ticks == 3) eddy_loop_stop(t->loop);
}

Test(loop, stop_returns_with_work_left) {
  eddy_timer_t t;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  stop_ticks = 0;
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, stop_on_third, 0, 1);
  cr_assert_neq(eddy_run(&loop, EDDY_RUN_DEFAULT), 0);
  cr_assert_eq(stop_ticks, 3);
  cr_assert_eq(eddy_loop_close(&loop), -EBUSY);
  close_loop(&loop);
}

/* Fairness: an immediate that re-queues itself forever cannot starve I/O
 * or timers. */
static int spins, got_read, got_timer;
static eddy_immediate_t spinner;
static void spin(eddy_immediate_t *i) {
  spins++;
  if (!(got_read && got_timer)) eddy_immediate_start(i, spin);
}
static void read_once(eddy_io_t *io, unsigned ev) {
  char c;
  cr_assert_eq(read(io->fd, &c, 1), 1);
  got_read = 1;
  eddy_io_stop(io);
}
static void timer_hit(eddy_timer_t *t) { got_timer = 1; }

Test(loop, self_rearming_immediate_does_not_starve_io_or_timers) {
  int p[2];
  cr_assert_eq(pipe(p), 0);
  eddy_io_t io;
  eddy_timer_t t;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  spins = got_read = got_timer = 0;
  eddy_immediate_init(&loop, &spinner);
  eddy_immediate_start(&spinner, spin);
  eddy_io_init(&loop, &io, p[0], read_once);
  eddy_io_start(&io, EDDY_READABLE);
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, timer_hit, 10, 0);
  cr_assert_eq(write(p[1], "x", 1), 1);
  uint64_t start = now_ms();
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert(got_read && got_timer);
  cr_assert_lt(now_ms() - start, 100);
  cr_assert_gt(spins, 1);
  close_loop(&loop);
  close(p[0]);
  close(p[1]);
}

static int walked;
static void on_async(eddy_async_t *a) { mark('A'); }
static void count_walk(eddy_handle_t *h, void *arg) { walked++; }

Test(loop, walk_sees_user_handles_only) {
  eddy_timer_t t;
  eddy_async_t a;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_timer_init(&loop, &t);
  eddy_async_init(&loop, &a, on_async);
  walked = 0;
  eddy_loop_walk(&loop, count_walk, NULL);
  cr_assert_eq(walked, 2, "internal eventfd watcher must not be walked");
  close_loop(&loop);
}

Test(loop, run_with_nothing_returns_at_once) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_run(&loop, EDDY_RUN_DEFAULT), 0);
  close_loop(&loop);
}

/* eddy_run from inside one of the loop's callbacks is -EBUSY and runs
 * nothing (an immediate queued just before it must not run inside it);
 * after the outer run returns, the loop runs again. */
static int nested[3];
static void nested_run(eddy_timer_t *t) {
  eddy_immediate_start(&i0, on_immediate);
  nested[0] = eddy_run(t->loop, EDDY_RUN_DEFAULT);
  nested[1] = eddy_run(t->loop, EDDY_RUN_ONCE);
  nested[2] = eddy_run(t->loop, EDDY_RUN_NOWAIT);
  mark('T');
}
static int close_nested;
static void nested_in_close(eddy_handle_t *h) {
  close_nested = eddy_run(h->loop, EDDY_RUN_NOWAIT);
}

Test(loop, run_inside_a_callback_is_ebusy) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  ntrace = 0;
  eddy_timer_init(&loop, &t0);
  eddy_immediate_init(&loop, &i0);
  eddy_timer_start(&t0, nested_run, 0, 0);
  cr_assert_eq(eddy_run(&loop, EDDY_RUN_DEFAULT), 0);
  for (int i = 0; i < 3; i++) cr_assert_eq(nested[i], -EBUSY, "mode %d", i);
  cr_assert_str_eq(trace, "TI", "the nested run ran something: %s", trace);
  eddy_close(EDDY_HANDLE(&t0), nested_in_close);
  cr_assert_eq(eddy_run(&loop, EDDY_RUN_DEFAULT), 0);
  cr_assert_eq(close_nested, -EBUSY);
  eddy_timer_init(&loop, &t0); /* and the loop still runs */
  eddy_timer_start(&t0, on_timer, 0, 0);
  cr_assert_eq(eddy_run(&loop, EDDY_RUN_DEFAULT), 0);
  cr_assert_str_eq(trace, "TIT");
  close_loop(&loop);
}

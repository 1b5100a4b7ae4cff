/* The loop measuring itself: stall detector, delay histogram, utilization,
 * label. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "support/loop_helpers.h"

static eddy_loop_t loop;

/* A suite-wide timeout: Criterion's per-test .timeout leaks in its runner. */
TestSuite(stall, .timeout = 30);

struct stall_seen {
  _Atomic int reports;
  char label[64];
  _Atomic uint64_t running_ns;
  _Atomic int while_running; /* the report came before the callback ended */
};
static struct stall_seen seen;
static _Atomic int in_callback;

static void on_stall(eddy_loop_t *l, const char *label, uint64_t ns, void *arg) {
  if (atomic_fetch_add(&seen.reports, 1) == 0) {
    snprintf(seen.label, sizeof(seen.label), "%s", label ? label : "(null)");
    atomic_store(&seen.running_ns, ns);
    atomic_store(&seen.while_running, atomic_load(&in_callback));
  }
}

static void slow_handler(eddy_timer_t *t) {
  eddy_loop_set_label(t->loop, "GET /users/:id");
  atomic_store(&in_callback, 1);
  usleep(250 * 1000); /* a handler that blocks the loop */
  atomic_store(&in_callback, 0);
}

Test(stall, detector_names_the_running_label_while_it_runs) {
  eddy_timer_t t;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  memset(&seen, 0, sizeof(seen));
  cr_assert_eq(eddy_loop_stall_start(&loop, 50, on_stall, NULL), 0);
  cr_assert_eq(eddy_loop_stall_start(&loop, 50, on_stall, NULL), -EALREADY);
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, slow_handler, 1, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_geq(atomic_load(&seen.reports), 1);
  cr_assert_str_eq(seen.label, "GET /users/:id");
  cr_assert_geq(atomic_load(&seen.running_ns), 50 * 1000000ull);
  cr_assert(atomic_load(&seen.while_running), "reported after the fact");
  cr_assert_leq(atomic_load(&seen.reports), 3, "threshold, then doubling");
  eddy_loop_stall_stop(&loop);
  close_loop(&loop);
}

static void quick(eddy_timer_t *t) {}

Test(stall, no_report_for_fast_callbacks) {
  eddy_timer_t t;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  memset(&seen, 0, sizeof(seen));
  cr_assert_eq(eddy_loop_stall_start(&loop, 50, on_stall, NULL), 0);
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, quick, 0, 5);
  for (int i = 0; i < 30; i++) eddy_run(&loop, EDDY_RUN_ONCE); /* ~150 ms */
  cr_assert_eq(atomic_load(&seen.reports), 0);
  close_loop(&loop); /* loop close also stops the detector */
}

/* A program that runs the loop a step at a time and does its own slow
 * work between steps: that time is not a stuck callback. */
Test(stall, no_report_between_runs) {
  eddy_timer_t t;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  memset(&seen, 0, sizeof(seen));
  cr_assert_eq(eddy_loop_stall_start(&loop, 20, on_stall, NULL), 0);
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, quick, 0, 1);
  for (int i = 0; i < 3; i++) {
    eddy_run(&loop, EDDY_RUN_NOWAIT); /* the timer's callback runs */
    usleep(100 * 1000);               /* outside the loop */
  }
  cr_assert_eq(atomic_load(&seen.reports), 0, "reported: %s", seen.label);
  close_loop(&loop);
}

static void blocker(eddy_timer_t *t) { usleep(30 * 1000); }

Test(stall, delay_histogram_sees_a_blocked_loop) {
  eddy_timer_t t, keep;
  eddy_hist_stats_t st;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_loop_delay_stats(&loop, &st), -ENOENT);
  cr_assert_eq(eddy_loop_delay_start(&loop, 5), 0);
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, blocker, 12, 0);
  eddy_timer_init(&loop, &keep); /* the monitor's own timer is unref'd */
  eddy_timer_start(&keep, quick, 100, 0);
  uint64_t end = now_ms() + 100;
  while (now_ms() < end) eddy_run(&loop, EDDY_RUN_ONCE);
  cr_assert_eq(eddy_loop_delay_stats(&loop, &st), 0);
  cr_assert_gt(st.count, 5);
  cr_assert_geq(st.max, 20 * 1000000ull, "the 30 ms block shows as delay");
  cr_assert_lt(st.p50, 5 * 1000000ull, "most ticks are on time");
  cr_assert_leq(st.min, st.p50);
  cr_assert_leq(st.p50, st.p99);
  cr_assert_leq(st.p99, st.max);
  eddy_loop_delay_reset(&loop);
  eddy_loop_delay_stats(&loop, &st);
  cr_assert_eq(st.count, 0);
  close_loop(&loop);
}

static void busy_20ms(eddy_timer_t *t) {
  uint64_t end = now_ms() + 20;
  while (now_ms() < end) {
  }
}

Test(stall, utilization_counts_busy_and_idle) {
  eddy_timer_t busy, idle;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_elu_t start = eddy_loop_utilization(&loop, NULL);
  eddy_timer_init(&loop, &busy);
  eddy_timer_init(&loop, &idle);
  eddy_timer_start(&busy, busy_20ms, 0, 0);
  eddy_timer_start(&idle, quick, 60, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_elu_t d = eddy_loop_utilization(&loop, &start);
  cr_assert_geq(d.active_ns, 18 * 1000000ull);
  cr_assert_geq(d.idle_ns, 30 * 1000000ull);
  cr_assert(d.utilization > 0.15 && d.utilization < 0.6, "%f", d.utilization);
  cr_assert_null(eddy_loop_label(&loop, NULL), "idle loop has no label");
  close_loop(&loop);
}

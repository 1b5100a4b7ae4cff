/* Timers: ordering, ties, cancellation, repeat, restart from callbacks. */
#include "core/internal.h"
#include "support/loop_helpers.h"

static eddy_loop_t loop;

/* A suite-wide timeout: Criterion's per-test .timeout leaks in its runner. */
TestSuite(timer, .timeout = 30);
static int order[2048], norder;

static void record(eddy_timer_t *t) { order[norder++] = (int)(intptr_t)t->data; }

Test(timer, fires_in_deadline_order) {
  eddy_timer_t t[5];
  uint64_t timeouts[5] = {30, 10, 20, 0, 10};
  cr_assert_eq(eddy_loop_init(&loop), 0);
  norder = 0;
  for (int i = 0; i < 5; i++) {
    eddy_timer_init(&loop, &t[i]);
    t[i].data = (void *)(intptr_t)i;
    cr_assert_eq(eddy_timer_start(&t[i], record, timeouts[i], 0), 0);
  }
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  int want[5] = {3, 1, 4, 2, 0};
  cr_assert_eq(norder, 5);
  for (int i = 0; i < 5; i++) cr_assert_eq(order[i], want[i], "at %d", i);
  close_loop(&loop);
}

Test(timer, equal_deadlines_fire_in_start_order) {
  static eddy_timer_t t[1000];
  cr_assert_eq(eddy_loop_init(&loop), 0);
  norder = 0;
  for (int i = 0; i < 1000; i++) {
    eddy_timer_init(&loop, &t[i]);
    t[i].data = (void *)(intptr_t)i;
    eddy_timer_start(&t[i], record, 5, 0);
  }
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(norder, 1000);
  for (int i = 0; i < 1000; i++) cr_assert_eq(order[i], i);
  close_loop(&loop);
}

static eddy_timer_t victim;
static void stop_victim(eddy_timer_t *t) { eddy_timer_stop(&victim); record(t); }

Test(timer, stopped_timer_never_fires) {
  eddy_timer_t killer;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  norder = 0;
  eddy_timer_init(&loop, &killer);
  eddy_timer_init(&loop, &victim);
  killer.data = (void *)1;
  victim.data = (void *)2;
  eddy_timer_start(&killer, stop_victim, 5, 0);
  eddy_timer_start(&victim, record, 5, 0); /* same deadline, after killer */
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(norder, 1);
  cr_assert_eq(order[0], 1);
  close_loop(&loop);
}

static int repeats;
static void count_and_stop(eddy_timer_t *t) {
  if (++repeats == 5) eddy_timer_stop(t);
}

Test(timer, repeat_runs_until_stopped) {
  eddy_timer_t t;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  repeats = 0;
  eddy_timer_init(&loop, &t);
  uint64_t t0 = now_ms();
  eddy_timer_start(&t, count_and_stop, 1, 2);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(repeats, 5);
  cr_assert_geq(now_ms() - t0, 9, "5 firings at 1 + 4*2 ms");
  close_loop(&loop);
}

static int restarts;
static void restart_self(eddy_timer_t *t) {
  if (++restarts < 3) cr_assert_eq(eddy_timer_start(t, restart_self, 0, 0), 0);
}

Test(timer, zero_timer_restarted_in_callback_waits_an_iteration) {
  eddy_timer_t t;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  restarts = 0;
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, restart_self, 0, 0);
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(restarts, 1, "a 0 ms timer started in its callback must not re-fire in the same phase");
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(restarts, 2);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(restarts, 3);
  close_loop(&loop);
}

Test(timer, misuse_returns_einval) {
  eddy_timer_t t;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_timer_init(&loop, &t);
  cr_assert_eq(eddy_timer_start(&t, NULL, 1, 0), -EINVAL);
  cr_assert_eq(eddy_timer_again(&t), -EINVAL);
  cr_assert_eq(eddy_close(EDDY_HANDLE(&t), NULL), 0);
  cr_assert_eq(eddy_close(EDDY_HANDLE(&t), NULL), -EINVAL);
  cr_assert_eq(eddy_timer_start(&t, record, 1, 0), -EINVAL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(eddy_loop_close(&loop), 0);
}

Test(timer, unref_timer_does_not_keep_loop_alive) {
  eddy_timer_t t;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  norder = 0;
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, record, 10000, 0);
  eddy_unref(EDDY_HANDLE(&t));
  uint64_t t0 = now_ms();
  cr_assert_eq(eddy_run(&loop, EDDY_RUN_DEFAULT), 0);
  cr_assert_lt(now_ms() - t0, 1000);
  cr_assert_eq(norder, 0);
  cr_assert_eq(eddy_loop_close(&loop), -EBUSY, "an open handle keeps close busy");
  close_loop(&loop);
}

/* Many durations, starts, stops and restarts in a random order: the
 * structure stays valid and timers fire in (deadline, start) order. */
static uint64_t last_deadline;
static int out_of_order, fired_count;
static void check_order(eddy_timer_t *t) {
  if (t->deadline < last_deadline) out_of_order++;
  last_deadline = t->deadline;
  fired_count++;
}

Test(timer, mixed_durations_stay_ordered_and_valid) {
  static eddy_timer_t t[3000];
  cr_assert_eq(eddy_loop_init(&loop), 0);
  srand(7);
  last_deadline = 0;
  out_of_order = fired_count = 0;
  for (int i = 0; i < 3000; i++) {
    eddy_timer_init(&loop, &t[i]);
    cr_assert_eq(eddy_timer_start(&t[i], check_order, (uint64_t)(rand() % 200), 0), 0);
  }
  cr_assert_eq(eddy__timers_validate(&loop), 3000);
  int stopped = 0;
  for (int i = 0; i < 3000; i += 3) {
    eddy_timer_stop(&t[i]);
    stopped++;
  }
  for (int i = 1; i < 3000; i += 7) eddy_timer_start(&t[i], check_order, (uint64_t)(rand() % 50), 0);
  long live = eddy__timers_validate(&loop), active = 0;
  for (int i = 0; i < 3000; i++) active += eddy_is_active(EDDY_HANDLE(&t[i]));
  cr_assert_eq(live, active);
  cr_assert_lt(active, 3000 - stopped + 3000 / 7 + 1);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(fired_count, live);
  cr_assert_eq(out_of_order, 0);
  cr_assert_eq(eddy__timers_validate(&loop), 0);
  close_loop(&loop);
}

static eddy_timer_t chain[3];
static void stop_the_head(eddy_timer_t *t) {
  record(t);
  eddy_timer_stop(&chain[1]); /* the head of the same-duration list */
}

Test(timer, stopping_a_list_head_keeps_the_rest) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  norder = 0;
  for (int i = 0; i < 3; i++) {
    eddy_timer_init(&loop, &chain[i]);
    chain[i].data = (void *)(intptr_t)i;
  }
  eddy_timer_start(&chain[0], stop_the_head, 1, 0);
  eddy_timer_start(&chain[1], record, 5, 0);
  eddy_timer_start(&chain[2], record, 5, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(norder, 2);
  cr_assert_eq(order[0], 0);
  cr_assert_eq(order[1], 2);
  close_loop(&loop);
}

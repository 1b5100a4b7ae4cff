/* Worker pool: results, failures, queue-full, drain, cancel, deadlines,
 * idle shrink, close vs destroy, statistics, and the pool-sqrt example. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy/pool.h"
#include "eddy/thread.h"
#include "support/loop_helpers.h"
#include "support/thread_helpers.h"

static eddy_loop_t loop;
static eddy_pool_t pool;
static int ndone, nok, ncancel, ntimeout, nfail, ndrain, nclosed;
static int last_status;
static void *last_result;
static int on_main;

static void reset(void) {
  ndone = nok = ncancel = ntimeout = nfail = ndrain = nclosed = 0;
  last_status = 1;
  on_main = 1;
  gate_close();
}

static void done(eddy_pool_task_t *t, int status, void *result) {
  ndone++;
  if (!eddy_is_main_thread()) on_main = 0;
  last_status = status;
  last_result = result;
  if (status == 0) nok++;
  else if (status == -ECANCELED) ncancel++;
  else if (status == -ETIMEDOUT) ntimeout++;
  else nfail++;
}

static int square(void *arg, void **result) {
  intptr_t v = (intptr_t)arg;
  *result = (void *)(v * v);
  return 0;
}

static int fails(void *arg, void **result) { return -EDOM; }
/* A task whose own work timed out: it ran, so it failed, not expired. */
static int own_timeout(void *arg, void **result) { return -ETIMEDOUT; }

static void on_close_cb(eddy_handle_t *h) { nclosed++; }

static void init_pool(eddy_pool_opts_t o) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_pool_init(&loop, &pool, &o), 0);
}

Test(pool, result_and_failure_reach_done_on_loop_thread) {
  time_limit(30);
  reset();
  init_pool((eddy_pool_opts_t){.max_threads = 2});
  eddy_pool_task_t a, b;
  cr_assert_eq(eddy_pool_run(&pool, &a, square, (void *)7, done), 0);
  cr_assert_eq(ndone, 0, "done never runs inside run()");
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(ndone, 1);
  cr_assert_eq(last_status, 0);
  cr_assert_eq((intptr_t)last_result, 49);
  cr_assert_eq(eddy_pool_run(&pool, &b, fails, NULL, done), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(last_status, -EDOM);
  cr_assert_eq(eddy_pool_run(&pool, &b, own_timeout, NULL, done), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(last_status, -ETIMEDOUT);
  cr_assert(on_main);
  eddy_pool_stats_t st;
  eddy_pool_stats(&pool, &st);
  cr_assert_eq(st.completed, 3);
  cr_assert_eq(st.failed, 2);
  cr_assert_eq(st.timed_out, 0, "a task that ran is not a timed-out one");
  cr_assert_eq(st.run_time.count, 3);
  cr_assert_eq(st.wait_time.count, 3);
  cr_assert_eq(eddy_pool_run(&pool, &a, NULL, NULL, done), -EINVAL);
  close_loop(&loop);
}

/* One thread holding one task: everything else waits in the queue. */
static const eddy_pool_opts_t tight = {
    .min_threads = 1, .max_threads = 1, .concurrent_tasks = 1, .max_queue = 2};

static void count_drain(eddy_pool_t *p) { ndrain++; }

Test(pool, queue_full_is_returned_synchronously_and_drain_fires_once) {
  time_limit(30);
  reset();
  eddy_pool_opts_t o = tight;
  o.on_drain = count_drain;
  init_pool(o);
  eddy_pool_task_t t[4];
  cr_assert_eq(eddy_pool_run(&pool, &t[0], gate_task, NULL, done), 0);
  cr_assert_eq(eddy_pool_run(&pool, &t[1], gate_task, NULL, done), 0);
  cr_assert_eq(eddy_pool_needs_drain(&pool), 0);
  cr_assert_eq(eddy_pool_run(&pool, &t[2], gate_task, NULL, done), 0);
  cr_assert_eq(eddy_pool_queue_size(&pool), 2, "running task is not queued");
  cr_assert_eq(eddy_pool_needs_drain(&pool), 1);
  cr_assert_eq(eddy_pool_run(&pool, &t[3], gate_task, NULL, done), EDDY_EQUEUEFULL);
  gate_open_after(&loop, 20);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(ndone, 3, "the refused task never reaches done");
  cr_assert_eq(ndrain, 1);
  cr_assert_eq(eddy_pool_needs_drain(&pool), 0);
  close_loop(&loop);
}

/* A producer that refills on drain, Piscina's backpressure loop. */
static long produced, target;
static eddy_pool_task_t *slots;
static int fulls;

static void produce(eddy_pool_t *p) {
  ndrain++;
  while (produced < target) {
    int err = eddy_pool_run(p, &slots[produced], square, (void *)1, done);
    if (err == EDDY_EQUEUEFULL) {
      fulls++;
      cr_assert(eddy_pool_needs_drain(p));
      return;
    }
    cr_assert_eq(err, 0);
    produced++;
  }
  if (eddy_pool_needs_drain(p)) fulls++; /* the last task filled the queue */
}

static void producer_finishes(eddy_pool_opts_t o, long n) {
  reset();
  produced = 0;
  fulls = 0;
  target = n;
  slots = calloc((size_t)n, sizeof(*slots));
  o.on_drain = produce;
  init_pool(o);
  produce(&pool); /* first fill: the pool has no thread yet when min is 0 */
  ndrain = 0;
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(produced, n, "producer stalled at %ld of %ld", produced, n);
  cr_assert_eq(ndone, n);
  cr_assert_eq(ndrain, fulls, "one drain per full queue");
  cr_assert_gt(fulls, 0, "the queue did fill");
  close_loop(&loop);
  free(slots);
}

Test(pool, drain_producer_finishes_with_min_threads_0) {
  time_limit(30);
  producer_finishes((eddy_pool_opts_t){.max_threads = 2,
                                       .max_queue = EDDY_POOL_QUEUE_AUTO},
                    200000);
}

Test(pool, drain_producer_finishes_with_one_slot_rings) {
  time_limit(30);
  producer_finishes((eddy_pool_opts_t){.min_threads = 1, .max_threads = 3,
                                       .concurrent_tasks = 1,
                                       .max_queue = EDDY_POOL_QUEUE_AUTO},
                    50000);
}

Test(pool, drain_producer_finishes_with_queue_of_one) {
  time_limit(30);
  producer_finishes((eddy_pool_opts_t){.max_threads = 1, .concurrent_tasks = 1,
                                       .max_queue = 1},
                    20000);
}

static int cancelled_in_call;
Test(pool, cancel_queued_and_assigned_but_not_running) {
  time_limit(30);
  reset();
  eddy_pool_opts_t o = tight;
  o.concurrent_tasks = 2;
  init_pool(o);
  eddy_pool_task_t run1, ring2, q3;
  cr_assert_eq(eddy_pool_run(&pool, &run1, gate_task, NULL, done), 0);
  cr_assert_eq(eddy_pool_run(&pool, &ring2, gate_task, NULL, done), 0);
  cr_assert_eq(eddy_pool_run(&pool, &q3, gate_task, NULL, done), 0);
  while (gate_started() == 0) eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(eddy_pool_cancel(&run1), -EBUSY, "running: cannot cancel");
  cr_assert_eq(eddy_pool_cancel(&q3), 0);
  cr_assert_eq(eddy_pool_cancel(&q3), -EBUSY, "cancelled already");
  cancelled_in_call = ncancel;
  cr_assert_eq(eddy_pool_cancel(&ring2), 0);
  cr_assert_eq(eddy_pool_cancel(&ring2), -EBUSY, "cancelled already");
  cr_assert_eq(ncancel, 0, "done is deferred");
  cr_assert_eq(eddy_pool_queue_size(&pool), 0);
  gate_open_after(&loop, 10);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(ncancel, 2);
  cr_assert_eq(nok, 1);
  cr_assert_eq(gate_started(), 1, "cancelled tasks never ran");
  eddy_pool_stats_t st;
  eddy_pool_stats(&pool, &st);
  cr_assert_eq(st.cancelled, 2);
  close_loop(&loop);
}

Test(pool, deadline_expires_a_task_that_has_not_started) {
  time_limit(30);
  reset();
  init_pool(tight);
  eddy_pool_task_t run1, late;
  cr_assert_eq(eddy_pool_run(&pool, &run1, gate_task, NULL, done), 0);
  /* Deadlines count from the loop's cached clock: refresh it (starting a
   * thread can take milliseconds under TSan). */
  eddy_loop_update_time(&loop);
  uint64_t t0 = now_ms();
  cr_assert_eq(eddy_pool_run_deadline(&pool, &late, gate_task, NULL, done, 30), 0);
  while (ntimeout == 0) eddy_run(&loop, EDDY_RUN_ONCE);
  uint64_t took = now_ms() - t0;
  cr_assert_geq(took, 29);
  cr_assert_lt(took, 2000);
  cr_assert_eq(nok, 0, "reported while the thread is still busy");
  gate_open();
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(nok, 1);
  cr_assert_eq(gate_started(), 1);
  close_loop(&loop);
}

Test(pool, deadline_in_a_ring_is_checked_when_the_thread_gets_there) {
  time_limit(30);
  reset();
  eddy_pool_opts_t o = tight;
  o.concurrent_tasks = 2;
  init_pool(o);
  eddy_pool_task_t run1, ring2;
  cr_assert_eq(eddy_pool_run(&pool, &run1, gate_task, NULL, done), 0);
  cr_assert_eq(eddy_pool_run_deadline(&pool, &ring2, gate_task, NULL, done, 5), 0);
  gate_open_after(&loop, 40);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(ntimeout, 1);
  cr_assert_eq(gate_started(), 1);
  close_loop(&loop);
}

static eddy_timer_t probe;
static unsigned threads_seen;
static void look(eddy_timer_t *t) {
  eddy_pool_stats_t st;
  eddy_pool_stats(&pool, &st);
  threads_seen = st.threads;
}

Test(pool, idle_threads_above_min_exit) {
  time_limit(30);
  reset();
  init_pool((eddy_pool_opts_t){.min_threads = 1, .max_threads = 3,
                               .concurrent_tasks = 1, .idle_timeout_ms = 30});
  eddy_pool_task_t t[3];
  for (int i = 0; i < 3; i++)
    cr_assert_eq(eddy_pool_run(&pool, &t[i], gate_task, NULL, done), 0);
  eddy_pool_stats_t st;
  eddy_pool_stats(&pool, &st);
  cr_assert_eq(st.threads, 3);
  gate_open_after(&loop, 10);
  eddy_timer_init(&loop, &probe);
  eddy_timer_start(&probe, look, 300, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(ndone, 3);
  cr_assert_eq(threads_seen, 1, "shrunk to min_threads");
  close_loop(&loop);
}

Test(pool, close_finishes_queued_tasks_then_calls_back) {
  time_limit(30);
  reset();
  init_pool(tight);
  eddy_pool_task_t t[3];
  for (int i = 0; i < 3; i++)
    cr_assert_eq(eddy_pool_run(&pool, &t[i], gate_task, NULL, done), 0);
  cr_assert_eq(eddy_pool_close(&pool, on_close_cb), 0);
  cr_assert_eq(eddy_pool_run(&pool, &t[0], gate_task, NULL, done), EDDY_ECLOSED);
  cr_assert_eq(eddy_pool_close(&pool, on_close_cb), -EINVAL);
  gate_open_after(&loop, 10);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(nok, 3);
  cr_assert_eq(nclosed, 1);
  close_loop(&loop);
}

Test(pool, destroy_cancels_queued_and_waits_for_running) {
  time_limit(30);
  reset();
  init_pool(tight);
  eddy_pool_task_t t[3];
  for (int i = 0; i < 3; i++)
    cr_assert_eq(eddy_pool_run(&pool, &t[i], gate_task, NULL, done), 0);
  while (gate_started() == 0) eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(eddy_pool_destroy(&pool, on_close_cb), 0);
  cr_assert_eq(ncancel, 0);
  gate_open_after(&loop, 20);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(nok, 1, "the running task finished");
  cr_assert_eq(ncancel, 2);
  cr_assert_eq(nclosed, 1);
  close_loop(&loop);
}

Test(pool, plain_close_with_work_in_flight_leaks_nothing) {
  time_limit(30);
  reset();
  init_pool((eddy_pool_opts_t){.max_threads = 2});
  eddy_pool_task_t t[50];
  for (int i = 0; i < 50; i++)
    cr_assert_eq(eddy_pool_run(&pool, &t[i], square, (void *)2, done), 0);
  close_loop(&loop); /* eddy_close() on the pool: lets its threads go */
  cr_assert_leq(ndone, 50);
}

/* A task that sleeps 500 ms, saying when it starts and when it ends. */
static _Atomic int sleeper_started, sleeper_ended;
static int sleeps_500ms(void *arg, void **result) {
  atomic_store(&sleeper_started, 1);
  struct timespec ts = {0, 500 * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
  *result = arg;
  atomic_store(&sleeper_ended, 1);
  return 0;
}

Test(pool, plain_close_does_not_wait_for_a_running_task) {
  time_limit(30);
  reset();
  atomic_store(&sleeper_started, 0);
  atomic_store(&sleeper_ended, 0);
  init_pool((eddy_pool_opts_t){.max_threads = 1, .concurrent_tasks = 2});
  /* Heap tasks (running, next in the ring, in the queue), freed right
   * after the close: ASan fails the test if a pool thread touches one. */
  eddy_pool_task_t *t = calloc(3, sizeof(*t));
  cr_assert_eq(eddy_pool_run(&pool, &t[0], sleeps_500ms, NULL, done), 0);
  cr_assert_eq(eddy_pool_run(&pool, &t[1], square, (void *)3, done), 0);
  cr_assert_eq(eddy_pool_run(&pool, &t[2], square, (void *)4, done), 0);
  cr_assert_eq(eddy_pool_queue_size(&pool), 1);
  uint64_t t0 = now_ms();
  while (!atomic_load(&sleeper_started) && now_ms() - t0 < 2000)
    eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert(atomic_load(&sleeper_started));
  uint64_t t1 = now_ms();
  close_loop(&loop); /* eddy_close() on the pool, the close phase, leaks */
  uint64_t took = now_ms() - t1;
  cr_assert_lt(took, 250, "the loop waited %llu ms for a running task",
               (unsigned long long)took);
  cr_assert_eq(atomic_load(&sleeper_ended), 0, "still running after close");
  free(t);
  int got = ndone;
  /* The task ends on its own later: no done callback, no crash, no leak
   * once its thread is gone (the thread exits right after the task). */
  uint64_t t2 = now_ms();
  while (!atomic_load(&sleeper_ended) && now_ms() - t2 < 3000) {
    struct timespec ts = {0, 5 * 1000000L};
    nanosleep(&ts, NULL);
  }
  cr_assert(atomic_load(&sleeper_ended));
  struct timespec ts = {0, 100 * 1000000L};
  nanosleep(&ts, NULL);
  cr_assert_eq(ndone, got, "no done callback after the close");
  assert_no_leaks();
}

/* A task whose thread takes 600 ms to end once it leaves the pool. */
static int arms_slow_teardown(void *arg, void **result) {
  slow_teardown_arm(600);
  return 0;
}

static uint64_t probe_at;
static void look_when(eddy_timer_t *t) {
  look(t);
  probe_at = now_ms();
}

Test(pool, idle_shrink_does_not_wait_for_a_thread_to_end) {
  time_limit(30);
  reset();
  int base = slow_teardowns_done();
  init_pool((eddy_pool_opts_t){.max_threads = 1, .idle_timeout_ms = 20});
  eddy_pool_task_t t;
  cr_assert_eq(eddy_pool_run(&pool, &t, arms_slow_teardown, NULL, done), 0);
  eddy_timer_init(&loop, &probe);
  eddy_timer_start(&probe, look_when, 200, 0);
  threads_seen = 99;
  uint64_t t0 = now_ms();
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(nok, 1);
  cr_assert_eq(threads_seen, 0, "the idle thread was let go");
  cr_assert_lt(probe_at - t0, 450, "the loop was blocked: probe at %llu ms",
               (unsigned long long)(probe_at - t0));
  cr_assert_eq(slow_teardowns_done(), base, "its end was not waited for");
  eddy_pool_stats_t st;
  eddy_pool_stats(&pool, &st);
  cr_assert_gt(st.utilization, 0.0);
  cr_assert_eq(slow_teardowns_wait(base + 1, 3000), 0);
  close_loop(&loop);
}

Test(pool, idle_pool_does_not_keep_loop_alive) {
  time_limit(30);
  reset();
  init_pool((eddy_pool_opts_t){.min_threads = 2, .max_threads = 2});
  cr_assert_eq(eddy_run(&loop, EDDY_RUN_DEFAULT), 0);
  close_loop(&loop);
}

Test(pool, example_pool_sqrt) {
  time_limit(30);
  const char *dir = getenv("EDDY_EXAMPLES");
  cr_assert_not_null(dir, "EDDY_EXAMPLES is not set");
  char cmd[512], out[512];
  snprintf(cmd, sizeof(cmd), "%s/pool-sqrt 20000", dir);
  cr_assert_eq(run_command(cmd, out, sizeof(out)), 0, "output: %s", out);
  cr_assert_not_null(strstr(out, "n=20000 "), "%s", out);
  cr_assert_not_null(strstr(out, "sum=ok"), "%s", out);
  cr_assert_not_null(strstr(out, "tasks/s="), "%s", out);
}

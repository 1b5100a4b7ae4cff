/* Worker threads: ids, start data, exit codes, errors, terminate,
 * process.exit, utilization, and the examples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy/thread.h"
#include "support/loop_helpers.h"
#include "support/thread_helpers.h"

static eddy_loop_t loop;
static int exits, errors, exit_status, exit_code, error_code;

static void on_exit_cb(eddy_worker_t *w, int status, int code) {
  exits++;
  exit_status = status;
  exit_code = code;
  eddy_close((eddy_handle_t *)w, NULL);
}
static void on_error_cb(eddy_worker_t *w, int err) {
  errors++;
  error_code = err;
  cr_assert_eq(exits, 0, "error comes before exit");
}

static const eddy_worker_opts_t opts = {.on_exit = on_exit_cb,
                                        .on_error = on_error_cb};

static void start_and_run(eddy_worker_entry entry, const void *data, size_t len) {
  exits = errors = 0;
  exit_status = exit_code = error_code = 12345;
  eddy_worker_t w;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_worker_start(&loop, &w, entry, data, len, &opts), 0);
  cr_assert_neq(w.thread_id, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(exits, 1);
  close_loop(&loop);
}

static const void *sent_ptr;
/* Exit code 0 only if every identity and start-data property holds. */
static int check_identity(eddy_loop_t *l, void *data, size_t len, eddy_port_t *p) {
  if (eddy_is_main_thread() || eddy_thread_id() == 0) return 3;
  if (len != 6 || memcmp(data, "hello", 6) != 0 || data == sent_ptr) return 4;
  return 0;
}

Test(thread, worker_has_its_own_id_and_a_copy_of_start_data) {
  time_limit(30);
  cr_assert(eddy_is_main_thread());
  cr_assert_eq(eddy_thread_id(), 0);
  static const char hello[] = "hello";
  sent_ptr = hello;
  start_and_run(check_identity, hello, sizeof(hello));
  cr_assert_eq(exit_status, 0);
  cr_assert_eq(exit_code, 0);
}

static int returns_seven(eddy_loop_t *l, void *d, size_t n, eddy_port_t *p) { return 7; }
static int returns_error(eddy_loop_t *l, void *d, size_t n, eddy_port_t *p) { return -EIO; }

Test(thread, exit_code_and_error_reach_the_parent) {
  time_limit(30);
  start_and_run(returns_seven, NULL, 0);
  cr_assert_eq(exit_code, 7);
  cr_assert_eq(errors, 0);
  start_and_run(returns_error, NULL, 0);
  cr_assert_eq(errors, 1);
  cr_assert_eq(error_code, -EIO);
  cr_assert_eq(exit_code, 1);
}

static eddy_timer_t forever_timer; /* one worker at a time uses it */
static void tick(eddy_timer_t *t) {}
static int runs_forever(eddy_loop_t *l, void *d, size_t n, eddy_port_t *p) {
  eddy_timer_init(l, &forever_timer);
  eddy_timer_start(&forever_timer, tick, 1, 1);
  return 0;
}

static eddy_worker_t victim;
static void terminate_it(eddy_timer_t *t) {
  eddy_elu_t e = eddy_worker_utilization(&victim, NULL);
  cr_assert_gt(e.idle_ns + e.active_ns, 0, "utilization readable");
  cr_assert_eq(eddy_worker_terminate(&victim), 0);
  eddy_close((eddy_handle_t *)t, NULL);
}

Test(thread, terminate_stops_a_busy_loop_and_reports_it) {
  time_limit(30);
  exits = 0;
  eddy_timer_t t;
  eddy_worker_opts_t o = opts;
  o.delay_resolution_ms = 5;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_worker_start(&loop, &victim, runs_forever, NULL, 0, &o), 0);
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, terminate_it, 150, 0);
  eddy_unref((eddy_handle_t *)&victim);
  eddy_ref((eddy_handle_t *)&victim);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(exits, 1);
  cr_assert_eq(exit_status, EDDY_ETERMINATED);
  cr_assert_eq(exit_code, 1);
  close_loop(&loop);
}

static eddy_timer_t exit_timer;
static void exit_now(eddy_timer_t *t) { eddy_worker_exit(t->loop, 42); }
static int exits_from_a_callback(eddy_loop_t *l, void *d, size_t n, eddy_port_t *p) {
  eddy_timer_init(l, &exit_timer);
  eddy_timer_start(&exit_timer, exit_now, 5, 5);
  return 0;
}

Test(thread, worker_exit_ends_only_the_worker) {
  time_limit(30);
  cr_assert_eq(eddy_worker_exit(&loop, 1), -EINVAL, "not a worker's loop");
  start_and_run(exits_from_a_callback, NULL, 0);
  cr_assert_eq(exit_status, 0);
  cr_assert_eq(exit_code, 42);
}

Test(thread, closing_a_running_worker_lets_it_go) {
  time_limit(30);
  eddy_worker_t w;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_worker_start(&loop, &w, runs_forever, NULL, 0, NULL), 0);
  close_loop(&loop);
  struct timespec ts = {0, 50 * 1000000L}; /* let it wind down before exit */
  nanosleep(&ts, NULL);
}

/* The worker's thread takes 600 ms to end after its loop is done. */
static int slow_to_end(eddy_loop_t *l, void *d, size_t n, eddy_port_t *p) {
  slow_teardown_arm(600);
  return 5;
}

static int teardowns_at_exit;
static uint64_t exit_at;
static void on_exit_early(eddy_worker_t *w, int status, int code) {
  on_exit_cb(w, status, code);
  teardowns_at_exit = slow_teardowns_done();
  exit_at = now_ms();
}

Test(thread, exit_is_reported_without_waiting_for_the_thread_to_end) {
  time_limit(30);
  exits = 0;
  int base = slow_teardowns_done();
  eddy_worker_t w;
  eddy_worker_opts_t o = opts;
  o.on_exit = on_exit_early;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  uint64_t t0 = now_ms();
  cr_assert_eq(eddy_worker_start(&loop, &w, slow_to_end, NULL, 0, &o), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  uint64_t took = now_ms() - t0;
  cr_assert_eq(exits, 1);
  cr_assert_eq(exit_status, 0);
  cr_assert_eq(exit_code, 5);
  cr_assert_eq(teardowns_at_exit, base, "on_exit waited for the thread's end");
  cr_assert_lt(exit_at - t0, 450);
  cr_assert_lt(took, 450, "the loop was blocked for %llu ms",
               (unsigned long long)took);
  cr_assert_eq(slow_teardowns_wait(base + 1, 3000), 0);
  close_loop(&loop);
}

static void run_example(const char *name, const char *expect) {
  const char *dir = getenv("EDDY_EXAMPLES");
  cr_assert_not_null(dir, "EDDY_EXAMPLES is not set");
  char cmd[512], out[1024];
  snprintf(cmd, sizeof(cmd), "%s/%s", dir, name);
  cr_assert_eq(run_command(cmd, out, sizeof(out)), 0, "%s: %s", name, out);
  cr_assert_not_null(strstr(out, expect), "%s printed: %s", name, out);
}

Test(thread, example_worker_data) {
  time_limit(30);
  run_example("worker-data", "sum=55");
}
Test(thread, example_message_channel) {
  time_limit(30);
  run_example("message-channel", "closed the channel after 3 pongs");
}
Test(thread, example_shared_counter) {
  time_limit(30);
  run_example("shared-counter", "counter=400000 expected=400000");
}

/* Join (Promise.all): fs convenience, general slots, errors, zero slots,
 * and the two examples run as real processes. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eddy/fs.h"
#include "support/fs_helpers.h"
#include "support/loop_helpers.h"

static eddy_loop_t loop;
static eddy_join_t join;
static int join_calls;
static size_t settled_at_cb;

static void on_join(eddy_join_t *j) {
  join_calls++;
  settled_at_cb = j->settled;
}

static void setup(void) {
  bound_test_time(30);
  cr_assert_eq(eddy_loop_init(&loop), 0);
  join_calls = 0;
  scratch_dir();
}

static void teardown(void) {
  scratch_remove();
  close_loop(&loop);
}

TestSuite(join, .init = setup, .fini = teardown);

Test(join, read_files_all_succeed) {
  write_file_sync(scratch_path("a"), "alpha", 5);
  write_file_sync(scratch_path("b"), "", 0);
  write_file_sync(scratch_path("c"), "charlie!", 8);
  const char *paths[3] = {scratch_path("a"), scratch_path("b"),
                          scratch_path("c")};
  cr_assert_eq(eddy_join_init(&loop, &join, 3, on_join), 0);
  cr_assert_eq(eddy_join_read_files(&join, paths, 3), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(join_calls, 1);
  cr_assert_eq(settled_at_cb, 3);
  cr_assert_eq(join.error, 0);
  cr_assert_eq(join.error_index, -1);
  cr_assert_eq(join.slots[0].result, 5);
  cr_assert_eq(join.slots[1].result, 0);
  cr_assert_eq(join.slots[2].result, 8);
  cr_assert_str_eq(join.slots[0].fs->buf, "alpha");
  cr_assert_str_eq(join.slots[2].fs->buf, "charlie!");
  eddy_join_cleanup(&join);
  cr_assert_null(join.slots);
  eddy_join_cleanup(&join); /* idempotent */
}

Test(join, read_files_one_failure_fills_every_slot) {
  write_file_sync(scratch_path("a"), "alpha", 5);
  write_file_sync(scratch_path("c"), "c", 1);
  const char *paths[3] = {scratch_path("a"), scratch_path("missing"),
                          scratch_path("c")};
  cr_assert_eq(eddy_join_init(&loop, &join, 3, on_join), 0);
  cr_assert_eq(eddy_join_read_files(&join, paths, 3), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(join_calls, 1, "one callback despite the failure");
  cr_assert_eq(join.error, -ENOENT);
  cr_assert_eq(join.error_index, 1);
  for (int i = 0; i < 3; i++) cr_assert(join.slots[i].settled, "slot %d", i);
  cr_assert_eq(join.slots[0].result, 5);
  cr_assert_eq(join.slots[1].result, -ENOENT);
  cr_assert_eq(join.slots[2].result, 1);
  eddy_join_cleanup(&join);
}

/* A general join: pool work, an fs request and a timer report into it. */
static void sleep_work(eddy_work_t *w) { usleep(20 * 1000); }

static void timer_settles(eddy_timer_t *t) {
  cr_assert_eq(eddy_join_settle(t->data, 42), 0);
  cr_assert_eq(join_calls, 0, "the join callback is never inline");
  cr_assert_eq(eddy_join_settle(t->data, 7), -EALREADY);
}

Test(join, any_request_can_report_into_a_slot) {
  eddy_work_t work;
  eddy_fs_t stat_req;
  eddy_timer_t timer;
  cr_assert_eq(eddy_join_init(&loop, &join, 3, on_join), 0);
  work.data = eddy_join_slot(&join, 0);
  cr_assert_eq(eddy_queue_work(&loop, &work, sleep_work, eddy_join_work_cb),
               0);
  stat_req.data = eddy_join_slot(&join, 1);
  cr_assert_eq(eddy_fs_stat(&loop, &stat_req, "/", eddy_join_fs_cb), 0);
  eddy_timer_init(&loop, &timer);
  timer.data = eddy_join_slot(&join, 2);
  eddy_timer_start(&timer, timer_settles, 5, 0);
  cr_assert_null(eddy_join_slot(&join, 3));
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(join_calls, 1);
  cr_assert_eq(join.slots[0].result, 0);
  cr_assert_eq(join.slots[1].result, 0);
  cr_assert_eq(join.slots[2].result, 42);
  eddy_fs_req_cleanup(&stat_req);
  eddy_join_cleanup(&join);
  eddy_close((eddy_handle_t *)&timer, NULL); /* it lives on this stack */
  eddy_run(&loop, EDDY_RUN_DEFAULT);
}

Test(join, first_error_is_in_completion_order) {
  cr_assert_eq(eddy_join_init(&loop, &join, 3, on_join), 0);
  cr_assert_eq(eddy_join_settle(eddy_join_slot(&join, 2), -EACCES), 0);
  cr_assert_eq(eddy_join_settle(eddy_join_slot(&join, 0), -ENOENT), 0);
  cr_assert(eddy_loop_alive(&loop), "an unfinished join keeps the loop");
  cr_assert_eq(eddy_join_settle(eddy_join_slot(&join, 1), 9), 0);
  cr_assert_eq(join_calls, 0, "deferred, not inside settle");
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(join_calls, 1);
  cr_assert_eq(join.error, -EACCES);
  cr_assert_eq(join.error_index, 2);
  cr_assert_eq(join.slots[0].result, -ENOENT, "every result is kept");
  eddy_join_cleanup(&join);
}

Test(join, zero_slots_calls_back_once_later) {
  cr_assert_eq(eddy_join_init(&loop, &join, 0, on_join), 0);
  cr_assert_eq(join_calls, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(join_calls, 1);
  eddy_join_cleanup(&join);
}

Test(join, misuse_returns_einval) {
  const char *paths[2] = {"a", NULL};
  cr_assert_eq(eddy_join_init(&loop, &join, 1, NULL), -EINVAL);
  cr_assert_eq(eddy_join_init(NULL, &join, 1, on_join), -EINVAL);
  cr_assert_eq(eddy_join_settle(NULL, 0), -EINVAL);
  cr_assert_eq(eddy_join_init(&loop, &join, 1, on_join), 0);
  cr_assert_eq(eddy_join_read_files(&join, paths, 2), -EINVAL, "n > count");
  cr_assert_eq(eddy_join_read_files(&join, paths + 1, 1), -EINVAL, "NULL");
  cr_assert_eq(eddy_join_settle(eddy_join_slot(&join, 0), 1), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(join_calls, 1);
  eddy_join_cleanup(&join);
}

/* ------------------------------------------------------------ examples */

/* The examples' build directory: $EDDY_EXAMPLES, else beside tests/. */
static const char *examples_dir(void) {
  static char dir[PATH_MAX];
  const char *env = getenv("EDDY_EXAMPLES");
  if (env && *env) return env;
  ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 16);
  cr_assert_gt(n, 0);
  dir[n] = '\0';
  char *slash = strrchr(dir, '/');
  cr_assert_not_null(slash);
  snprintf(slash, 16, "/../examples");
  return dir;
}

static void bound(void) { bound_test_time(60); }
TestSuite(examples, .init = bound);

/* Runs an example with arguments, returns its exit status; output in out. */
static int run_example(const char *args, char *out, size_t cap) {
  char cmd[PATH_MAX + 128];
  snprintf(cmd, sizeof(cmd), "%s/%s 2>&1", examples_dir(), args);
  FILE *p = popen(cmd, "r");
  cr_assert_not_null(p, "%s", cmd);
  size_t len = fread(out, 1, cap - 1, p);
  out[len] = '\0';
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

Test(examples, parallel_read_prints_both_timings) {
  char out[4096];
  double serial, parallel;
  int rc = run_example("parallel-read", out, sizeof(out));
  cr_assert_eq(rc, 0, "exit %d, output:\n%s", rc, out);
  cr_assert_not_null(strstr(out, "users.json=11 keys, config.json=10 keys, "
                                 "routes.json=12 keys"), "%s", out);
  const char *s = strstr(out, "serial:   1000 iterations, ");
  const char *p = strstr(out, "parallel: 1000 iterations, ");
  cr_assert(s && p, "%s", out);
  cr_assert_eq(sscanf(s, "serial: %*d iterations, %lf us/iteration", &serial),
               1);
  cr_assert_eq(sscanf(p, "parallel: %*d iterations, %lf us/iteration",
                      &parallel), 1);
  cr_assert_gt(serial, 0);
  cr_assert_gt(parallel, 0);
  rc = run_example("parallel-read /nonexistent-dir 1", out, sizeof(out));
  cr_assert_eq(rc, 1, "a missing data dir is an error: %s", out);
}

Test(examples, blocking_loop_starves_the_timer_only_when_blocking) {
  char out[4096];
  long late[3];
  const char *names[3] = {"blocking  :", "immediates:", "pool      :"};
  int rc = run_example("blocking-loop 300", out, sizeof(out));
  cr_assert_eq(rc, 0, "exit %d, output:\n%s", rc, out);
  for (int i = 0; i < 3; i++) {
    const char *line = strstr(out, names[i]);
    cr_assert_not_null(line, "no '%s' line in:\n%s", names[i], out);
    cr_assert_eq(sscanf(line + strlen(names[i]),
                        " timer due at 100 ms fired %ld ms late", &late[i]),
                 1, "%s", line);
  }
  /* The spinning callback holds the loop for all 300 ms: the timer cannot
   * fire before it ends, so it is at least 200 ms late. */
  cr_assert_geq(late[0], 199, "%s", out);
  cr_assert_lt(late[1], late[0], "%s", out);
  cr_assert_lt(late[2], late[0], "%s", out);
}

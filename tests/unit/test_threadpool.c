/* Thread pool: completion thread, volume, cancellation, size, fork, slow
 * class, misuse, several loops at once. */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/threadpool.h"
#include "eddy/fs.h"
#include "support/fs_helpers.h"
#include "support/loop_helpers.h"

static eddy_loop_t loop;

static void bound(void) { bound_test_time(30); }
TestSuite(threadpool, .init = bound);

/* ---------------------------------------------------------- basics */

static pthread_t loop_thread;
static _Atomic int work_on_loop_thread, after_on_other_thread;
static int after_calls, statuses[64];

static void note_work(eddy_work_t *w) {
  if (pthread_equal(pthread_self(), loop_thread)) work_on_loop_thread++;
}

static void note_after(eddy_work_t *w, int status) {
  if (!pthread_equal(pthread_self(), loop_thread)) after_on_other_thread++;
  statuses[(intptr_t)w->data] = status;
  after_calls++;
}

Test(threadpool, after_work_runs_on_the_submitting_thread) {
  eddy_work_t w[16];
  cr_assert_eq(eddy_loop_init(&loop), 0);
  loop_thread = pthread_self();
  after_calls = 0;
  for (int i = 0; i < 16; i++) {
    w[i].data = (void *)(intptr_t)i;
    cr_assert_eq(eddy_queue_work(&loop, &w[i], note_work, note_after), 0);
    cr_assert_eq(w[i].loop, &loop);
  }
  cr_assert_eq(after_calls, 0, "no callback inside eddy_queue_work");
  cr_assert(eddy_loop_alive(&loop), "work in flight keeps the loop alive");
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(after_calls, 16);
  cr_assert_eq(work_on_loop_thread, 0, "work must run on pool threads");
  cr_assert_eq(after_on_other_thread, 0, "after_work must run on the loop");
  for (int i = 0; i < 16; i++) cr_assert_eq(statuses[i], 0);
  close_loop(&loop);
}

static int walked;
static void count_walk(eddy_handle_t *h, void *arg) { walked++; }

Test(threadpool, internal_wakeup_is_hidden_and_unreferenced) {
  eddy_work_t w;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  loop_thread = pthread_self();
  w.data = 0;
  cr_assert_eq(eddy_queue_work(&loop, &w, note_work, NULL), 0);
  cr_assert_eq(eddy_run(&loop, EDDY_RUN_DEFAULT), 0);
  walked = 0;
  eddy_loop_walk(&loop, count_walk, NULL);
  cr_assert_eq(walked, 0, "the completion async must not show in walk");
  cr_assert_not(eddy_loop_alive(&loop));
  close_loop(&loop);
}

static _Atomic long work_done_count;
static long after_count;

static void count_work(eddy_work_t *w) { work_done_count++; }
static void count_after(eddy_work_t *w, int status) {
  if (status == 0) after_count++;
}

Test(threadpool, hundred_thousand_tasks_all_complete) {
  enum { N = 100000 };
  eddy_work_t *w = calloc(N, sizeof(*w));
  cr_assert_eq(eddy_loop_init(&loop), 0);
  work_done_count = 0;
  after_count = 0;
  for (int i = 0; i < N; i++)
    cr_assert_eq(eddy_queue_work(&loop, &w[i], count_work, count_after), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(work_done_count, N);
  cr_assert_eq(after_count, N);
  free(w);
  close_loop(&loop);
}

/* ------------------------------------------------------ cancellation */

static int cancel_cb_calls;
static void cancel_after(eddy_work_t *w, int status) {
  statuses[(intptr_t)w->data] = status;
  cancel_cb_calls++;
}

static int never_ran;
static void must_not_run(eddy_work_t *w) { never_ran++; }

Test(threadpool, cancel_queued_work_and_busy_for_running) {
  unsigned n = eddy_threadpool_size();
  cr_assert_leq(n, 60);
  eddy_work_t blockers[64], queued;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cancel_cb_calls = 0;
  for (unsigned i = 0; i < n; i++) {
    blockers[i].data = (void *)(intptr_t)i;
    eddy_queue_work(&loop, &blockers[i], work_gate_work, cancel_after);
  }
  cr_assert_eq(work_gate_wait_started((int)n), (int)n, "every pool thread blocked");
  queued.data = (void *)(intptr_t)63;
  statuses[63] = 1;
  cr_assert_eq(eddy_queue_work(&loop, &queued, must_not_run, cancel_after), 0);
  cr_assert_eq(eddy_cancel(&queued), 0);
  cr_assert_eq(cancel_cb_calls, 0, "the cancelled callback is not inline");
  cr_assert_eq(eddy_cancel(&queued), -EBUSY, "cancelled twice");
  cr_assert_eq(eddy_cancel(&blockers[0]), -EBUSY, "running work");
  work_gate_open();
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(cancel_cb_calls, (int)n + 1);
  cr_assert_eq(statuses[63], -ECANCELED);
  cr_assert_eq(never_ran, 0);
  for (unsigned i = 0; i < n; i++) cr_assert_eq(statuses[i], 0);
  cr_assert_eq(eddy_cancel(&blockers[0]), -EBUSY, "finished work");
  close_loop(&loop);
}

Test(threadpool, misuse_returns_einval_and_calls_nothing) {
  eddy_work_t w;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cancel_cb_calls = 0;
  cr_assert_eq(eddy_queue_work(&loop, &w, NULL, cancel_after), -EINVAL);
  cr_assert_eq(eddy_queue_work(NULL, &w, count_work, cancel_after), -EINVAL);
  cr_assert_eq(eddy_queue_work(&loop, NULL, count_work, cancel_after),
               -EINVAL);
  cr_assert_eq(eddy_cancel(NULL), -EINVAL);
  cr_assert_not(eddy_loop_alive(&loop));
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(cancel_cb_calls, 0);
  close_loop(&loop);
}

/* ------------------------------------------------------ pool size */

/* With EDDY_THREADPOOL_SIZE=k, exactly k blocking tasks run at once. */
static void check_concurrency(unsigned k) {
  eddy_work_t *w = calloc(k + 1, sizeof(*w));
  cr_assert_eq(eddy_loop_init(&loop), 0);
  for (unsigned i = 0; i <= k; i++) {
    w[i].data = (void *)(intptr_t)i;
    eddy_queue_work(&loop, &w[i], work_gate_work, NULL);
  }
  cr_assert_eq(work_gate_wait_started((int)k), (int)k);
  usleep(50 * 1000);
  cr_assert_eq(work_gate_started(), (int)k, "task %u of %u must wait", k + 1, k);
  cr_assert_eq(eddy_cancel(&w[k]), 0, "the extra task is still queued");
  work_gate_open();
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  free(w);
  close_loop(&loop);
}

Test(threadpool, size_from_environment) {
  setenv("EDDY_THREADPOOL_SIZE", "3", 1);
  cr_assert_eq(eddy_threadpool_size(), 3);
  check_concurrency(3);
}

Test(threadpool, size_zero_clamps_to_one) {
  setenv("EDDY_THREADPOOL_SIZE", "0", 1);
  cr_assert_eq(eddy_threadpool_size(), 1);
  check_concurrency(1);
}

Test(threadpool, size_garbage_gives_default) {
  setenv("EDDY_THREADPOOL_SIZE", "lots", 1);
  cr_assert_eq(eddy_threadpool_size(), 4);
  check_concurrency(4);
}

/* Threads of this process, from /proc. */
static int count_threads(void) {
  DIR *d = opendir("/proc/self/task");
  int n = 0;
  if (d == NULL) return -1;
  for (struct dirent *e; (e = readdir(d)) != NULL;)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

/* --------------------------------------------------------- slow class */

static int fast_done;
static void fast_after(eddy_work_t *w, int status) {
  fast_done++;
  work_gate_open(); /* file I/O got through while DNS was stuck: release it */
}

Test(threadpool, slow_work_uses_at_most_half_the_threads) {
  setenv("EDDY_THREADPOOL_SIZE", "4", 1);
  eddy_work_t slow[4], fast;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  for (int i = 0; i < 4; i++) {
    slow[i].data = (void *)(intptr_t)i;
    cr_assert_eq(eddy__queue_work_class(&loop, &slow[i], work_gate_work,
                                        cancel_after, EDDY__WORK_SLOW), 0);
  }
  cr_assert_eq(work_gate_wait_started(2), 2);
  usleep(50 * 1000);
  cr_assert_eq(work_gate_started(), 2, "slow work may hold only half the pool");
  fast.data = NULL;
  cr_assert_eq(eddy_queue_work(&loop, &fast, count_work, fast_after), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(fast_done, 1);
  cr_assert_eq(work_gate_started(), 4);
  close_loop(&loop);
}

/* ---------------------------------------------------------------- fork */

static int child_after_calls;
static void child_after(eddy_work_t *w, int status) {
  if (status == 0) child_after_calls++;
}

/*
 * Runs in the child: the pool starts afresh there, reading the environment
 * again (so this also checks the clamp to 1024 threads), then a fresh loop
 * runs one task. Exit status 0 if all went right.
 */
static int child_main(void) {
  eddy_loop_t l;
  eddy_work_t w;
  alarm(20); /* a hung child must not outlive the test */
  setenv("EDDY_THREADPOOL_SIZE", "100000", 1);
  int before = count_threads();
  if (eddy_threadpool_size() != 1024) return 6;
  if (count_threads() - before != 1024) return 7;
  if (eddy_loop_init(&l)) return 2;
  if (eddy_queue_work(&l, &w, count_work, child_after)) return 3;
  eddy_run(&l, EDDY_RUN_DEFAULT);
  if (eddy_loop_close(&l)) return 4;
  return child_after_calls == 1 ? 0 : 5;
}

Test(threadpool, fork_then_submit_in_child_completes) {
  eddy_work_t w, all[64];
  unsigned n = eddy_threadpool_size();
  cr_assert_eq(eddy_loop_init(&loop), 0);
  /* Occupy every pool thread once, so that none is still starting up (and
   * holding the sanitizer allocator's locks, which ASan does not reset in
   * a forked child) when we fork. */
  for (unsigned i = 0; i < n && i < 64; i++)
    eddy_queue_work(&loop, &all[i], work_gate_work, NULL);
  cr_assert_eq(work_gate_wait_started((int)n), (int)n);
  work_gate_open();
  child_after_calls = 0;
  cr_assert_eq(eddy_queue_work(&loop, &w, count_work, child_after), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT); /* the pool is running in the parent */
  cr_assert_eq(child_after_calls, 1);
  child_after_calls = 0;
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) _exit(child_main());
  int st;
  cr_assert_eq(waitpid(pid, &st, 0), pid);
  cr_assert(WIFEXITED(st), "child killed by signal %d", WTERMSIG(st));
  cr_assert_eq(WEXITSTATUS(st), 0, "child failed at step %d",
               WEXITSTATUS(st));
  /* The parent's pool still works after the fork. */
  cr_assert_eq(eddy_queue_work(&loop, &w, count_work, child_after), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(child_after_calls, 1);
  close_loop(&loop);
}

/* -------------------------------------------------- two loops at once */

typedef struct {
  pthread_t self;
  eddy_loop_t loop;
  eddy_work_t w[2000];
  int ok, wrong_thread, wrong_loop, close_rc;
} looper_t;

static void looper_after(eddy_work_t *w, int status) {
  looper_t *l = w->data;
  if (!pthread_equal(pthread_self(), l->self)) l->wrong_thread++;
  if (w->loop != &l->loop) l->wrong_loop++;
  if (status == 0) l->ok++;
}

static void *looper(void *arg) {
  looper_t *l = arg;
  l->self = pthread_self();
  if (eddy_loop_init(&l->loop)) return NULL;
  for (int i = 0; i < 2000; i++) {
    l->w[i].data = l;
    eddy_queue_work(&l->loop, &l->w[i], count_work, looper_after);
  }
  eddy_run(&l->loop, EDDY_RUN_DEFAULT);
  l->close_rc = eddy_loop_close(&l->loop);
  return NULL;
}

Test(threadpool, two_loops_in_two_threads) {
  static looper_t a, b;
  pthread_t ta, tb;
  work_done_count = 0;
  cr_assert_eq(pthread_create(&ta, NULL, looper, &a), 0);
  cr_assert_eq(pthread_create(&tb, NULL, looper, &b), 0);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  cr_assert_eq(a.ok, 2000);
  cr_assert_eq(b.ok, 2000);
  cr_assert_eq(a.wrong_thread + b.wrong_thread, 0);
  cr_assert_eq(a.wrong_loop + b.wrong_loop, 0);
  cr_assert_eq(a.close_rc, 0);
  cr_assert_eq(b.close_rc, 0);
  cr_assert_eq(work_done_count, 4000);
  assert_no_leaks();
}

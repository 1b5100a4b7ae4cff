/* Async handles: wake-ups from other threads, coalescing, close. */
#include <pthread.h>

#include "support/loop_helpers.h"

static eddy_loop_t loop;

/* A suite-wide timeout: Criterion's per-test .timeout leaks in its runner. */
TestSuite(async, .timeout = 30);
static eddy_async_t async;
static _Atomic long sends_done;
static long callbacks;

#define THREADS 8
#define SENDS 100000

static void *sender(void *arg) {
  for (int i = 0; i < SENDS; i++) eddy_async_send(&async);
  atomic_fetch_add(&sends_done, SENDS);
  eddy_async_send(&async); /* the last one after the count is visible */
  return NULL;
}

static void on_async(eddy_async_t *a) {
  callbacks++;
  if (atomic_load(&sends_done) == (long)THREADS * SENDS)
    eddy_close(EDDY_HANDLE(a), NULL);
}

Test(async, many_threads_coalesce) {
  pthread_t t[THREADS];
  cr_assert_eq(eddy_loop_init(&loop), 0);
  callbacks = 0;
  atomic_store(&sends_done, 0);
  cr_assert_eq(eddy_async_init(&loop, &async, on_async), 0);
  for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, sender, NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
  cr_assert_geq(callbacks, 1);
  cr_assert_leq(callbacks, (long)THREADS * SENDS + THREADS);
  cr_log_info("%ld callbacks for %d sends", callbacks, THREADS * SENDS);
  close_loop(&loop);
}

static int count;
static void bump(eddy_async_t *a) { count++; }

Test(async, sends_before_run_give_one_callback) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  count = 0;
  eddy_async_init(&loop, &async, bump);
  for (int i = 0; i < 10; i++) eddy_async_send(&async);
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(count, 1);
  eddy_async_send(&async);
  eddy_close(EDDY_HANDLE(&async), NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(count, 1, "a closed async's pending send is dropped");
  close_loop(&loop);
}

Test(async, unref_lets_loop_exit) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_async_init(&loop, &async, bump);
  cr_assert_eq(eddy_async_init(&loop, &async, NULL), -EINVAL);
  eddy_unref(EDDY_HANDLE(&async));
  cr_assert_eq(eddy_run(&loop, EDDY_RUN_DEFAULT), 0);
  close_loop(&loop);
}

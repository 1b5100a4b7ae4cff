/* Shared memory: reference counts, bounds, Atomics.wait/notify with a
 * timeout across real threads. */
#include <pthread.h>

#include "eddy/thread.h"
#include "support/loop_helpers.h"
#include "support/thread_helpers.h"

Test(shared, block_is_zeroed_bounded_and_refcounted) {
  time_limit(30);
  eddy_shared_t *sh;
  cr_assert_eq(eddy_shared_create(0, &sh), -EINVAL);
  cr_assert_eq(eddy_shared_create(10, &sh), 0);
  cr_assert_eq(eddy_shared_size(sh), 10);
  cr_assert_eq(((uintptr_t)eddy_shared_data(sh)) % 64, 0);
  cr_assert_not_null(eddy_shared_i32(sh, 1));
  cr_assert_null(eddy_shared_i32(sh, 2), "cell 2 would end at byte 12 > 10");
  cr_assert_eq(atomic_load(eddy_shared_i32(sh, 0)), 0);
  cr_assert_eq(eddy_shared_ref(sh), sh);
  eddy_shared_unref(sh);
  cr_assert_eq(atomic_load(eddy_shared_i32(sh, 1)), 0, "still alive");
  eddy_shared_unref(sh);
  assert_no_leaks();
}

Test(shared, wait_times_out_and_not_equal_returns_at_once) {
  time_limit(30);
  eddy_shared_t *sh;
  cr_assert_eq(eddy_shared_create(4, &sh), 0);
  _Atomic int32_t *c = eddy_shared_i32(sh, 0);
  uint64_t t0 = now_ms();
  cr_assert_eq(eddy_atomic_wait(c, 0, 30), -ETIMEDOUT);
  cr_assert_geq(now_ms() - t0, 29);
  cr_assert_eq(eddy_atomic_wait(c, 5, 1000), -EAGAIN);
  cr_assert_eq(eddy_atomic_wait(c, 0, 0), -ETIMEDOUT);
  cr_assert_eq(eddy_atomic_notify(c, -1), 0, "nobody waits");
  eddy_shared_unref(sh);
  assert_no_leaks();
}

static void *bump_later(void *arg) {
  _Atomic int32_t *c = arg;
  struct timespec ts = {0, 20 * 1000000L};
  nanosleep(&ts, NULL);
  atomic_store(c, 1);
  while (eddy_atomic_notify(c, 1) == 0) nanosleep(&ts, NULL);
  return NULL;
}

Test(shared, notify_from_another_thread_wakes_the_waiter) {
  time_limit(30);
  eddy_shared_t *sh;
  pthread_t th;
  cr_assert_eq(eddy_shared_create(4, &sh), 0);
  _Atomic int32_t *c = eddy_shared_i32(sh, 0);
  cr_assert_eq(pthread_create(&th, NULL, bump_later, (void *)c), 0);
  uint64_t t0 = now_ms();
  int r;
  while ((r = eddy_atomic_wait(c, 0, 5000)) == 0 && atomic_load(c) == 0) {
  }
  cr_assert(r == 0 || r == -EAGAIN, "woken, not timed out: %d", r);
  cr_assert_eq(atomic_load(c), 1);
  cr_assert_lt(now_ms() - t0, 4000);
  pthread_join(th, NULL);
  eddy_shared_unref(sh);
  assert_no_leaks();
}

/*
 * The busy-wait before sleeping (eddy_loop_set_spin): it follows an async
 * wake-up, it ends by itself, and it never delays a socket or a timer.
 */
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "eddy/threadpool.h"
#include "support/loop_helpers.h"

TestSuite(spin, .timeout = 30);

static eddy_loop_t loop;
static eddy_async_t async;
static uint64_t fired_ms;

static uint64_t thread_cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void *send_later(void *arg) {
  usleep(5000);
  eddy_async_send(&async);
  return NULL;
}

static void on_async(eddy_async_t *a) {}
static void on_timer(eddy_timer_t *t) { fired_ms = now_ms(); }

/* The loop has been woken by another thread, so its next poll spins. */
static void wake_from_thread(void) {
  pthread_t th;
  cr_assert_eq(eddy_async_init(&loop, &async, on_async), 0);
  pthread_create(&th, NULL, send_later, NULL);
  eddy_run(&loop, EDDY_RUN_ONCE);
  pthread_join(th, NULL);
}

Test(spin, an_idle_loop_spins_once_then_sleeps) {
  eddy_timer_t t;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_loop_set_spin(&loop, 20 * 1000000u); /* 20 ms, to be measurable */
  wake_from_thread();
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, on_timer, 300, 0);
  uint64_t cpu0 = thread_cpu_ms(), t0 = now_ms();
  eddy_unref(EDDY_HANDLE(&async));
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  uint64_t cpu = thread_cpu_ms() - cpu0, wall = now_ms() - t0;
  cr_assert_geq(wall, 295);
  /* One spin of 20 ms at most, then sleep: far from the 300 ms of a loop
   * that kept spinning. */
  cr_assert_lt(cpu, 150, "spent %llu ms of CPU in %llu ms",
               (unsigned long long)cpu, (unsigned long long)wall);
  close_loop(&loop);
}

Test(spin, a_timer_is_not_delayed_by_the_spin) {
  eddy_timer_t t;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_loop_set_spin(&loop, 2000 * 1000000u); /* 2 s */
  wake_from_thread();
  eddy_timer_init(&loop, &t);
  uint64_t t0 = now_ms();
  eddy_timer_start(&t, on_timer, 30, 0);
  eddy_unref(EDDY_HANDLE(&async));
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_lt(fired_ms - t0, 1000, "timer of 30 ms fired after %llu ms",
               (unsigned long long)(fired_ms - t0));
  close_loop(&loop);
}

static int fds[2];
static eddy_io_t io;
static uint64_t read_ms;

static void *write_later(void *arg) {
  usleep(30000);
  cr_assert_eq(write(fds[1], "x", 1), 1);
  return NULL;
}

static void on_readable(eddy_io_t *w, unsigned events) {
  char c;
  cr_assert_eq(read(w->fd, &c, 1), 1);
  read_ms = now_ms();
  eddy_io_stop(w);
}

Test(spin, a_socket_is_not_delayed_by_the_spin) {
  pthread_t th;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_loop_set_spin(&loop, 2000 * 1000000u); /* 2 s */
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  wake_from_thread();
  eddy_io_init(&loop, &io, fds[0], on_readable);
  eddy_io_start(&io, EDDY_READABLE);
  eddy_unref(EDDY_HANDLE(&async));
  uint64_t t0 = now_ms();
  pthread_create(&th, NULL, write_later, NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  pthread_join(th, NULL);
  cr_assert_lt(read_ms - t0, 1000, "read after %llu ms",
               (unsigned long long)(read_ms - t0));
  close_loop(&loop);
  close(fds[0]);
  close(fds[1]);
}

Test(spin, zero_disables) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_loop_set_spin(&loop, 0);
  wake_from_thread();
  eddy_timer_t t;
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, on_timer, 100, 0);
  eddy_unref(EDDY_HANDLE(&async));
  uint64_t cpu0 = thread_cpu_ms();
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_lt(thread_cpu_ms() - cpu0, 50);
  close_loop(&loop);
}

static void noop_work(eddy_work_t *w) {}

Test(spin, thread_pool_completions_do_not_arm_it) {
  eddy_work_t w;
  eddy_timer_t t;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_loop_set_spin(&loop, 2000 * 1000000u); /* 2 s, if it were armed */
  cr_assert_eq(eddy_queue_work(&loop, &w, noop_work, NULL), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT); /* the completion wakes the loop */
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, on_timer, 200, 0);
  uint64_t cpu0 = thread_cpu_ms();
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_lt(thread_cpu_ms() - cpu0, 100, "the loop spun after a completion");
  close_loop(&loop);
}

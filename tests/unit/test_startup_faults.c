/* Start-up failure paths of workers, pools and ports, reached by fault
 * injection (src/core/fault.h): a pool whose threads cannot start, a
 * worker whose port or delay monitor cannot start, a port closed by the
 * callback of its last message after the peer left. */
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "eddy/pool.h"
#include "eddy/thread.h"
#include "support/loop_helpers.h"
#include "support/thread_helpers.h"

static eddy_loop_t loop;

/* eddy_pool_init failed at its second thread: it returns the error and
 * leaves nothing in the loop that refers to the caller's struct (it used
 * to queue the pool for close, whose close phase then read the struct
 * after the caller had freed it). The thread that did start ends. */
Test(startup_faults, pool_init_failure_leaves_nothing_behind) {
  time_limit(30);
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_pool_t *pool = malloc(sizeof(*pool));
  eddy_pool_opts_t o = {.min_threads = 3, .max_threads = 3};
  eddy__fault_arm("pool.thread", 1, 1);
  cr_assert_eq(eddy_pool_init(&loop, pool, &o), -EAGAIN);
  memset(pool, 0xa5, sizeof(*pool));
  free(pool); /* ASan: any later use of it is a use-after-free */
  cr_assert_eq(eddy_run(&loop, EDDY_RUN_DEFAULT), 0);
  /* The loop is usable, and a pool inits again once threads start. */
  eddy_pool_t again;
  cr_assert_eq(eddy_pool_init(&loop, &again, &o), 0);
  cr_assert_eq(eddy_pool_close(&again, NULL), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  close_loop(&loop);
}

static int exits, exit_code;
static void on_exit_cb(eddy_worker_t *w, int status, int code) {
  exits++;
  exit_code = code;
  eddy_close((eddy_handle_t *)w, NULL);
}

static int entered;
static int returns_five(eddy_loop_t *l, void *d, size_t n, eddy_port_t *p) {
  entered = 1;
  return 5;
}

static void run_worker_with_delay(void) {
  exits = entered = 0;
  exit_code = -1;
  eddy_worker_t w;
  eddy_worker_opts_t o = {.on_exit = on_exit_cb, .delay_resolution_ms = 5};
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_worker_start(&loop, &w, returns_five, NULL, 0, &o), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(exits, 1);
  close_loop(&loop);
}

/* The worker's own port cannot open: the worker ends with code 1 before
 * its entry and its wind-down does not read the delay timer it never set
 * up (it published from an uninitialised timer: a wild pointer). */
Test(startup_faults, worker_port_failure_exits_cleanly) {
  time_limit(30);
  eddy__fault_arm("worker.port", 0, 1);
  run_worker_with_delay();
  cr_assert_eq(entered, 0);
  cr_assert_eq(exit_code, 1);
}

/* The delay monitor cannot start: the worker runs as usual, unmeasured. */
Test(startup_faults, worker_delay_failure_still_runs_the_worker) {
  time_limit(30);
  eddy__fault_arm("worker.delay", 0, 1);
  run_worker_with_delay();
  cr_assert_eq(entered, 1);
  cr_assert_eq(exit_code, 5);
}

static int calls_after_close, closed_it;
static void close_on_message(eddy_port_t *port, int status, eddy_message_t *msg) {
  if (closed_it) calls_after_close++;
  if (msg) eddy_message_free(msg);
  closed_it = 1;
  eddy_close((eddy_handle_t *)port, NULL);
}

/* The peer posted and left; the callback of the last message closes the
 * port. The port's callback is never called again (it was called once
 * more with EDDY_ECLOSED, after the close). */
Test(startup_faults, no_port_callback_after_close) {
  time_limit(30);
  calls_after_close = closed_it = 0;
  eddy_port_end_t *a, *b;
  eddy_port_t pa, pb;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_channel_create(&a, &b), 0);
  cr_assert_eq(eddy_port_open(&loop, &pa, a), 0);
  cr_assert_eq(eddy_port_open(&loop, &pb, b), 0);
  cr_assert_eq(eddy_port_post(&pa, "x", 1), 0);
  eddy_close((eddy_handle_t *)&pa, NULL);
  cr_assert_eq(eddy_port_start(&pb, close_on_message), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(closed_it, 1);
  cr_assert_eq(calls_after_close, 0);
  close_loop(&loop);
}

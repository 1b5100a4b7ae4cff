/*
 * Stress, bounded to about a second each (seeded, so a failure replays):
 * - workers started, posted to (copies and transfers), made to exit,
 *   terminated and closed at random while they echo;
 * - pools made and ended at random (close, destroy, plain eddy_close)
 *   while tasks run, fail, get cancelled and time out.
 * The loop must end with nothing left (close_loop checks leaks), and
 * `make tsan` runs both under ThreadSanitizer.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy/pool.h"
#include "eddy/thread.h"
#include "support/loop_helpers.h"

TestSuite(thread_stress, .timeout = 60);

#define STRESS_NS 1000000000ull

static eddy_loop_t loop;
static eddy_timer_t tick;
static uint64_t t_end;

/* Runs `fn` every millisecond for STRESS_NS (it stops the timer itself
 * when eddy_hrtime() passes t_end), then until the loop has no work. */
static void run_ticks(unsigned seed, eddy_timer_cb fn) {
  srand(seed);
  cr_assert_eq(eddy_loop_init(&loop), 0);
  t_end = eddy_hrtime() + STRESS_NS;
  eddy_timer_init(&loop, &tick);
  eddy_timer_start(&tick, fn, 1, 1);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
}

/* ------------------------------------------------------------- workers */

#define NW 4
static eddy_worker_t w[NW];
static int live[NW];
static long posts, replies, exits;

static void echo(eddy_port_t *port, int status, eddy_message_t *msg) {
  if (status) {
    eddy_close((eddy_handle_t *)port, NULL);
    return;
  }
  unsigned r = (unsigned)msg->len * 2654435761u;
  if (msg->len && ((char *)msg->data)[0] == 'x') {
    eddy_worker_exit(port->loop, 7);
  } else if (r & 1024u) {
    eddy_port_post(port, msg->data, msg->len);
  } else {
    void *b = malloc(msg->len);
    memcpy(b, msg->data, msg->len);
    if (eddy_port_post_transfer(port, b, msg->len)) free(b);
  }
  eddy_message_free(msg);
}

static int entry(eddy_loop_t *l, void *d, size_t n, eddy_port_t *parent) {
  return eddy_port_start(parent, echo);
}

static void on_reply(eddy_port_t *p, int status, eddy_message_t *m) {
  if (m) replies++;
  eddy_message_free(m);
}

static void worker_closed(eddy_handle_t *h) { live[(int)(intptr_t)h->data] = 0; }

static void on_worker_exit(eddy_worker_t *wk, int status, int code) {
  exits++;
  if (!eddy_is_closing((eddy_handle_t *)wk))
    eddy_close((eddy_handle_t *)wk, worker_closed);
}

static void start_worker(int i) {
  eddy_worker_opts_t o = {.on_exit = on_worker_exit};
  if (eddy_worker_start(&loop, &w[i], entry, "d", 1, &o) != 0) return;
  w[i].data = (void *)(intptr_t)i;
  live[i] = 1;
  eddy_port_start(&w[i].port, on_reply);
}

static void poke_worker(int i) {
  char msg[64];
  int r = rand() % 100;
  memset(msg, 'a' + i, sizeof(msg));
  if (r < 80) {
    for (int k = 0; k < 20; k++)
      posts += eddy_port_post(&w[i].port, msg, 1 + (size_t)(rand() % 64)) == 0;
  } else if (r < 88) {
    eddy_worker_terminate(&w[i]);
  } else if (r < 94) {
    msg[0] = 'x';
    eddy_port_post(&w[i].port, msg, 1);
  } else {
    eddy_close((eddy_handle_t *)&w[i], worker_closed);
  }
}

static void worker_tick(eddy_timer_t *t) {
  for (int i = 0; i < NW; i++) {
    if (!live[i]) start_worker(i);
    else if (!eddy_is_closing((eddy_handle_t *)&w[i])) poke_worker(i);
  }
  if (eddy_hrtime() < t_end) return;
  eddy_timer_stop(t);
  for (int i = 0; i < NW; i++)
    if (live[i] && !eddy_is_closing((eddy_handle_t *)&w[i]))
      eddy_close((eddy_handle_t *)&w[i], worker_closed);
}

Test(thread_stress, workers_come_and_go_while_messages_fly) {
  run_ticks(42, worker_tick);
  cr_log_info("posts %ld replies %ld exits %ld", posts, replies, exits);
  cr_assert_gt(replies, 1000);
  cr_assert_gt(exits, 50);
  close_loop(&loop);
}

/* --------------------------------------------------------------- pools */

#define NT 256
static eddy_pool_t *pool;
static eddy_pool_task_t *tasks[NT];
static eddy_pool_t *owner[NT];
static long ran, done_cbs, npools;
static _Atomic long in_fn;

static int work(void *arg, void **res) {
  atomic_fetch_add(&in_fn, 1);
  uintptr_t n = (uintptr_t)arg;
  if (n % 50 == 0) usleep(200);
  *res = arg;
  atomic_fetch_sub(&in_fn, 1);
  return n % 20 == 0 ? -EIO : 0;
}

static void task_done(eddy_pool_task_t *t, int status, void *r) {
  done_cbs++;
  for (int i = 0; i < NT; i++) {
    if (tasks[i] != t) continue;
    tasks[i] = NULL;
    free(t);
    return;
  }
  cr_assert_fail("done for a task that is not in flight");
}

/* After close or destroy every done has run; after a plain eddy_close none
 * will: that pool's tasks are ours again. */
static void pool_closed(eddy_handle_t *h) {
  for (int i = 0; i < NT; i++) {
    if (!tasks[i] || owner[i] != (eddy_pool_t *)h) continue;
    free(tasks[i]);
    tasks[i] = NULL;
  }
  free(h);
}

static void new_pool(void) {
  pool = malloc(sizeof(*pool));
  eddy_pool_opts_t o = {.max_threads = 1 + (unsigned)(rand() % 3),
                        .max_queue = rand() % 2 ? 0 : 16,
                        .concurrent_tasks = 1 + (unsigned)(rand() % 8),
                        .idle_timeout_ms = 5};
  cr_assert_eq(eddy_pool_init(&loop, pool, &o), 0);
  npools++;
}

static void submit(int i) {
  eddy_pool_task_t *task = malloc(sizeof(*task));
  void *arg = (void *)(uintptr_t)rand();
  int r = rand() % 3 ? eddy_pool_run(pool, task, work, arg, task_done)
                     : eddy_pool_run_deadline(pool, task, work, arg, task_done,
                                              (uint64_t)(rand() % 3));
  if (r == 0) {
    tasks[i] = task;
    owner[i] = pool;
    ran++;
    return;
  }
  cr_assert(r == EDDY_EQUEUEFULL, "run: %s", eddy_strerror(r));
  free(task);
}

static void end_pool(int how) {
  if (how == 0) eddy_pool_close(pool, pool_closed);
  else if (how == 1) eddy_pool_destroy(pool, pool_closed);
  else eddy_close((eddy_handle_t *)pool, pool_closed);
  pool = NULL;
}

static void pool_tick(eddy_timer_t *t) {
  if (!pool) new_pool();
  for (int k = 0; k < 40; k++) {
    int i = rand() % NT;
    if (!tasks[i]) submit(i);
    else if (rand() % 4 == 0) eddy_pool_cancel(tasks[i]);
  }
  int r = rand() % 100;
  if (r < 9) end_pool(r / 3);
  if (eddy_hrtime() < t_end) return;
  eddy_timer_stop(t);
  if (pool) end_pool(1);
}

Test(thread_stress, pools_end_every_way_while_tasks_run) {
  run_ticks(7, pool_tick);
  cr_log_info("pools %ld ran %ld done %ld", npools, ran, done_cbs);
  cr_assert_gt(npools, 20);
  cr_assert_gt(done_cbs, 1000);
  close_loop(&loop);
  /* Threads of plain-closed pools finish their running task on their own. */
  for (int i = 0; i < 2000 && atomic_load(&in_fn); i++) usleep(1000);
  usleep(20000);
  assert_no_leaks();
}

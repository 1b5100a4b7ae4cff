/* Resource pool: min/max, FIFO borrowers, acquire timeout, bounded queue,
 * async and synchronous factory operations, create and validation failures,
 * idle eviction, destroy on release, cancel, drain, close, statistics. */
#include <stdlib.h>

#include "eddy/respool.h"
#include "support/loop_helpers.h"

TestSuite(respool, .timeout = 30);

static eddy_loop_t loop;
static eddy_respool_t pool;

/* A fake resource: an id and the immediate its destroy ends on. */
typedef struct {
  int id;
  int valid;
  eddy_respool_res_t link;
  eddy_immediate_t gone;
} thing_t;

/* A create that ends after create_delay ms (0: inside the call). */
typedef struct {
  eddy_timer_t timer;
  eddy_respool_op_t *op;
} later_t;

static int next_id, ncreate, ndestroy, nvalidate, create_delay, create_status;
static int invalid_id; /* validate fails for this id */
static int order[64], norder, statuses[64], nstatus, ndrain, nclose;

static void reset(void) {
  next_id = ncreate = ndestroy = nvalidate = create_delay = create_status = 0;
  invalid_id = -1;
  norder = nstatus = ndrain = nclose = 0;
}

static thing_t *thing_of(eddy_respool_res_t *res) {
  return EDDY_CONTAINER_OF(res, thing_t, link);
}

static void finish_create(eddy_respool_op_t *op) {
  if (create_status) {
    eddy_respool_done(op, create_status, NULL);
    return;
  }
  thing_t *t = calloc(1, sizeof *t);
  t->id = ++next_id;
  t->valid = 1;
  eddy_respool_done(op, 0, &t->link);
}

static void free_later(eddy_handle_t *h) { free(h->data); }

static void on_later(eddy_timer_t *timer) {
  later_t *l = timer->data;
  finish_create(l->op);
  eddy_close(EDDY_HANDLE(timer), free_later);
}

static void fake_create(eddy_respool_t *p, eddy_respool_op_t *op) {
  ncreate++;
  if (!create_delay) {
    finish_create(op);
    return;
  }
  later_t *l = calloc(1, sizeof *l);
  l->op = op;
  eddy_timer_init(p->loop, &l->timer);
  l->timer.data = l;
  eddy_timer_start(&l->timer, on_later, (uint64_t)create_delay, 0);
}

static void on_gone(eddy_immediate_t *imm) {
  thing_t *t = imm->data;
  eddy_respool_done(&t->link._op, 0, NULL);
  free(t); /* allowed: a destroy's end is taken inside done() */
}

static void fake_destroy(eddy_respool_t *p, eddy_respool_op_t *op) {
  thing_t *t = thing_of(op->res);
  ndestroy++;
  eddy_immediate_init(p->loop, &t->gone);
  t->gone.data = t;
  eddy_immediate_start(&t->gone, on_gone);
}

static void fake_validate(eddy_respool_t *p, eddy_respool_op_t *op) {
  nvalidate++;
  eddy_respool_done(op, thing_of(op->res)->id == invalid_id ? -EPIPE : 0, NULL);
}

static const eddy_respool_factory_t factory = {fake_create, fake_destroy,
                                               fake_validate};

static eddy_respool_res_t *got[64];

static void on_acquired(eddy_respool_acquire_t *req, int status,
                        eddy_respool_res_t *res) {
  int i = (int)(intptr_t)req->data;
  statuses[nstatus++] = status;
  if (status == 0) {
    order[norder++] = i;
    got[i] = res;
  }
}

static void start(eddy_respool_opts_t o) {
  reset();
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_respool_init(&loop, &pool, &factory, &o), 0);
}

static void acquire(eddy_respool_acquire_t *req, int i) {
  req->data = (void *)(intptr_t)i;
  cr_assert_eq(eddy_respool_acquire(&pool, req, on_acquired), 0);
}

static void on_closed(eddy_respool_t *p) { nclose++; }
static void on_drained(eddy_respool_t *p) { ndrain++; }

static eddy_respool_stats_t stats(void) {
  eddy_respool_stats_t s;
  eddy_respool_stats(&pool, &s);
  return s;
}

/* Closes the pool, checks every resource was destroyed, closes the loop. */
static void finish(void) {
  cr_assert_eq(eddy_respool_close(&pool, on_closed), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(nclose, 1);
  cr_assert_eq(stats().created, stats().destroyed,
               "every resource made was destroyed");
  close_loop(&loop);
}

Test(respool, min_is_made_after_init_not_inside_it) {
  start((eddy_respool_opts_t){.min = 2, .max = 4});
  cr_assert_eq(ncreate, 0, "no factory call inside init");
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_respool_stats_t s = stats();
  cr_assert_eq(s.size, 2);
  cr_assert_eq(s.available, 2);
  cr_assert_eq(s.borrowed, 0);
  finish();
}

Test(respool, max_bounds_size_and_borrowers_are_served_in_order) {
  start((eddy_respool_opts_t){.max = 2});
  eddy_respool_acquire_t r[5];
  for (int i = 0; i < 5; i++) acquire(&r[i], i);
  cr_assert_eq(nstatus, 0, "callbacks never run inside acquire");
  cr_assert_eq(stats().pending, 5);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(norder, 2);
  eddy_respool_stats_t s = stats();
  cr_assert_eq(s.size, 2);
  cr_assert_eq(s.borrowed, 2);
  cr_assert_eq(s.pending, 3);
  cr_assert_eq(s.available, 0);
  for (int k = 0; k < 5; k++) {
    cr_assert_eq(eddy_respool_release(&pool, got[order[k]]), 0);
    eddy_run(&loop, EDDY_RUN_DEFAULT);
  }
  cr_assert_eq(norder, 5);
  for (int i = 0; i < 5; i++) cr_assert_eq(order[i], i, "FIFO at %d", i);
  cr_assert_eq(ncreate, 2, "never more than max");
  finish();
}

Test(respool, queued_borrower_times_out) {
  start((eddy_respool_opts_t){.max = 1, .acquire_timeout_ms = 30});
  eddy_respool_acquire_t a, b;
  acquire(&a, 0);
  acquire(&b, 1);
  uint64_t t0 = now_ms();
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_geq(now_ms() - t0, 29);
  cr_assert_eq(nstatus, 2);
  cr_assert_eq(statuses[0], 0);
  cr_assert_eq(statuses[1], -ETIMEDOUT);
  cr_assert_eq(stats().timed_out, 1);
  cr_assert_eq(stats().pending, 0);
  eddy_respool_release(&pool, got[0]);
  finish();
}

Test(respool, full_queue_is_refused_synchronously) {
  start((eddy_respool_opts_t){.max = 1, .max_waiting = 2});
  eddy_respool_acquire_t r[3];
  acquire(&r[0], 0);
  acquire(&r[1], 1);
  r[2].data = (void *)2;
  cr_assert_eq(eddy_respool_acquire(&pool, &r[2], on_acquired), EDDY_EQUEUEFULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(nstatus, 1, "the refused request never gets a callback");
  cr_assert_eq(eddy_respool_cancel(&r[1]), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(statuses[1], -ECANCELED);
  eddy_respool_release(&pool, got[0]);
  finish();
}

Test(respool, async_create_failure_reaches_the_borrower) {
  start((eddy_respool_opts_t){.min = 1, .max = 2});
  create_delay = 5;
  create_status = -ECONNREFUSED;
  eddy_respool_acquire_t a;
  acquire(&a, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(nstatus, 1);
  cr_assert_eq(statuses[0], -ECONNREFUSED);
  eddy_respool_stats_t s = stats();
  cr_assert_eq(s.size, 0);
  cr_assert_geq(s.create_failed, 1);
  cr_assert_leq(ncreate, 2, "a failing factory is not retried in a loop");
  cr_assert_eq(ndestroy, 0);
  cr_assert_eq(eddy_respool_close(&pool, on_closed), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(nclose, 1);
  close_loop(&loop);
}

Test(respool, async_create_then_lend) {
  start((eddy_respool_opts_t){.max = 3});
  create_delay = 10;
  eddy_respool_acquire_t r[3];
  for (int i = 0; i < 3; i++) acquire(&r[i], i);
  cr_assert_eq(stats().creating, 0, "creates start after the call");
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(stats().creating, 3);
  cr_assert_eq(stats().size, 3);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(norder, 3);
  for (int i = 0; i < 3; i++) eddy_respool_release(&pool, got[i]);
  finish();
}

Test(respool, failed_validation_destroys_and_replaces) {
  start((eddy_respool_opts_t){.max = 2, .validate_on_borrow = 1});
  eddy_respool_acquire_t a, b;
  acquire(&a, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(thing_of(got[0])->id, 1);
  cr_assert_eq(nvalidate, 0, "a fresh resource is not validated");
  eddy_respool_release(&pool, got[0]);
  invalid_id = 1;
  acquire(&b, 1);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(nvalidate, 1);
  cr_assert_eq(ndestroy, 1, "the invalid one was destroyed");
  cr_assert_eq(norder, 2);
  cr_assert_eq(thing_of(got[1])->id, 2, "the borrower got a new one");
  eddy_respool_release(&pool, got[1]);
  finish();
}

Test(respool, validation_on_return) {
  start((eddy_respool_opts_t){.max = 2, .validate_on_return = 1});
  eddy_respool_acquire_t a;
  acquire(&a, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  invalid_id = 1;
  eddy_respool_release(&pool, got[0]);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(nvalidate, 1);
  cr_assert_eq(ndestroy, 1);
  cr_assert_eq(stats().size, 0);
  finish();
}

static void noop_timer(eddy_timer_t *t) {}

static void sleep_loop(uint64_t ms) {
  eddy_timer_t t;
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, noop_timer, ms, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_close(EDDY_HANDLE(&t), NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
}

Test(respool, idle_resources_above_min_are_evicted) {
  start((eddy_respool_opts_t){.min = 1, .max = 3, .idle_timeout_ms = 20});
  eddy_respool_acquire_t r[3];
  for (int i = 0; i < 3; i++) acquire(&r[i], i);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  for (int i = 0; i < 3; i++) eddy_respool_release(&pool, got[i]);
  cr_assert_eq(stats().available, 3);
  sleep_loop(60);
  eddy_respool_stats_t s = stats();
  cr_assert_eq(s.size, 1, "min is kept");
  cr_assert_eq(s.destroyed, 2);
  finish();
}

Test(respool, most_recently_used_is_lent_first_unless_fifo) {
  for (int fifo = 0; fifo < 2; fifo++) {
    start((eddy_respool_opts_t){.max = 2, .fifo = fifo});
    eddy_respool_acquire_t r[3];
    acquire(&r[0], 0);
    acquire(&r[1], 1);
    eddy_run(&loop, EDDY_RUN_DEFAULT);
    eddy_respool_release(&pool, got[0]);
    eddy_respool_release(&pool, got[1]); /* newest */
    int newest = thing_of(got[1])->id, oldest = thing_of(got[0])->id;
    acquire(&r[2], 2);
    eddy_run(&loop, EDDY_RUN_DEFAULT);
    cr_assert_eq(thing_of(got[2])->id, fifo ? oldest : newest);
    eddy_respool_release(&pool, got[2]);
    finish();
  }
}

Test(respool, destroy_instead_of_release_and_of_an_idle_one) {
  start((eddy_respool_opts_t){.max = 2});
  eddy_respool_acquire_t a, b;
  acquire(&a, 0);
  acquire(&b, 1);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(eddy_respool_destroy(&pool, got[0]), 0);
  cr_assert_eq(eddy_respool_release(&pool, got[1]), 0);
  cr_assert_eq(eddy_respool_release(&pool, got[1]), -EINVAL, "not lent now");
  cr_assert_eq(eddy_respool_destroy(&pool, got[1]), 0, "idle may be destroyed");
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_respool_stats_t s = stats();
  cr_assert_eq(s.size, 0);
  cr_assert_eq(s.destroyed, 2);
  cr_assert_eq(s.available, 0);
  finish();
}

Test(respool, try_acquire_takes_an_idle_one_at_once) {
  start((eddy_respool_opts_t){.max = 1});
  eddy_respool_res_t *res = NULL;
  cr_assert_eq(eddy_respool_try_acquire(&pool, &res), -EAGAIN);
  eddy_respool_acquire_t a;
  acquire(&a, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_respool_release(&pool, got[0]);
  cr_assert_eq(eddy_respool_try_acquire(&pool, &res), 0);
  cr_assert_eq(res, got[0]);
  cr_assert_eq(stats().borrowed, 1);
  eddy_respool_release(&pool, res);
  finish();
}

Test(respool, drain_waits_for_borrowed_then_close_destroys_all) {
  start((eddy_respool_opts_t){.max = 2});
  eddy_respool_acquire_t r[3];
  for (int i = 0; i < 3; i++) acquire(&r[i], i);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(eddy_respool_drain(&pool, on_drained), 0);
  eddy_respool_acquire_t late;
  cr_assert_eq(eddy_respool_acquire(&pool, &late, on_acquired), EDDY_ECLOSED);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(ndrain, 0, "two borrowed, one queued");
  eddy_respool_release(&pool, got[0]);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(norder, 3, "the queued borrower is still served");
  eddy_respool_release(&pool, got[1]);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(ndrain, 0);
  eddy_respool_release(&pool, got[2]);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(ndrain, 1);
  finish();
  cr_assert_eq(ndestroy, 2);
}

Test(respool, close_cancels_queued_and_waits_for_borrowed) {
  start((eddy_respool_opts_t){.max = 1});
  eddy_respool_acquire_t a, b;
  acquire(&a, 0);
  acquire(&b, 1);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(eddy_respool_close(&pool, on_closed), 0);
  cr_assert_eq(eddy_respool_close(&pool, on_closed), -EALREADY);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(statuses[1], -ECANCELED);
  cr_assert_eq(nclose, 0, "one resource is still borrowed");
  cr_assert_eq(ndestroy, 0);
  eddy_respool_release(&pool, got[0]);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(ndestroy, 1);
  cr_assert_eq(nclose, 1);
  close_loop(&loop);
}

Test(respool, cancel_answers_once_and_bad_calls_are_refused) {
  start((eddy_respool_opts_t){.max = 1});
  eddy_respool_acquire_t a, b;
  acquire(&a, 0);
  acquire(&b, 1);
  cr_assert_eq(eddy_respool_cancel(&b), 0);
  cr_assert_eq(eddy_respool_cancel(&b), -EINVAL);
  cr_assert_eq(nstatus, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(nstatus, 2);
  cr_assert_eq(norder, 1);
  cr_assert_eq(order[0], 0);
  cr_assert(statuses[0] == -ECANCELED || statuses[1] == -ECANCELED);
  eddy_respool_factory_t bad = {NULL, fake_destroy, NULL};
  eddy_respool_t other;
  cr_assert_eq(eddy_respool_init(&loop, &other, &bad, NULL), -EINVAL);
  eddy_respool_opts_t o = {.min = 3, .max = 2};
  cr_assert_eq(eddy_respool_init(&loop, &other, &factory, &o), -EINVAL);
  eddy_respool_release(&pool, got[0]);
  finish();
}

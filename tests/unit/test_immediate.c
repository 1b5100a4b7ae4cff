/* Immediates: FIFO order, queued-during-check waits, clear, misuse. */
#include <stdlib.h>

#include "support/loop_helpers.h"

static eddy_loop_t loop;
static int order[16], n;
static eddy_immediate_t imms[4];

static void rec(eddy_immediate_t *i) { order[n++] = (int)(intptr_t)i->data; }

Test(immediate, run_in_fifo_order) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  n = 0;
  for (int i = 0; i < 4; i++) {
    eddy_immediate_init(&loop, &imms[i]);
    imms[i].data = (void *)(intptr_t)i;
    cr_assert_eq(eddy_immediate_start(&imms[i], rec), 0);
  }
  cr_assert_eq(eddy_immediate_start(&imms[0], rec), -EALREADY);
  eddy_immediate_stop(&imms[2]); /* clearImmediate */
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(n, 3);
  cr_assert_eq(order[0], 0);
  cr_assert_eq(order[1], 1);
  cr_assert_eq(order[2], 3);
  close_loop(&loop);
}

static int iterations_seen;
static void requeue(eddy_immediate_t *i) {
  rec(i);
  if (n < 3) cr_assert_eq(eddy_immediate_start(i, requeue), 0);
}

Test(immediate, queued_during_check_waits_for_next_iteration) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  n = 0;
  eddy_immediate_init(&loop, &imms[0]);
  eddy_immediate_start(&imms[0], requeue);
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(n, 1);
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(n, 2);
  iterations_seen = n;
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(n, 3);
  close_loop(&loop);
}

Test(immediate, misuse_and_unref) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  n = 0;
  eddy_immediate_init(&loop, &imms[0]);
  cr_assert_eq(eddy_immediate_start(&imms[0], NULL), -EINVAL);
  cr_assert_eq(eddy_immediate_queued(&imms[0]), 0);
  eddy_immediate_start(&imms[0], rec);
  cr_assert(eddy_loop_alive(&loop));
  eddy_immediate_unref(&imms[0]);
  cr_assert_not(eddy_loop_alive(&loop), "an unref'd immediate does not keep the loop alive");
  eddy_immediate_ref(&imms[0]);
  cr_assert(eddy_loop_alive(&loop));
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(n, 1);
  cr_assert_not(eddy_loop_alive(&loop));
  close_loop(&loop);
}

static void free_self(eddy_immediate_t *i) {
  n++;
  free(i); /* an immediate's memory is the user's once its callback runs */
}

Test(immediate, may_be_freed_in_its_callback) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  n = 0;
  for (int i = 0; i < 10; i++) {
    eddy_immediate_t *imm = malloc(sizeof(*imm));
    eddy_immediate_init(&loop, imm);
    eddy_immediate_start(imm, free_self);
  }
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(n, 10);
  close_loop(&loop);
}

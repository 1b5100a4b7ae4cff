/*
 * shared-counter: four workers each add 1 to a shared counter 100,000 times
 * with atomics, then bump a "finished" cell and notify it. The main thread
 * sleeps on that cell (Atomics.wait) until all four are done, then checks
 * the counter.
 */
#include <stdio.h>
#include <string.h>

#include "eddy/thread.h"

#define WORKERS 4
#define ADDS 100000

static int entry(eddy_loop_t *loop, void *data, size_t len,
                 eddy_port_t *parent) {
  eddy_shared_t *sh;
  memcpy(&sh, data, sizeof(sh));
  _Atomic int32_t *counter = eddy_shared_i32(sh, 0),
                  *finished = eddy_shared_i32(sh, 1);
  for (int i = 0; i < ADDS; i++) atomic_fetch_add(counter, 1);
  atomic_fetch_add(finished, 1);
  eddy_atomic_notify(finished, -1);
  eddy_shared_unref(sh); /* the parent took a reference for us */
  return 0;
}

static void on_exit_cb(eddy_worker_t *w, int status, int code) {
  eddy_close((eddy_handle_t *)w, NULL);
}

int main(void) {
  eddy_loop_t loop;
  eddy_worker_t w[WORKERS];
  eddy_shared_t *sh;
  eddy_worker_opts_t opts = {.on_exit = on_exit_cb};
  eddy_loop_init(&loop);
  if (eddy_shared_create(2 * sizeof(int32_t), &sh) != 0) return 1;
  for (int i = 0; i < WORKERS; i++) {
    eddy_shared_t *ref = eddy_shared_ref(sh);
    if (eddy_worker_start(&loop, &w[i], entry, &ref, sizeof(ref), &opts) != 0)
      return 1;
  }
  _Atomic int32_t *finished = eddy_shared_i32(sh, 1);
  int32_t seen;
  while ((seen = atomic_load(finished)) < WORKERS)
    eddy_atomic_wait(finished, seen, 5000);
  int32_t total = atomic_load(eddy_shared_i32(sh, 0));
  printf("counter=%d expected=%d\n", total, WORKERS * ADDS);
  eddy_run(&loop, EDDY_RUN_DEFAULT); /* collect the exits */
  eddy_shared_unref(sh);
  return eddy_loop_close(&loop) == 0 && total == WORKERS * ADDS ? 0 : 1;
}

/*
 * worker-data: starts a worker with start data (Node's workerData); the
 * worker sums the numbers it was given and posts the sum to its parent,
 * which prints it and the worker's exit code.
 */
#include <stdio.h>
#include <string.h>

#include "eddy/thread.h"

static int entry(eddy_loop_t *loop, void *data, size_t len,
                 eddy_port_t *parent) {
  const int *v = data;
  long sum = 0;
  for (size_t i = 0; i < len / sizeof(int); i++) sum += v[i];
  eddy_port_post(parent, &sum, sizeof(sum));
  return 0; /* no started handle: the worker ends, exit code 0 */
}

static void on_message(eddy_port_t *port, int status, eddy_message_t *msg) {
  if (status == 0) {
    long sum;
    memcpy(&sum, msg->data, sizeof(sum));
    printf("worker says: sum=%ld\n", sum);
  }
  eddy_message_free(msg);
}

static void on_exit_cb(eddy_worker_t *w, int status, int code) {
  printf("worker %llu exited: status=%d code=%d\n",
         (unsigned long long)w->thread_id, status, code);
  eddy_close((eddy_handle_t *)w, NULL);
}

int main(void) {
  eddy_loop_t loop;
  eddy_worker_t w;
  int data[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  eddy_worker_opts_t opts = {.name = "summer", .on_exit = on_exit_cb};
  eddy_loop_init(&loop);
  if (eddy_worker_start(&loop, &w, entry, data, sizeof(data), &opts) != 0)
    return 1;
  eddy_port_start(&w.port, on_message);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  return eddy_loop_close(&loop) == 0 ? 0 : 1;
}

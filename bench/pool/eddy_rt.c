/*
 * Message round trip main -> worker -> main over eddy ports, one message in
 * flight at a time. `eddy_rt [ROUNDS] [nospin]`: nospin turns the loops'
 * busy-wait before sleeping off (eddy_loop_set_spin 0) in both threads.
 * Prints "rounds= us/round=".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/thread.h"

static long rounds, done;
static int nospin;
static uint64_t t0;

static void echo(eddy_port_t *port, int status, eddy_message_t *msg) {
  if (status) {
    eddy_close((eddy_handle_t *)port, NULL);
    return;
  }
  eddy_port_post(port, msg->data, msg->len);
  eddy_message_free(msg);
}

static int entry(eddy_loop_t *loop, void *data, size_t len, eddy_port_t *parent) {
  if (nospin) eddy_loop_set_spin(loop, 0);
  return eddy_port_start(parent, echo);
}

static void on_reply(eddy_port_t *port, int status, eddy_message_t *msg) {
  eddy_message_free(msg);
  if (status) return;
  if (++done < rounds) {
    eddy_port_post(port, &done, sizeof(done));
    return;
  }
  double us = (double)(eddy_hrtime() - t0) / 1e3 / (double)rounds;
  printf("rounds=%ld us/round=%.2f\n", rounds, us);
  eddy_close((eddy_handle_t *)port, NULL);
}

static void on_exit_cb(eddy_worker_t *w, int status, int code) {
  eddy_close((eddy_handle_t *)w, NULL);
}

int main(int argc, char **argv) {
  rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
  eddy_loop_t loop;
  eddy_worker_t w;
  eddy_worker_opts_t o = {.on_exit = on_exit_cb};
  nospin = argc > 2 && strcmp(argv[2], "nospin") == 0;
  eddy_loop_init(&loop);
  if (nospin) eddy_loop_set_spin(&loop, 0);
  if (eddy_worker_start(&loop, &w, entry, NULL, 0, &o)) return 1;
  eddy_port_start(&w.port, on_reply);
  t0 = eddy_hrtime();
  eddy_port_post(&w.port, &done, sizeof(done));
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  return eddy_loop_close(&loop) == 0 ? 0 : 1;
}

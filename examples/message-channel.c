/*
 * message-channel: a channel made on the main thread; one endpoint goes to
 * a worker in its start data. The main thread sends "ping 1".."ping 3"; the
 * worker answers each with "pong N" and closes its end after the third,
 * which the main thread sees as EDDY_ECLOSED.
 */
#include <stdio.h>
#include <string.h>

#include "eddy/thread.h"

static int pongs;

static void worker_on_message(eddy_port_t *port, int status,
                              eddy_message_t *msg) {
  if (status == 0) {
    char reply[32];
    int n = 0;
    sscanf(msg->data, "ping %d", &n);
    int len = snprintf(reply, sizeof(reply), "pong %d", n);
    eddy_port_post(port, reply, (size_t)len + 1);
    if (n == 3) eddy_close((eddy_handle_t *)port, NULL);
  }
  eddy_message_free(msg);
}

static eddy_port_t worker_port; /* one worker: a static is enough */

static int entry(eddy_loop_t *loop, void *data, size_t len,
                 eddy_port_t *parent) {
  eddy_port_end_t *end;
  memcpy(&end, data, sizeof(end)); /* the endpoint travelled in start data */
  if (eddy_port_open(loop, &worker_port, end) != 0) return -1;
  eddy_port_start(&worker_port, worker_on_message);
  return 0;
}

static void main_on_message(eddy_port_t *port, int status,
                            eddy_message_t *msg) {
  if (status == EDDY_ECLOSED) {
    printf("main: worker closed the channel after %d pongs\n", pongs);
    eddy_close((eddy_handle_t *)port, NULL);
    return;
  }
  printf("main got: %s\n", (char *)msg->data);
  pongs++;
  eddy_message_free(msg);
}

static void on_exit_cb(eddy_worker_t *w, int status, int code) {
  eddy_close((eddy_handle_t *)w, NULL);
}

int main(void) {
  eddy_loop_t loop;
  eddy_worker_t w;
  eddy_port_t port;
  eddy_port_end_t *mine, *theirs;
  eddy_worker_opts_t opts = {.on_exit = on_exit_cb};
  eddy_loop_init(&loop);
  eddy_channel_create(&mine, &theirs);
  eddy_port_open(&loop, &port, mine);
  eddy_port_start(&port, main_on_message);
  if (eddy_worker_start(&loop, &w, entry, &theirs, sizeof(theirs), &opts) != 0)
    return 1;
  for (int i = 1; i <= 3; i++) {
    char ping[32];
    int len = snprintf(ping, sizeof(ping), "ping %d", i);
    eddy_port_post(&port, ping, (size_t)len + 1);
  }
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  return eddy_loop_close(&loop) == 0 && pongs == 3 ? 0 : 1;
}

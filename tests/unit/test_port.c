/* Message ports: order and integrity across threads, copy vs transfer, a
 * port sent through a port, synchronous receive, close notification. */
#include <stdlib.h>
#include <string.h>

#include "eddy/thread.h"
#include "support/loop_helpers.h"
#include "support/thread_helpers.h"

#define N 20000

static eddy_loop_t loop;
static int got, closed_seen, bad_order, closed_before_all;
static void *last_data;

static void reset(void) { got = closed_seen = bad_order = closed_before_all = 0; }

/* Posts N numbered messages, each with a payload derived from its number. */
static int sender(eddy_loop_t *l, void *data, size_t len, eddy_port_t *parent) {
  for (uint32_t i = 0; i < N; i++) {
    uint32_t buf[16];
    for (int k = 0; k < 16; k++) buf[k] = i * 31u + (uint32_t)k;
    if (eddy_port_post(parent, buf, sizeof(buf)) != 0) return -EIO;
  }
  return 0;
}

static void check_numbered(eddy_port_t *port, int status, eddy_message_t *msg) {
  if (status == EDDY_ECLOSED) {
    closed_seen++;
    if (got != N) closed_before_all = 1;
    return;
  }
  const uint32_t *b = msg->data;
  if (msg->len != 64) bad_order++;
  for (int k = 0; k < 16; k++)
    if (b[k] != (uint32_t)got * 31u + (uint32_t)k) bad_order++;
  got++;
  eddy_message_free(msg);
}

static void close_on_exit(eddy_worker_t *w, int status, int code) {
  eddy_close((eddy_handle_t *)w, NULL);
}

Test(port, messages_arrive_in_order_and_intact_across_threads) {
  time_limit(30);
  reset();
  eddy_worker_t w;
  eddy_worker_opts_t o = {.on_exit = close_on_exit};
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_worker_start(&loop, &w, sender, NULL, 0, &o), 0);
  cr_assert_eq(eddy_port_start(&w.port, check_numbered), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(got, N);
  cr_assert_eq(bad_order, 0);
  cr_assert_leq(closed_seen, 1);
  cr_assert_eq(closed_before_all, 0, "closed is told after every message");
  close_loop(&loop);
}

static void keep(eddy_port_t *port, int status, eddy_message_t *msg) {
  if (status == EDDY_ECLOSED) {
    closed_seen++;
    eddy_close((eddy_handle_t *)port, NULL);
    return;
  }
  got++;
  last_data = msg->data;
  eddy_message_free(msg);
}

Test(port, post_copies_and_transfer_moves_the_buffer) {
  time_limit(30);
  reset();
  eddy_port_end_t *a, *b;
  eddy_port_t pa, pb;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_channel_create(&a, &b), 0);
  cr_assert_eq(eddy_port_open(&loop, &pa, a), 0);
  cr_assert_eq(eddy_port_open(&loop, &pb, b), 0);
  char text[] = "original";
  cr_assert_eq(eddy_port_post(&pa, text, sizeof(text)), 0);
  memcpy(text, "changed!", 9); /* after post: the receiver has its own copy */
  eddy_message_t *m;
  cr_assert_eq(eddy_port_receive(&pb, &m), 0);
  cr_assert_str_eq(m->data, "original");
  cr_assert_neq(m->data, text);
  eddy_message_free(m);
  char *heap = malloc(100);
  memcpy(heap, "moved", 6);
  cr_assert_eq(eddy_port_post_transfer(&pa, heap, 100), 0);
  cr_assert_eq(eddy_port_receive(&pb, &m), 0);
  cr_assert_eq(m->data, heap, "transfer gives the same buffer, no copy");
  cr_assert_eq(m->len, 100);
  cr_assert_str_eq(m->data, "moved");
  eddy_message_free(m); /* frees `heap`: ASan would report a leak otherwise */
  cr_assert_eq(eddy_port_receive(&pb, &m), -EAGAIN);
  eddy_close((eddy_handle_t *)&pa, NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(eddy_port_receive(&pb, &m), EDDY_ECLOSED);
  cr_assert_eq(eddy_port_post(&pb, "x", 1), EDDY_ECLOSED);
  char *kept = malloc(8);
  cr_assert_eq(eddy_port_post_transfer(&pb, kept, 8), EDDY_ECLOSED);
  free(kept); /* a failed transfer leaves the buffer with the sender */
  close_loop(&loop);
}

Test(port, messages_wait_until_start_and_close_is_told_after_them) {
  time_limit(30);
  reset();
  eddy_port_end_t *a, *b;
  eddy_port_t pb;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_channel_create(&a, &b), 0);
  cr_assert_eq(eddy_port_open(&loop, &pb, b), 0);
  eddy_port_t pa;
  cr_assert_eq(eddy_port_open(&loop, &pa, a), 0);
  for (int i = 0; i < 3; i++) cr_assert_eq(eddy_port_post(&pa, &i, sizeof(i)), 0);
  eddy_close((eddy_handle_t *)&pa, NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(got, 0, "not started: nothing delivered");
  cr_assert_eq(eddy_port_start(&pb, keep), 0);
  cr_assert_eq(got, 0, "never inside start()");
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(got, 3);
  cr_assert_eq(closed_seen, 1);
  close_loop(&loop);
}

/* The worker gets endpoint B2 through its parent port and answers on it. */
static eddy_port_t relay;
static void worker_got_port(eddy_port_t *port, int status, eddy_message_t *msg) {
  if (status) return;
  if (msg->port && eddy_port_open(port->loop, &relay, msg->port) == 0) {
    msg->port = NULL;
    eddy_port_post(&relay, "via B", 6);
    eddy_close((eddy_handle_t *)&relay, NULL);
  }
  eddy_message_free(msg);
  eddy_close((eddy_handle_t *)port, NULL);
}

static int port_receiver(eddy_loop_t *l, void *data, size_t len, eddy_port_t *parent) {
  return eddy_port_start(parent, worker_got_port);
}

static char via[16];
static void on_b1(eddy_port_t *port, int status, eddy_message_t *msg) {
  if (status == EDDY_ECLOSED) {
    closed_seen++;
    eddy_close((eddy_handle_t *)port, NULL);
    return;
  }
  memcpy(via, msg->data, msg->len < sizeof(via) ? msg->len : sizeof(via) - 1);
  eddy_message_free(msg);
}

Test(port, a_port_sent_through_a_port_works_on_the_other_thread) {
  time_limit(30);
  reset();
  eddy_worker_t w;
  eddy_port_t b1;
  eddy_port_end_t *e1, *e2;
  eddy_worker_opts_t o = {.on_exit = close_on_exit};
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_channel_create(&e1, &e2), 0);
  cr_assert_eq(eddy_port_open(&loop, &b1, e1), 0);
  cr_assert_eq(eddy_port_start(&b1, on_b1), 0);
  cr_assert_eq(eddy_worker_start(&loop, &w, port_receiver, NULL, 0, &o), 0);
  cr_assert_eq(eddy_port_post_port(&w.port, e1, NULL, 0), -EINVAL, "open end");
  cr_assert_eq(eddy_port_post_port(&w.port, e2, "p", 1), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_str_eq(via, "via B");
  cr_assert_eq(closed_seen, 1);
  close_loop(&loop);
}

Test(port, unopened_endpoint_in_a_freed_message_is_released) {
  time_limit(30);
  eddy_port_end_t *a, *b, *c, *d;
  eddy_port_t pa, pb;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_channel_create(&a, &b), 0);
  cr_assert_eq(eddy_channel_create(&c, &d), 0);
  cr_assert_eq(eddy_port_open(&loop, &pa, a), 0);
  cr_assert_eq(eddy_port_open(&loop, &pb, b), 0);
  cr_assert_eq(eddy_port_post_port(&pa, c, NULL, 0), 0);
  eddy_port_t pd;
  cr_assert_eq(eddy_port_open(&loop, &pd, d), 0);
  eddy_message_t *m;
  cr_assert_eq(eddy_port_receive(&pb, &m), 0);
  cr_assert_eq(m->port, c);
  eddy_message_free(m); /* releases c: its peer d sees the channel closed */
  cr_assert_eq(eddy_port_receive(&pd, &m), EDDY_ECLOSED);
  close_loop(&loop);
}

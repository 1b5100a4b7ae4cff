/* The HTTP client against eddy's own server (in-process, on its own
 * thread): buffered and streamed bodies both ways with backpressure,
 * keep-alive reuse, the per-host cap and its queue, redirects,
 * 100-continue, abort at each point, and closing the agent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/client_helpers.h"
#include "support/httpsrv_helpers.h"
#include "support/loop_helpers.h"

TestSuite(client, .timeout = 60);

#define BIG (4u * 1024u * 1024u)
#define UP (12u * 1024u * 1024u)

static eddy_loop_t loop;
static eddy_client_t *client;
static tsrv_t srv;
static char url[256];

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 % 251); }

static int path_is(const eddy_http_request_t *q, const char *p) {
  return q->path.len == strlen(p) && !memcmp(q->path.base, p, q->path.len);
}

/* ---- server side (runs on the server's thread) ---- */

static void big_more(eddy_http_res_t *res) {
  size_t *off = (size_t *)eddy_http_res_data(res);
  char chunk[64 * 1024];
  while (*off < BIG) {
    for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (char)pattern(*off + i);
    *off += sizeof chunk;
    if (*off >= BIG) {
      eddy_http_res_end(res, chunk, sizeof chunk);
      return;
    }
    if (eddy_http_res_write(res, chunk, sizeof chunk) == 1) return;
  }
}

static void redirect(eddy_http_res_t *res, int n) {
  char loc[32];
  snprintf(loc, sizeof loc, "/r/%d", n - 1);
  eddy_http_res_status(res, 302);
  eddy_http_res_set_header(res, "Location", loc);
  eddy_http_res_end(res, "moved", 5);
}

static void slow_gone(eddy_http_res_t *res) { eddy_http_res_end(res, NULL, 0); }

static void handler(eddy_http_server_t *s, eddy_http_request_t *q,
                    eddy_http_res_t *res) {
  char body[64];
  size_t len;
  if (path_is(q, "/big")) {
    eddy_http_res_set_header(res, "Content-Length", "4194304");
    eddy_http_res_on_drain(res, big_more);
    big_more(res);
  } else if (q->path.len > 3 && !memcmp(q->path.base, "/r/", 3)) {
    int n = atoi(q->path.base + 3);
    if (n > 0) redirect(res, n);
    else eddy_http_res_end(res, "landed", 6);
  } else if (path_is(q, "/echo")) {
    eddy_http_req_body(q, &len);
    int n = snprintf(body, sizeof body, "%zu", len);
    eddy_http_res_end(res, body, (size_t)n);
  } else if (path_is(q, "/slow")) {
    eddy_http_res_on_close(res, slow_gone); /* never answered */
  } else {
    eddy_http_res_end(res, "Hello, World!", 13);
  }
}

/* Streamed uploads: count and check every byte, answer the count. */
static size_t up_bytes, up_next_pause;
static int up_bad;
static eddy_timer_t up_timer; /* on the server's loop */
static eddy_http_request_t *up_req;

static void up_resume(eddy_timer_t *t) { eddy_http_req_resume(up_req); }

/* The server reads slowly now and then, so the client meets backpressure. */
static void up_data(eddy_http_request_t *q, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)p[i] != pattern(up_bytes + i)) up_bad = 1;
  up_bytes += n;
  if (up_bytes >= up_next_pause && up_bytes < UP) {
    up_next_pause += 1024 * 1024;
    up_req = q;
    eddy_http_req_pause(q);
    eddy_timer_start(&up_timer, up_resume, 30, 0);
  }
}

static eddy_http_res_t *up_res;
static void up_end(eddy_http_request_t *q, int status) {
  char body[64];
  eddy_timer_stop(&up_timer);
  int n = snprintf(body, sizeof body, "%zu %d %d", up_bytes, up_bad, status);
  eddy_http_res_end(up_res, body, (size_t)n);
}

static void on_head_hook(eddy_http_server_t *s, eddy_http_request_t *q,
                         eddy_http_res_t *res) {
  if (!path_is(q, "/upload")) return;
  up_bytes = 0;
  up_next_pause = 1024 * 1024;
  up_bad = 0;
  up_res = res;
  eddy_http_req_set_max_body(q, 64u * 1024u * 1024u);
  eddy_http_req_on_data(q, up_data, up_end);
}

static void start(const eddy_client_opts_t *o) {
  tsrv_init(&srv, NULL, handler);
  eddy_http_server_on_head(&srv.server, on_head_hook);
  eddy_timer_init(&srv.loop, &up_timer);
  tsrv_run(&srv);
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_client_create(&loop, o, &client), 0);
}

static const char *at(const char *path) {
  snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv.port, path);
  return url;
}

static void finish(void) {
  close_client(&loop, client);
  close_loop(&loop);
  tsrv_stop(&srv);
}

static eddy_client_stats_t stats(void) {
  eddy_client_stats_t s;
  eddy_client_stats(client, &s);
  return s;
}

/* ---- tests ---- */

Test(client, get_buffered_then_sequential_requests_reuse_one_connection) {
  start(NULL);
  for (int i = 0; i < 20; i++) {
    eddy_client_req_opts_t o;
    rec_t r;
    rec_opts(&o, &r, at("/"));
    o.buffer_body = 1;
    cr_assert_eq(eddy_client_request(client, &o, NULL), 0);
    cr_assert_eq(r.done, 0, "no callback inside request()");
    run_recs(&loop, &r, 1, 5000);
    cr_assert_eq(r.ends, 1);
    cr_assert_eq(r.heads, 1);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "Hello, World!");
    rec_free(&r);
  }
  eddy_client_stats_t s = stats();
  cr_assert_eq(s.connects, 1, "one connection for 20 requests");
  cr_assert_eq(s.reused, 19);
  cr_assert_eq(s.idle, 1);
  cr_assert_eq(eddy_http_server_connections(&srv.server), 1,
               "the server saw one connection");
  finish();
}

Test(client, per_host_cap_queues_requests_and_full_queue_is_synchronous) {
  eddy_client_opts_t co = {.max_per_host = 2, .max_queue = 8};
  start(&co);
  rec_t r[8];
  eddy_client_req_opts_t o;
  for (int i = 0; i < 8; i++) {
    rec_opts(&o, &r[i], at("/"));
    o.buffer_body = 1;
    /* All 8 wait (2 of them for connections being made). */
    cr_assert_eq(eddy_client_request(client, &o, NULL), 0, "request %d", i);
  }
  rec_t extra;
  rec_opts(&o, &extra, at("/"));
  cr_assert_eq(eddy_client_request(client, &o, NULL), EDDY_EQUEUEFULL);
  run_recs(&loop, r, 8, 5000);
  for (int i = 0; i < 8; i++) {
    cr_assert_eq(r[i].status, 200);
    rec_free(&r[i]);
  }
  cr_assert_eq(extra.done, 0, "a refused request gets no callback");
  cr_assert_eq(stats().connects, 2);
  finish();
}

/* Streamed download: pause for a while every 512 KiB. */
static eddy_timer_t pause_timer;
static eddy_client_req_t *paused_req;
static size_t got, next_pause;
static int pattern_ok, npauses;

static void resume_it(eddy_timer_t *t) { eddy_client_resume(paused_req); }

static void stream_data(eddy_client_req_t *req, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)p[i] != pattern(got + i)) pattern_ok = 0;
  got += n;
  if (got >= next_pause && got < BIG) {
    next_pause += 512 * 1024;
    npauses++;
    paused_req = req;
    eddy_client_pause(req);
    eddy_timer_start(&pause_timer, resume_it, 5, 0);
  }
}

Test(client, streamed_download_with_backpressure) {
  start(NULL);
  eddy_timer_init(&loop, &pause_timer);
  got = 0;
  next_pause = 512 * 1024;
  pattern_ok = 1;
  npauses = 0;
  eddy_client_req_opts_t o;
  rec_t r;
  rec_opts(&o, &r, at("/big"));
  o.on_data = stream_data;
  cr_assert_eq(eddy_client_request(client, &o, NULL), 0);
  run_recs(&loop, &r, 1, 20000);
  cr_assert_eq(r.ends, 1, "error %d", r.error);
  cr_assert_eq(got, BIG);
  cr_assert(pattern_ok);
  cr_assert_geq(npauses, 7);
  eddy_close(EDDY_HANDLE(&pause_timer), NULL);
  finish();
}

/* Streamed upload: 64 KiB pieces, waiting for on_ready after a 1. */
static size_t up_sent;
static int up_full;

static void upload_ready(eddy_client_req_t *req) {
  char piece[64 * 1024];
  while (up_sent < UP) {
    for (size_t i = 0; i < sizeof piece; i++) piece[i] = (char)pattern(up_sent + i);
    int rc = eddy_client_write(req, piece, sizeof piece);
    cr_assert_geq(rc, 0);
    up_sent += sizeof piece;
    if (rc == 1) {
      up_full++;
      return;
    }
  }
  cr_assert_eq(eddy_client_end(req), 0);
}

static void upload(int64_t length) {
  eddy_client_req_opts_t o;
  rec_t r;
  up_sent = 0;
  up_full = 0;
  rec_opts(&o, &r, at("/upload"));
  o.method = "POST";
  o.stream_body = 1;
  o.body_length = length;
  o.on_ready = upload_ready;
  o.buffer_body = 1;
  cr_assert_eq(eddy_client_request(client, &o, NULL), 0);
  run_recs(&loop, &r, 1, 20000);
  cr_assert_eq(r.ends, 1, "error %d", r.error);
  char want[64];
  snprintf(want, sizeof want, "%u 0 0", UP);
  cr_assert_str_eq(r.body, want);
  cr_assert_gt(up_full, 0, "the writer met backpressure");
  rec_free(&r);
}

Test(client, streamed_upload_chunked_and_with_length) {
  start(NULL);
  upload(-1);
  upload(UP);
  cr_assert_eq(stats().connects, 1, "both on one kept-alive connection");
  finish();
}

Test(client, buffered_body_with_100_continue) {
  start(NULL);
  static char body[200000];
  memset(body, 'x', sizeof body);
  eddy_client_req_opts_t o;
  rec_t r;
  rec_opts(&o, &r, at("/echo"));
  o.method = "POST";
  o.body = body;
  o.body_len = sizeof body;
  o.expect_continue = 1;
  o.buffer_body = 1;
  uint64_t t0 = now_ms();
  cr_assert_eq(eddy_client_request(client, &o, NULL), 0);
  run_recs(&loop, &r, 1, 5000);
  cr_assert_str_eq(r.body, "200000");
  cr_assert_lt(now_ms() - t0, 900, "the body went on 100, not after the 1 s wait");
  rec_free(&r);
  finish();
}

Test(client, redirects_off_by_default_and_followed_when_asked) {
  start(NULL);
  eddy_client_req_opts_t o;
  rec_t r;
  rec_opts(&o, &r, at("/r/3"));
  o.buffer_body = 1;
  cr_assert_eq(eddy_client_request(client, &o, NULL), 0);
  run_recs(&loop, &r, 1, 5000);
  cr_assert_eq(r.status, 302);
  cr_assert_str_eq(r.body, "moved");
  rec_free(&r);
  rec_opts(&o, &r, at("/r/3"));
  o.buffer_body = 1;
  o.max_redirects = 5;
  cr_assert_eq(eddy_client_request(client, &o, NULL), 0);
  run_recs(&loop, &r, 1, 5000);
  cr_assert_eq(r.status, 200);
  cr_assert_eq(r.redirects, 3);
  cr_assert_eq(r.heads, 1, "on_head only for the final response");
  cr_assert_str_eq(r.body, "landed");
  rec_free(&r);
  rec_opts(&o, &r, at("/r/3"));
  o.buffer_body = 1;
  o.max_redirects = 2;
  cr_assert_eq(eddy_client_request(client, &o, NULL), 0);
  run_recs(&loop, &r, 1, 5000);
  cr_assert_eq(r.status, 302, "the third redirect is the answer");
  cr_assert_eq(r.redirects, 2);
  rec_free(&r);
  finish();
}

Test(client, abort_while_queued_and_while_waiting_for_the_response) {
  eddy_client_opts_t co = {.max_per_host = 1};
  start(&co);
  eddy_client_req_opts_t o;
  rec_t slow, queued;
  eddy_client_req_t *a, *b;
  rec_opts(&o, &slow, at("/slow"));
  cr_assert_eq(eddy_client_request(client, &o, &a), 0);
  rec_opts(&o, &queued, at("/"));
  cr_assert_eq(eddy_client_request(client, &o, &b), 0);
  for (int i = 0; i < 20; i++) eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(eddy_client_abort(b), 0);
  cr_assert_eq(eddy_client_abort(b), -EALREADY);
  cr_assert_eq(queued.done, 0, "no callback inside abort");
  usleep(50000);
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(eddy_client_abort(a), 0);
  uint64_t end = now_ms() + 2000;
  while ((!slow.done || !queued.done) && now_ms() < end)
    eddy_run(&loop, EDDY_RUN_ONCE);
  cr_assert_eq(queued.errors, 1);
  cr_assert_eq(queued.error, -ECANCELED);
  cr_assert_eq(slow.errors, 1);
  cr_assert_eq(slow.error, -ECANCELED);
  cr_assert_eq(slow.heads + slow.ends + queued.heads + queued.ends, 0);
  finish();
}

Test(client, close_cancels_what_is_in_flight) {
  start(NULL);
  eddy_client_req_opts_t o;
  rec_t r[3];
  for (int i = 0; i < 3; i++) {
    rec_opts(&o, &r[i], at("/slow"));
    cr_assert_eq(eddy_client_request(client, &o, NULL), 0);
  }
  for (int i = 0; i < 20; i++) eddy_run(&loop, EDDY_RUN_NOWAIT);
  close_client(&loop, client);
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(r[i].errors, 1);
    cr_assert_eq(r[i].error, -ECANCELED);
  }
  close_loop(&loop);
  tsrv_stop(&srv);
}

Test(client, requests_that_cannot_start_fail_synchronously) {
  start(NULL);
  eddy_client_req_opts_t o;
  rec_t r;
  const char *bad[] = {"ftp://x/", "http://", "http://h/a b"};
  for (int i = 0; i < 3; i++) {
    rec_opts(&o, &r, bad[i]);
    cr_assert_eq(eddy_client_request(client, &o, NULL), -EINVAL, "%s", bad[i]);
  }
  rec_opts(&o, &r, "https://example.com/");
  cr_assert_eq(eddy_client_request(client, &o, NULL), -EPROTONOSUPPORT);
  eddy_client_header_t h[] = {{"X-Bad", "a\r\nInjected: 1"}};
  rec_opts(&o, &r, at("/"));
  o.headers = h;
  o.nheaders = 1;
  cr_assert_eq(eddy_client_request(client, &o, NULL), -EINVAL);
  eddy_client_header_t cl[] = {{"Content-Length", "5"}};
  o.headers = cl;
  cr_assert_eq(eddy_client_request(client, &o, NULL), -EINVAL);
  o.headers = NULL;
  o.nheaders = 0;
  o.method = "BAD METHOD";
  cr_assert_eq(eddy_client_request(client, &o, NULL), -EINVAL);
  for (int i = 0; i < 5; i++) eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(r.done, 0);
  finish();
}

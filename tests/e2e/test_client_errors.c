/* Every error class of the HTTP client from a real cause (a name that
 * does not resolve, a closed port, a full backlog, raw peers that reset,
 * stay silent, stall, send too much, malformed or smuggling responses),
 * each delivered once with nothing after it; and the keep-alive edge
 * cases against raw peers: chunked with trailers, HEAD/204 without body,
 * 1xx skipped, an idle connection closed by the server, a stale one
 * retried once for GET and not for POST. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "support/client_helpers.h"
#include "support/loop_helpers.h"
#include "support/rawsrv_helpers.h"

TestSuite(client_errors, .timeout = 60);

static eddy_loop_t loop;
static eddy_client_t *client;
static char url[256];

static void start(const eddy_client_opts_t *o) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_client_create(&loop, o, &client), 0);
}

static void finish(void) {
  close_client(&loop, client);
  close_loop(&loop);
}

static const char *at(int port, const char *path) {
  snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
  return url;
}

/* One request; returns its record after it ended. */
static rec_t fetch(const char *u, const char *method, int buffer,
                   size_t max_body) {
  eddy_client_req_opts_t o;
  rec_t r;
  rec_opts(&o, &r, u);
  o.method = method;
  o.buffer_body = buffer;
  o.max_body = max_body;
  cr_assert_eq(eddy_client_request(client, &o, NULL), 0);
  cr_assert_eq(r.done, 0);
  run_recs(&loop, &r, 1, 10000);
  cr_assert_eq(r.ends + r.errors, 1, "exactly one ending");
  cr_assert_eq(r.after_end, 0, "nothing after the ending");
  return r;
}

static void expect_error(rec_t r, int err) {
  cr_assert_eq(r.errors, 1, "an error (status %d)", r.status);
  cr_assert_eq(r.error, err, "%s, not %s", eddy_err_name(err),
               eddy_err_name(r.error));
  rec_free(&r);
}

static eddy_client_stats_t stats(void) {
  eddy_client_stats_t s;
  eddy_client_stats(client, &s);
  return s;
}

Test(client_errors, name_not_found) {
  start(NULL);
  expect_error(fetch("http://nonexistent.invalid/", NULL, 1, 0), EDDY_ENOTFOUND);
  cr_assert_eq(stats().dns_lookups, 1);
  finish();
}

Test(client_errors, names_resolve_on_the_thread_pool_and_are_cached) {
  rawsrv_t s;
  rawsrv_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
               RAW_CLOSE);
  start(NULL);
  char u[64];
  snprintf(u, sizeof u, "http://localhost:%d/", s.port);
  for (int i = 0; i < 3; i++) {
    rec_t r = fetch(u, NULL, 1, 0);
    cr_assert_eq(r.status, 200, "error %s", eddy_err_name(r.error));
    rec_free(&r);
  }
  cr_assert_eq(stats().dns_lookups, 1, "the name was kept");
  cr_assert_eq(stats().connects, 3, "Connection: close is honoured");
  finish();
  rawsrv_stop(&s);
}

Test(client_errors, connection_refused) {
  start(NULL);
  expect_error(fetch(at(closed_port(), "/"), NULL, 1, 0), -ECONNREFUSED);
  finish();
}

Test(client_errors, connect_timeout) {
  int fds[3];
  int port = full_backlog_port(fds);
  eddy_client_opts_t o = {.connect_timeout_ms = 200};
  start(&o);
  uint64_t t0 = now_ms();
  expect_error(fetch(at(port, "/"), NULL, 1, 0), -ETIMEDOUT);
  cr_assert_geq(now_ms() - t0, 190);
  finish();
  for (int i = 0; i < 3; i++) close(fds[i]);
}

Test(client_errors, reset_by_the_server) {
  rawsrv_t s;
  rawsrv_start(&s, NULL, RAW_RESET);
  start(NULL);
  expect_error(fetch(at(s.port, "/"), NULL, 1, 0), -ECONNRESET);
  finish();
  rawsrv_stop(&s);
}

Test(client_errors, silent_server_is_a_response_timeout) {
  rawsrv_t s;
  rawsrv_start(&s, NULL, RAW_SILENT);
  eddy_client_opts_t o = {.response_timeout_ms = 200};
  start(&o);
  expect_error(fetch(at(s.port, "/"), NULL, 1, 0), EDDY_ERESPTIMEOUT);
  finish();
  rawsrv_stop(&s);
}

Test(client_errors, stalled_body_is_an_idle_timeout) {
  rawsrv_t s;
  rawsrv_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc",
               RAW_ANSWER_SILENT);
  eddy_client_opts_t o = {.idle_timeout_ms = 200};
  start(&o);
  rec_t r = fetch(at(s.port, "/"), NULL, 0, 0);
  cr_assert_eq(r.heads, 1, "the head came");
  cr_assert_eq(r.body_len, 3, "and the first bytes");
  expect_error(r, EDDY_EIDLETIMEOUT);
  finish();
  rawsrv_stop(&s);
}

Test(client_errors, body_too_large) {
  rawsrv_t s;
  rawsrv_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789",
               RAW_KEEP);
  start(NULL);
  expect_error(fetch(at(s.port, "/"), NULL, 1, 4), -EMSGSIZE);
  finish();
  rawsrv_stop(&s);
  rawsrv_start(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n", RAW_KEEP);
  start(NULL);
  expect_error(fetch(at(s.port, "/"), NULL, 1, 8), -EMSGSIZE);
  finish();
  rawsrv_stop(&s);
}

static void refused_response(const char *reply) {
  rawsrv_t s;
  rawsrv_start(&s, reply, RAW_KEEP);
  start(NULL);
  expect_error(fetch(at(s.port, "/"), NULL, 1, 0), -EPROTO);
  rec_t r = fetch(at(s.port, "/"), NULL, 1, 0);
  rec_free(&r);
  cr_assert_eq(atomic_load(&s.conns), 2, "the connection was dropped");
  finish();
  rawsrv_stop(&s);
}

Test(client_errors, malformed_response) {
  refused_response("HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n");
  refused_response("HTTP/1.1 200 OK\r\nBad Header: x\r\nContent-Length: 0\r\n\r\n");
  refused_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  refused_response("HTTP/1.1 101 Switching Protocols\r\n\r\n");
}

Test(client_errors, smuggling_response) {
  refused_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n");
  refused_response("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello");
}

Test(client_errors, chunked_with_trailers_then_reuse) {
  rawsrv_t s;
  rawsrv_start(&s, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n",
               RAW_KEEP);
  start(NULL);
  for (int i = 0; i < 3; i++) {
    rec_t r = fetch(at(s.port, "/"), NULL, i & 1, 0);
    cr_assert_eq(r.ends, 1);
    cr_assert_str_eq(r.body, "hello world");
    rec_free(&r);
  }
  cr_assert_eq(atomic_load(&s.conns), 1, "kept alive across trailers");
  finish();
  rawsrv_stop(&s);
}

Test(client_errors, head_204_and_1xx_have_no_body) {
  rawsrv_t s;
  rawsrv_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", RAW_KEEP);
  start(NULL);
  rec_t r = fetch(at(s.port, "/"), "HEAD", 1, 0);
  cr_assert_eq(r.ends, 1);
  cr_assert_eq(r.body_len, 0);
  rec_free(&r);
  r = fetch(at(s.port, "/"), "HEAD", 1, 0);
  cr_assert_eq(r.ends, 1, "the connection was still in step");
  rec_free(&r);
  cr_assert_eq(atomic_load(&s.conns), 1);
  finish();
  rawsrv_stop(&s);
  rawsrv_start(&s, "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                   "HTTP/1.1 100 Continue\r\n\r\n"
                   "HTTP/1.1 204 No Content\r\n\r\n", RAW_KEEP);
  start(NULL);
  for (int i = 0; i < 2; i++) {
    r = fetch(at(s.port, "/"), NULL, 1, 0);
    cr_assert_eq(r.status, 204);
    cr_assert_eq(r.heads, 1, "interim heads are not reported");
    rec_free(&r);
  }
  cr_assert_eq(atomic_load(&s.conns), 1);
  finish();
  rawsrv_stop(&s);
}

Test(client_errors, read_until_close) {
  rawsrv_t s;
  rawsrv_start(&s, "HTTP/1.1 200 OK\r\n\r\nall of it", RAW_CLOSE);
  start(NULL);
  rec_t r = fetch(at(s.port, "/"), NULL, 1, 0);
  cr_assert_eq(r.ends, 1);
  cr_assert_str_eq(r.body, "all of it");
  rec_free(&r);
  finish();
  rawsrv_stop(&s);
}

static void noop(eddy_timer_t *t) {}

/* Runs the loop for `ms` (idle connections alone do not keep it alive). */
static void pause_ms(unsigned ms) {
  eddy_timer_t t;
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, noop, ms, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_close(EDDY_HANDLE(&t), NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
}

Test(client_errors, idle_connection_closed_by_the_server_is_dropped) {
  rawsrv_t s = {.close_idle_ms = 50};
  rawsrv_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", RAW_KEEP);
  start(NULL);
  rec_t r = fetch(at(s.port, "/"), NULL, 1, 0);
  rec_free(&r);
  cr_assert_eq(stats().idle, 1);
  pause_ms(200);
  cr_assert_eq(stats().idle, 0, "the server's close was seen while idle");
  r = fetch(at(s.port, "/"), NULL, 1, 0);
  cr_assert_eq(r.status, 200);
  rec_free(&r);
  cr_assert_eq(stats().retried, 0);
  cr_assert_eq(atomic_load(&s.conns), 2);
  finish();
  rawsrv_stop(&s);
}

Test(client_errors, stale_connection_retried_once_for_get_only) {
  rawsrv_t s;
  rawsrv_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
               RAW_FIRST_ONLY);
  start(NULL);
  rec_t r = fetch(at(s.port, "/"), NULL, 1, 0);
  rec_free(&r);
  r = fetch(at(s.port, "/"), "GET", 1, 0);
  cr_assert_eq(r.status, 200, "got %s", eddy_err_name(r.error));
  rec_free(&r);
  cr_assert_eq(stats().retried, 1);
  cr_assert_eq(atomic_load(&s.conns), 2);
  expect_error(fetch(at(s.port, "/"), "POST", 1, 0), -ECONNRESET);
  cr_assert_eq(stats().retried, 1, "POST is not retried");
  finish();
  rawsrv_stop(&s);
}

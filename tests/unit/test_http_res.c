/*
 * Response serialization, byte for byte: a real server on a loop thread,
 * a blocking raw-socket client on the test thread.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/http.h"
#include "support/e2e_helpers.h"
#include "support/httpsrv_helpers.h"

TestSuite(http_res, .timeout = 20);

static int is(const eddy_http_request_t *q, const char *path) {
  return q->path.len == strlen(path) && !memcmp(q->path.base, path, q->path.len);
}

static void headers_case(eddy_http_res_t *res) {
  char body[128];
  int a = eddy_http_res_set_header(res, "X-A", "1");
  int b = eddy_http_res_append_header(res, "x-a", "2");
  int c = eddy_http_res_set_header(res, "X-B", "b");
  int d = eddy_http_res_remove_header(res, "x-B");
  int e = eddy_http_res_set_header(res, "x-A", "3");
  int f = eddy_http_res_set_header(res, "X-Bad", "a\r\nInjected: 1");
  int g = eddy_http_res_append_header(res, "X-Also", "4");
  /* Names are tokens; values hold no control bytes but HTAB (as Node). */
  int h = eddy_http_res_set_header(res, "X Bad", "1") +
          eddy_http_res_set_header(res, "X:Bad", "1") +
          eddy_http_res_set_header(res, "", "1") +
          eddy_http_res_set_header(res, "X-Nul", "a\x01b") +
          eddy_http_res_set_header(res, "X-Del", "a\x7f");
  int i = eddy_http_res_set_header(res, "X-Tab", "a\tb \xc3\xa9");
  /* A refused set leaves the fields it would have replaced. */
  int j = eddy_http_res_set_header(res, "X-Also", "bad\nvalue");
  /* A 1xx is interim, never the answer (RFC 9110 §15.2). */
  int k = eddy_http_res_status(res, 100) + eddy_http_res_status(res, 101) +
          eddy_http_res_status(res, 199);
  snprintf(body, sizeof(body), "%d %d %d %d %d %d %d %d %d %d %d", a, b, c, d,
           e, f, g, h, i, j, k);
  eddy_http_res_end(res, body, strlen(body));
}

static void free_handle(eddy_handle_t *h) { free(h); }

/* What the framing handlers' calls returned, for the test thread to read
 * after the connection closed (the handler ran before its bytes left). */
static char codes[256];

static void log_codes(const char *fmt, int a, int b, int c, int d) {
  snprintf(codes, sizeof(codes), fmt, a, b, c, d);
}

/* Transfer-Encoding is the server's; Content-Length values are 1*DIGIT,
 * at most 18 digits, one field. */
static void framing_fields(eddy_http_res_t *res) {
  int te = eddy_http_res_set_header(res, "Transfer-Encoding", "chunked") +
           eddy_http_res_append_header(res, "transfer-encoding", "gzip");
  int bad = eddy_http_res_set_header(res, "Content-Length", "") +
            eddy_http_res_set_header(res, "Content-Length", " 5") +
            eddy_http_res_set_header(res, "Content-Length", "-1") +
            eddy_http_res_set_header(res, "Content-Length", "0x10") +
            eddy_http_res_set_header(res, "Content-Length", "5, 5") +
            eddy_http_res_set_header(res, "Content-Length",
                                     "1234567890123456789");
  int ok = eddy_http_res_set_header(res, "Content-Length", "9") +
           eddy_http_res_set_header(res, "content-length", "2") +
           eddy_http_res_set_header(res, "Content-Length",
                                    "000000000000000002");
  int dup = eddy_http_res_append_header(res, "Content-Length", "2");
  log_codes("%d %d %d %d", te, bad, ok, dup);
  eddy_http_res_end(res, "ok", 2);
}

/* Content-Length 5, written as 3 + 3 (refused) + 2. */
static void framing_past(eddy_http_res_t *res) {
  int a = eddy_http_res_set_header(res, "Content-Length", "5");
  int b = eddy_http_res_write(res, "abc", 3);
  int c = eddy_http_res_write(res, "XYZ", 3);
  int d = eddy_http_res_write(res, "de", 2);
  int e = eddy_http_res_end(res, NULL, 0);
  snprintf(codes, sizeof(codes), "%d %d %d %d %d", a, b, c, d, e);
}

/* A handler Content-Length the body does not reach: cut, then close. */
static void framing_short(eddy_http_res_t *res, int write_first) {
  eddy_http_res_set_header(res, "Content-Length", "10");
  int w = write_first ? eddy_http_res_write(res, "abc", 3) : 0;
  int e = write_first ? eddy_http_res_end(res, "de", 2)
                      : eddy_http_res_end(res, "abcde", 5);
  log_codes("%d %d", w, e, 0, 0);
}

static int framing_case(const eddy_http_request_t *q, eddy_http_res_t *res) {
  if (is(q, "/fields")) {
    framing_fields(res);
  } else if (is(q, "/past")) {
    framing_past(res);
  } else if (is(q, "/endpast")) { /* end past it: none of its bytes */
    eddy_http_res_set_header(res, "Content-Length", "3");
    eddy_http_res_write(res, "ab", 2);
    log_codes("%d", eddy_http_res_end(res, "cd", 2), 0, 0, 0);
  } else if (is(q, "/short") || is(q, "/shortend")) {
    framing_short(res, is(q, "/short"));
  } else if (is(q, "/headcl") || is(q, "/304cl") || is(q, "/204cl")) {
    if (q->path.base[1] != 'h')
      eddy_http_res_status(res, q->path.base[1] == '3' ? 304 : 204);
    eddy_http_res_set_header(res, "Content-Length", "42");
    log_codes("%d", eddy_http_res_end(res, NULL, 0), 0, 0, 0);
  } else {
    return 0;
  }
  return 1;
}

static eddy_http_res_t *pair[2]; /* /stream10 and /after */

/* Ends both in one go: the second right after the first closed. */
static void end_pair(eddy_timer_t *t) {
  eddy_http_res_end(pair[0], "late", 4);
  eddy_http_res_end(pair[1], "after", 5);
  eddy_close((eddy_handle_t *)t, free_handle);
}

static void end_pair_later(eddy_http_server_t *s) {
  eddy_timer_t *t = calloc(1, sizeof(*t));
  eddy_timer_init(s->loop, t);
  eddy_timer_start(t, end_pair, 20, 0);
}

static void handler(eddy_http_server_t *s, eddy_http_request_t *q,
                    eddy_http_res_t *res) {
  if (is(q, "/stream10")) { /* HTTP/1.0: the close delimits "abc" */
    eddy_http_res_write(res, "abc", 3);
    pair[0] = res;
  } else if (is(q, "/after")) {
    pair[1] = res;
    end_pair_later(s);
  } else if (is(q, "/created")) {
    eddy_http_res_status(res, 201);
    eddy_http_res_end(res, "made", 4);
  } else if (is(q, "/unknown")) {
    eddy_http_res_status(res, 599);
    eddy_http_res_end(res, NULL, 0);
  } else if (is(q, "/chunked")) {
    eddy_http_res_write(res, "hello", 5);
    eddy_http_res_write(res, "world!", 6);
    eddy_http_res_write(res, "0123456789abcdefg", 17);
    eddy_http_res_end(res, NULL, 0);
  } else if (is(q, "/204") || is(q, "/304")) {
    eddy_http_res_status(res, q->path.base[1] == '2' ? 204 : 304);
    eddy_http_res_end(res, "ignored", 7);
  } else if (is(q, "/headers")) {
    headers_case(res);
  } else if (is(q, "/ownlength")) {
    eddy_http_res_set_header(res, "content-length", "3");
    eddy_http_res_write(res, "abc", 3);
    eddy_http_res_end(res, NULL, 0);
  } else if (!framing_case(q, res)) {
    eddy_http_res_end(res, "hello", 5);
  }
}

static tsrv_t srv;
static char out[8192];

/* One request with Connection: close; returns the whole response. */
static const char *get(const char *method, const char *path) {
  char req[256];
  int n = snprintf(req, sizeof(req),
                   "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                   method, path);
  tsrv_exchange(srv.port, req, (size_t)n, out, sizeof(out));
  return out;
}

static const char *body_of(const char *resp) {
  const char *p = strstr(resp, "\r\n\r\n");
  cr_assert(p, "no end of head in [%s]", resp);
  return p + 4;
}

static void start(void) {
  tsrv_init(&srv, NULL, handler);
  tsrv_run(&srv);
}

Test(http_res, status_line_reason_and_automatic_content_length) {
  start();
  const char *r = get("GET", "/created");
  cr_assert(!strncmp(r, "HTTP/1.1 201 Created\r\n", 22), "%s", r);
  cr_assert(strstr(r, "\r\nContent-Length: 4\r\n"), "%s", r);
  cr_assert(strstr(r, "\r\nConnection: close\r\n"), "%s", r);
  cr_assert(strstr(r, "\r\nDate: "), "%s", r);
  cr_assert_str_eq(body_of(r), "made");
  r = get("GET", "/unknown");
  cr_assert(!strncmp(r, "HTTP/1.1 599 \r\n", 15), "%s", r);
  cr_assert(strstr(r, "\r\nContent-Length: 0\r\n"), "%s", r);
  cr_assert_str_eq(body_of(r), "");
  tsrv_stop(&srv);
}

Test(http_res, write_without_length_is_chunked_exactly) {
  start();
  const char *r = get("GET", "/chunked");
  cr_assert(strstr(r, "\r\nTransfer-Encoding: chunked\r\n"), "%s", r);
  cr_assert_null(strstr(r, "Content-Length"), "%s", r);
  cr_assert_str_eq(body_of(r), "5\r\nhello\r\n6\r\nworld!\r\n"
                               "11\r\n0123456789abcdefg\r\n0\r\n\r\n");
  r = get("GET", "/ownlength");
  cr_assert(strstr(r, "\r\ncontent-length: 3\r\n"), "%s", r);
  cr_assert_null(strstr(r, "chunked"), "%s", r);
  cr_assert_str_eq(body_of(r), "abc");
  tsrv_stop(&srv);
}

Test(http_res, head_204_304_have_no_body) {
  start();
  const char *r = get("HEAD", "/");
  cr_assert(strstr(r, "\r\nContent-Length: 5\r\n"), "%s", r);
  cr_assert_str_eq(body_of(r), "");
  r = get("GET", "/204");
  cr_assert(!strncmp(r, "HTTP/1.1 204 No Content\r\n", 25), "%s", r);
  cr_assert_null(strstr(r, "Content-Length"), "%s", r);
  cr_assert_null(strstr(r, "Transfer-Encoding"), "%s", r);
  cr_assert_str_eq(body_of(r), "");
  r = get("GET", "/304");
  cr_assert(!strncmp(r, "HTTP/1.1 304 Not Modified\r\n", 27), "%s", r);
  cr_assert_null(strstr(r, "Content-Length"), "%s", r);
  cr_assert_str_eq(body_of(r), "");
  tsrv_stop(&srv);
}

Test(http_res, set_append_remove_headers_case_insensitively) {
  start();
  const char *r = get("GET", "/headers");
  cr_assert(strstr(r, "\r\nx-A: 3\r\n"), "%s", r);
  cr_assert_null(strstr(r, "X-A: 1"), "%s", r);
  cr_assert_null(strstr(r, "x-a: 2"), "%s", r);
  cr_assert_null(strstr(r, "X-B"), "%s", r);
  cr_assert_null(strstr(r, "Injected"), "%s", r);
  cr_assert(strstr(r, "\r\nX-Also: 4\r\n"), "%s", r);
  char want[64];
  snprintf(want, sizeof(want), "0 0 0 0 0 %d 0 %d 0 %d %d", -EINVAL,
           5 * -EINVAL, -EINVAL, 3 * -EINVAL);
  cr_assert(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17), "%s", r);
  cr_assert(strstr(r, "\r\nX-Tab: a\tb \xc3\xa9\r\n"), "%s", r);
  cr_assert_str_eq(body_of(r), want);
  tsrv_stop(&srv);
}

/* A response that closes the connection is the last: the next one in line
 * (ended after it) was written out behind it, into the HTTP/1.0 body that
 * the close delimits. Found by fuzz_response. */
Test(http_res, nothing_follows_a_response_that_closes) {
  start();
  static const char req[] =
      "GET /stream10 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
      "GET /after HTTP/1.1\r\nHost: t\r\n\r\n";
  tsrv_exchange(srv.port, req, sizeof(req) - 1, out, sizeof(out));
  cr_assert(strstr(out, "\r\nConnection: close\r\n"), "%s", out);
  cr_assert_str_eq(body_of(out), "abclate", "%s", out);
  tsrv_stop(&srv);
}

/* ---------------------------------------------- framing set by handlers */

static const char *pipeline(const char *first, const char *method) {
  char req[512];
  int n = snprintf(req, sizeof(req),
                   "%s %s HTTP/1.1\r\nHost: t\r\n\r\n"
                   "GET /created HTTP/1.1\r\nHost: t\r\nConnection: close"
                   "\r\n\r\n",
                   method, first);
  codes[0] = '\0';
  tsrv_exchange(srv.port, req, (size_t)n, out, sizeof(out));
  return out;
}

Test(http_res, transfer_encoding_refused_content_length_checked) {
  start();
  const char *r = get("GET", "/fields");
  char want[64];
  snprintf(want, sizeof(want), "%d %d 0 %d", 2 * -EINVAL, 6 * -EINVAL,
           -EINVAL);
  cr_assert_str_eq(codes, want);
  cr_assert_null(strstr(r, "Transfer-Encoding"), "%s", r);
  cr_assert_eq(e2e_count(r, "ontent-Length"), 1, "%s", r);
  cr_assert(strstr(r, "\r\nContent-Length: 000000000000000002\r\n"), "%s", r);
  cr_assert_str_eq(body_of(r), "ok");
  tsrv_stop(&srv);
}

/* A write past the handler's Content-Length sends nothing of it, and the
 * next response on the connection starts where the client expects it.
 * Found by fuzz_response (EDDY_FUZZ_USER_CL). */
Test(http_res, write_past_content_length_is_refused_whole) {
  start();
  const char *r = pipeline("/past", "GET");
  char want[64];
  snprintf(want, sizeof(want), "0 0 %d 0 0", -EMSGSIZE);
  cr_assert_str_eq(codes, want);
  cr_assert(strstr(r, "\r\nContent-Length: 5\r\n\r\nabcdeHTTP/1.1 201 "),
            "%s", r);
  cr_assert_null(strstr(r, "XYZ"), "%s", r);
  cr_assert_null(strstr(r, "chunked"), "%s", r);
  tsrv_stop(&srv);
}

/* End past it: its bytes are dropped, so the body is short: cut, close. */
Test(http_res, end_past_content_length_sends_none_of_it) {
  start();
  const char *r = pipeline("/endpast", "GET");
  char want[16];
  snprintf(want, sizeof(want), "%d", -EMSGSIZE);
  cr_assert_str_eq(codes, want);
  cr_assert_str_eq(body_of(r), "ab", "%s", r);
  cr_assert_eq(e2e_count(r, "HTTP/1.1 "), 1, "%s", r);
  tsrv_stop(&srv);
}

/* A body short of its Content-Length cannot be made whole: the response
 * is the last on its connection (nothing follows the cut bytes), with
 * Connection: close when its head was still to go. */
Test(http_res, short_body_cuts_and_closes_the_connection) {
  start();
  const char *r = pipeline("/short", "GET");
  char want[32];
  snprintf(want, sizeof(want), "0 %d", -EMSGSIZE);
  cr_assert_str_eq(codes, want);
  cr_assert(strstr(r, "\r\nContent-Length: 10\r\n"), "%s", r);
  cr_assert_str_eq(body_of(r), "abcde", "%s", r);
  cr_assert_null(strstr(r, "201 Created"), "%s", r);
  r = pipeline("/shortend", "GET");
  cr_assert_str_eq(codes, want);
  cr_assert(strstr(r, "\r\nConnection: close\r\n"), "%s", r);
  cr_assert_str_eq(body_of(r), "abcde", "%s", r);
  tsrv_stop(&srv);
}

/* HEAD and 304: the handler's length as given, no body, keep-alive (RFC
 * 9110 §8.6, §9.3.2); a 204 never carries one. */
Test(http_res, head_304_keep_handler_length_204_drops_it) {
  start();
  const char *r = pipeline("/headcl", "HEAD");
  cr_assert_str_eq(codes, "0");
  cr_assert(strstr(r, "\r\nContent-Length: 42\r\n\r\nHTTP/1.1 201 "), "%s",
            r);
  r = pipeline("/304cl", "GET");
  cr_assert_str_eq(codes, "0");
  cr_assert(!strncmp(r, "HTTP/1.1 304 ", 13), "%s", r);
  cr_assert(strstr(r, "\r\nContent-Length: 42\r\n\r\nHTTP/1.1 201 "), "%s",
            r);
  r = pipeline("/204cl", "GET");
  cr_assert(!strncmp(r, "HTTP/1.1 204 ", 13), "%s", r);
  cr_assert_null(strstr(r, "Content-Length: 42"), "%s", r);
  cr_assert(strstr(r, "\r\n\r\nHTTP/1.1 201 "), "%s", r);
  tsrv_stop(&srv);
}

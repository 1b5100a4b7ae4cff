/*
 * Response serialization, byte for byte: a real server on a loop thread,
 * a blocking raw-socket client on the test thread.
 */
#include <criterion/criterion.h>
#include <stdio.h>
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
  /* an invalid set changes nothing: x-A: 3 stays */
  int j = eddy_http_res_set_header(res, "X-A", "4\r\n");
  snprintf(body, sizeof(body), "%d %d %d %d %d %d %d %d %d %d", a, b, c, d, e,
           f, g, h, i, j);
  eddy_http_res_end(res, body, strlen(body));
}

static void handler(eddy_http_server_t *s, eddy_http_request_t *q,
                    eddy_http_res_t *res) {
  if (is(q, "/created")) {
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
  } else {
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
  snprintf(want, sizeof(want), "0 0 0 0 0 %d 0 %d 0 %d", -EINVAL,
           5 * -EINVAL, -EINVAL);
  cr_assert(strstr(r, "\r\nX-Tab: a\tb \xc3\xa9\r\n"), "%s", r);
  cr_assert_str_eq(body_of(r), want);
  tsrv_stop(&srv);
}

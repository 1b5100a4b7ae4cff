/* The client's pure parts: http:// URLs and the strict response parser
 * (status line, fields, framing, smuggling refusals, every split). */
#include <string.h>

#include "eddy/client.h"
#include "support/loop_helpers.h"

TestSuite(client_parse, .timeout = 30);

static int url(const char *s, eddy_client_url_t *u) {
  return eddy_client_url_parse(s, strlen(s), u);
}

static int slice_is(eddy_http_slice_t s, const char *want) {
  return s.len == strlen(want) && memcmp(s.base, want, s.len) == 0;
}

Test(client_parse, urls) {
  eddy_client_url_t u;
  cr_assert_eq(url("http://example.com", &u), 0);
  cr_assert(slice_is(u.host, "example.com"));
  cr_assert(slice_is(u.target, "/"));
  cr_assert_eq(u.port, 80);
  cr_assert_eq(url("HTTP://127.0.0.1:8080/a/b?x=1#frag", &u), 0);
  cr_assert(slice_is(u.host, "127.0.0.1"));
  cr_assert(slice_is(u.target, "/a/b?x=1"), "the fragment is dropped");
  cr_assert_eq(u.port, 8080);
  cr_assert_eq(url("http://[::1]:9/x", &u), 0);
  cr_assert(slice_is(u.host, "::1"));
  cr_assert(u.ipv6);
  cr_assert_eq(u.port, 9);
  cr_assert_eq(url("https://example.com/", &u), -EPROTONOSUPPORT);
  const char *bad[] = {"ftp://x/", "http://", "http:///x", "http://a:0/",
                       "http://a:65536/", "http://a:12x/", "http://u@h/",
                       "http://h/a b", "http://h/a\r\nX: y", "http://[::1/",
                       "http://h?q", "http://h\x01/"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(url(bad[i], &u), -EINVAL, "%s", bad[i]);
}

static eddy_http_header_t hdrs[16];
static eddy_client_head_t head;

static int parse(const char *s) {
  return eddy_client_parse_response(s, strlen(s), &head, hdrs, 16, 4096);
}

Test(client_parse, a_plain_response) {
  const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b \r\n\r\nhello";
  int n = parse(r);
  cr_assert_eq(n, (int)(strlen(r) - 5));
  cr_assert_eq(head.status, 200);
  cr_assert_eq(head.minor_version, 1);
  cr_assert(slice_is(head.reason, "OK"));
  cr_assert_eq(head.content_length, 5);
  cr_assert_eq(head.nheaders, 2);
  cr_assert(slice_is(head.headers[1].value, "b"));
  cr_assert(head.flags & EDDY_CLIENT_F_KEEP_ALIVE);
  cr_assert_not(head.flags & (EDDY_CLIENT_F_CHUNKED | EDDY_CLIENT_F_UNTIL_CLOSE));
  cr_assert_not_null(eddy_client_find_header(&head, "x-a"));
}

Test(client_parse, framing_and_keep_alive) {
  cr_assert_gt(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), 0);
  cr_assert(head.flags & EDDY_CLIENT_F_CHUNKED);
  cr_assert_eq(head.content_length, -1);
  cr_assert_gt(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"), 0);
  cr_assert_not(head.flags & EDDY_CLIENT_F_KEEP_ALIVE);
  cr_assert_gt(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), 0);
  cr_assert_not(head.flags & EDDY_CLIENT_F_KEEP_ALIVE, "1.0 closes by default");
  cr_assert_gt(parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"), 0);
  cr_assert(head.flags & EDDY_CLIENT_F_KEEP_ALIVE);
  cr_assert_gt(parse("HTTP/1.1 200 OK\r\n\r\n"), 0);
  cr_assert(head.flags & EDDY_CLIENT_F_UNTIL_CLOSE);
  cr_assert_gt(parse("HTTP/1.1 204\r\n\r\n"), 0, "no reason phrase");
  cr_assert_eq(head.status, 204);
  cr_assert_gt(parse("HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\n\r\n"), 0);
  cr_assert_eq(head.content_length, 7);
  cr_assert_gt(parse("HTTP/1.1 100 Continue\r\n\r\n"), 0);
  cr_assert_eq(head.status, 100);
  /* chunked not last: the body runs to the close (RFC 9112 §6.3 rule 4) */
  cr_assert_gt(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), 0);
  cr_assert_eq(head.flags & (EDDY_CLIENT_F_CHUNKED | EDDY_CLIENT_F_UNTIL_CLOSE),
               EDDY_CLIENT_F_UNTIL_CLOSE);
}

Test(client_parse, malformed_and_smuggling_are_refused) {
  const char *bad[] = {
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 5,\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip, chunked\r\n\r\n",
      "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX : a\r\n\r\n",
      "HTTP/1.1 200 OK\nX: a\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\nY: b\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n",
      "HTTP/2.0 200 OK\r\n\r\n",
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 099 OK\r\n\r\n",
      "HTTP/1.1 200OK\r\n\r\n",
      "ICY 200 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\n: empty\r\n\r\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    cr_assert_eq(parse(bad[i]), -EPROTO, "case %zu", i);
}

Test(client_parse, limits) {
  char big[600];
  memset(big, 'a', sizeof big);
  memcpy(big, "HTTP/1.1 200 ", 13);
  cr_assert_eq(eddy_client_parse_response(big, sizeof big, &head, hdrs, 16, 4096),
               -EPROTO, "a status line without end");
  char many[4096] = "HTTP/1.1 200 OK\r\n";
  for (int i = 0; i < 17; i++) strcat(many, "A: b\r\n");
  strcat(many, "\r\n");
  cr_assert_eq(parse(many), -EPROTO, "more lines than the array holds");
  const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n";
  cr_assert_eq(eddy_client_parse_response(r, strlen(r), &head, hdrs, 16, 20),
               -EPROTO, "head above max_head");
}

Test(client_parse, every_split_gives_the_same_result) {
  const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                  "Connection: keep-alive\r\nX-Y: z\r\n\r\n";
  size_t n = strlen(r);
  for (size_t cut = 0; cut < n; cut++)
    cr_assert_eq(eddy_client_parse_response(r, cut, &head, hdrs, 16, 4096),
                 EDDY_HTTP_INCOMPLETE, "cut at %zu", cut);
  cr_assert_eq(eddy_client_parse_response(r, n, &head, hdrs, 16, 4096), (int)n);
  cr_assert_eq(head.nheaders, 3);
}

/* HTTP/1.1 request head parser: RFC 9112 conformance, framing and request
 * smuggling cases, limits, splits with last_len, and a guard page after
 * the input. Fixtures follow RFC 9110/9112 and the cases that llhttp and
 * picohttpparser test, written anew. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/http_parser.h"
#include "support/http_helpers.h"

#define OK 1 /* the whole fixture is one valid head */
#define H11 " HTTP/1.1\r\nHost: a\r\n"

typedef struct {
  const char *bytes;
  size_t len;
  int want; /* OK or -status */
} fixture_t;

#define FX(s, w) {s, sizeof(s) - 1, w}

/* Parses `f` whole, byte by byte and in 8 random splits: all must agree
 * with f->want, and the successes with each other. */
static void check(const fixture_t *f, eddy_http_request_t *out) {
  guard_t g;
  eddy_http_header_t h[128], h2[128];
  eddy_http_request_t req, req2;
  int want = f->want == OK ? (int)f->len : f->want;
  guard_init(&g);
  int r = http_parse_whole(&g, f->bytes, f->len, &req, h, 128);
  cr_assert_eq(r, want, "whole %.*s: got %d want %d", (int)f->len, f->bytes,
               r, want);
  for (unsigned seed = 0; seed < 9; seed++) {
    int r2 = http_parse_pieces(&g, f->bytes, f->len, seed, &req2, h2, 128);
    cr_assert_eq(r2, want, "seed %u %.*s: got %d want %d", seed, (int)f->len,
                 f->bytes, r2, want);
    if (r > 0) {
      cr_assert_eq(req2.flags, req.flags);
      cr_assert_eq(req2.content_length, req.content_length);
      cr_assert_eq(req2.nheaders, req.nheaders);
    }
  }
  guard_free(&g);
  if (out) *out = req;
}

static void check_all(const fixture_t *fx, size_t n) {
  for (size_t i = 0; i < n; i++) check(&fx[i], NULL);
}

/* Parses a valid fixture into static storage the test can inspect. */
static eddy_http_header_t hdrs[128];
static int parse_ok(const char *s, eddy_http_request_t *req) {
  size_t n = strlen(s);
  fixture_t f = {s, n, OK};
  check(&f, NULL);
  return eddy_http_parse_request(s, n, req, hdrs, 128, 0, NULL);
}

static int slice_is(eddy_http_slice_t s, const char *want) {
  return s.len == strlen(want) && memcmp(s.base, want, s.len) == 0;
}

/* ---- tables ------------------------------------------------------------ */

/* Suite-wide: Criterion's per-test .timeout leaks in its runner. */
TestSuite(http_parser, .timeout = 60);

Test(http_parser, every_method_round_trips) {
  int n = 0;
#define M(id, name)                                                     \
  cr_assert_str_eq(eddy_http_method_name(EDDY_HTTP_##id), name);        \
  cr_assert_eq(eddy_http_method_lookup(name, strlen(name)), EDDY_HTTP_##id); \
  n++;
  EDDY_HTTP_METHOD_MAP(M)
#undef M
  cr_assert_eq(n, EDDY_HTTP_METHOD_COUNT - 1);
  cr_assert_null(eddy_http_method_name(EDDY_HTTP_METHOD_UNKNOWN));
  cr_assert_null(eddy_http_method_name(EDDY_HTTP_METHOD_COUNT));
  cr_assert_eq(eddy_http_method_lookup("get", 3), EDDY_HTTP_METHOD_UNKNOWN);
  cr_assert_eq(eddy_http_method_lookup("GETX", 4), EDDY_HTTP_METHOD_UNKNOWN);
  cr_assert_eq(eddy_http_method_lookup("", 0), EDDY_HTTP_METHOD_UNKNOWN);
}

Test(http_parser, every_status_has_its_reason) {
  int n = 0, prev = 0;
#define S(code, id, reason)                                   \
  cr_assert_str_eq(eddy_http_status_reason(code), reason);    \
  cr_assert_eq(EDDY_HTTP_STATUS_##id, code);                  \
  cr_assert_gt(code, prev, "table out of order at %d", code); \
  prev = code;                                                \
  n++;
  EDDY_HTTP_STATUS_MAP(S)
#undef S
  cr_assert_geq(n, 60);
  cr_assert_str_eq(eddy_http_status_reason(404), "Not Found");
  cr_assert_str_eq(eddy_http_status_reason(429), "Too Many Requests");
  cr_assert_str_eq(eddy_http_status_reason(431),
                   "Request Header Fields Too Large");
  cr_assert_str_eq(eddy_http_status_reason(299), "");
  cr_assert_str_eq(eddy_http_status_reason(-1), "");
  cr_assert_eq(eddy_http_error_status(-431), 431);
  cr_assert_eq(eddy_http_error_status(EDDY_HTTP_INCOMPLETE), 0);
  cr_assert_eq(eddy_http_error_status(17), 0);
}

/* Parser refusals are 4xx/5xx: errnos in -100..-133 (-ETIMEDOUT is -110,
 * -ECONNREFUSED -111) and eddy's own codes are never taken for statuses. */
Test(http_parser, error_status_is_4xx_5xx_only) {
  cr_assert_eq(eddy_http_error_status(-400), 400);
  cr_assert_eq(eddy_http_error_status(-505), 505);
  cr_assert_eq(eddy_http_error_status(-599), 599);
  cr_assert_eq(eddy_http_error_status(-ETIMEDOUT), 0);
  cr_assert_eq(eddy_http_error_status(-ECONNREFUSED), 0);
  cr_assert_eq(eddy_http_error_status(-ECONNRESET), 0);
  cr_assert_eq(eddy_http_error_status(-EHOSTUNREACH), 0);
  cr_assert_eq(eddy_http_error_status(-100), 0);
  cr_assert_eq(eddy_http_error_status(-399), 0);
  cr_assert_eq(eddy_http_error_status(-600), 0);
  cr_assert_eq(eddy_http_error_status(EDDY_ETIMEDOUT), 0);
  cr_assert_eq(eddy_http_error_status(EDDY_EPARSE), 0);
}

/* ---- valid requests and what they say ---------------------------------- */

Test(http_parser, simple_get_fills_every_field) {
  eddy_http_request_t req;
  const char *s = "GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: example.com:8080\r\n"
                  "User-Agent: t\r\nX-Empty:\r\nX-Ws: \t v a l \t \r\n\r\n";
  cr_assert_eq(parse_ok(s, &req), (int)strlen(s));
  cr_assert_eq(req.method, EDDY_HTTP_GET);
  cr_assert(slice_is(req.method_name, "GET"));
  cr_assert(slice_is(req.target, "/a/b?x=1&y=%20"));
  cr_assert(slice_is(req.path, "/a/b"));
  cr_assert(slice_is(req.query, "x=1&y=%20"));
  cr_assert(slice_is(req.host, "example.com:8080"));
  cr_assert_eq(req.target_form, EDDY_HTTP_TARGET_ORIGIN);
  cr_assert_eq(req.minor_version, 1);
  cr_assert_eq(req.content_length, -1);
  cr_assert_eq(req.flags, EDDY_HTTP_F_KEEP_ALIVE | EDDY_HTTP_F_HOST);
  cr_assert_eq(req.nheaders, 4);
  cr_assert(slice_is(req.headers[1].name, "User-Agent"));
  cr_assert(slice_is(req.headers[2].value, ""));
  cr_assert(slice_is(req.headers[3].value, "v a l"));
  cr_assert_not_null(eddy_http_find_header(&req, "user-agent", 10));
  cr_assert_null(eddy_http_find_header(&req, "user-agen", 9));
}

Test(http_parser, the_head_ends_at_the_empty_line) {
  eddy_http_request_t req;
  const char *s = "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"
                  "helloGET / HTTP/1.1\r\nHost: b\r\n\r\n";
  int n = eddy_http_parse_request(s, strlen(s), &req, hdrs, 128, 0, NULL);
  cr_assert_eq(n, (int)(strstr(s, "hello") - s));
  cr_assert_eq(req.content_length, 5);
  const char *next = s + n + 5;
  int m = eddy_http_parse_request(next, strlen(next), &req, hdrs, 128, 0,
                                  NULL);
  cr_assert_eq(m, (int)strlen(next));
  cr_assert(slice_is(req.host, "b"));
}

Test(http_parser, targets_in_each_form) {
  eddy_http_request_t req;
  parse_ok("GET http://Example.com:80/x/y?q HTTP/1.1\r\nHost: other\r\n\r\n",
           &req);
  cr_assert_eq(req.target_form, EDDY_HTTP_TARGET_ABSOLUTE);
  cr_assert(slice_is(req.host, "Example.com:80")); /* RFC 9112 §3.2.2 */
  cr_assert(slice_is(req.path, "/x/y"));
  cr_assert(slice_is(req.query, "q"));
  parse_ok("GET https://example.com HTTP/1.1\r\nHost: x\r\n\r\n", &req);
  cr_assert(slice_is(req.path, "/"));
  cr_assert_eq(req.query.len, 0);
  parse_ok("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
           &req);
  cr_assert_eq(req.target_form, EDDY_HTTP_TARGET_AUTHORITY);
  cr_assert_eq(req.method, EDDY_HTTP_CONNECT);
  parse_ok("CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: a\r\n\r\n", &req);
  parse_ok("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &req);
  cr_assert_eq(req.target_form, EDDY_HTTP_TARGET_ASTERISK);
  cr_assert(slice_is(req.path, "*"));
  parse_ok("GET /?a=b?c/d:@!$&'()*+,;=-._~%41 HTTP/1.1\r\nHost: a\r\n\r\n",
           &req);
  cr_assert(slice_is(req.query, "a=b?c/d:@!$&'()*+,;=-._~%41"));
}

Test(http_parser, keep_alive_follows_version_and_connection) {
  eddy_http_request_t req;
  parse_ok("GET / HTTP/1.0\r\n\r\n", &req);
  cr_assert_eq(req.flags, 0);
  cr_assert_eq(req.minor_version, 0);
  parse_ok("GET / HTTP/1.2\r\nHost: a\r\n\r\n", &req); /* RFC 9110 §2.5 */
  cr_assert_eq(req.minor_version, 1, "a later 1.x is read as 1.1");
  cr_assert(req.flags & EDDY_HTTP_F_KEEP_ALIVE);
  parse_ok("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req);
  cr_assert_eq(req.flags, EDDY_HTTP_F_KEEP_ALIVE);
  parse_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &req);
  cr_assert_eq(req.flags, EDDY_HTTP_F_HOST | EDDY_HTTP_F_CONNECTION_CLOSE);
  parse_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, CLOSE\r\n\r\n", &req);
  cr_assert_eq(req.flags & EDDY_HTTP_F_KEEP_ALIVE, 0);
  parse_ok("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", &req);
  cr_assert_eq(req.flags & EDDY_HTTP_F_KEEP_ALIVE, 0);
}

Test(http_parser, expect_and_upgrade) {
  eddy_http_request_t req;
  parse_ok("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n"
           "Content-Length: 3\r\n\r\n", &req);
  cr_assert(req.flags & EDDY_HTTP_F_EXPECT_CONTINUE);
  cr_assert_eq(req.content_length, 3);
  parse_ok("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", &req);
  cr_assert_eq(req.flags & EDDY_HTTP_F_EXPECT_CONTINUE, 0); /* ignored */
  parse_ok("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n"
           "Connection: keep-alive, Upgrade\r\n\r\n", &req);
  cr_assert(req.flags & EDDY_HTTP_F_UPGRADE);
  parse_ok("GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", &req);
  cr_assert_eq(req.flags & EDDY_HTTP_F_UPGRADE, 0);
  parse_ok("GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
           &req);
  cr_assert_eq(req.flags & EDDY_HTTP_F_UPGRADE, 0);
}

Test(http_parser, framing_values) {
  eddy_http_request_t req;
  parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n"
           "Content-Length: 5\r\n\r\n", &req);
  cr_assert_eq(req.content_length, 5);
  parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", &req);
  cr_assert_eq(req.content_length, 0);
  parse_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n", &req);
  cr_assert_eq(req.content_length, 1048576);
  parse_ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n",
           &req);
  cr_assert_eq(req.flags & (EDDY_HTTP_F_CHUNKED | EDDY_HTTP_F_TE_ENCODED),
               EDDY_HTTP_F_CHUNKED);
  cr_assert_eq(req.content_length, -1);
  parse_ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
           "Transfer-Encoding: chunked\r\n\r\n", &req);
  cr_assert_eq(req.flags & (EDDY_HTTP_F_CHUNKED | EDDY_HTTP_F_TE_ENCODED),
               EDDY_HTTP_F_CHUNKED | EDDY_HTTP_F_TE_ENCODED);
}

Test(http_parser, leading_empty_lines_are_skipped) {
  eddy_http_request_t req;
  cr_assert_eq(parse_ok("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", &req), 31);
  cr_assert(slice_is(req.method_name, "GET"));
}

Test(http_parser, obs_text_and_htab_in_values) {
  eddy_http_request_t req;
  parse_ok("GET / HTTP/1.1\r\nHost: a\r\nX: caf\xc3\xa9\t\x80\xff ok\r\n\r\n",
           &req);
  cr_assert(slice_is(req.headers[1].value, "caf\xc3\xa9\t\x80\xff ok"));
}

/* ---- refusals ---------------------------------------------------------- */

Test(http_parser, request_line_errors) {
  static const fixture_t fx[] = {
      FX("get /" H11 "\r\n", -501),   /* methods are case-sensitive */
      FX("FOO /" H11 "\r\n", -501),
      FX("G(T /" H11 "\r\n", -400),   /* not a token */
      FX(" GET /" H11 "\r\n", -400),
      FX("GET  /" H11 "\r\n", -400),  /* two spaces */
      FX("GET\t/" H11 "\r\n", -400),
      FX("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", -400),
      FX("GET /\tHTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("GET / HTTP/2.0\r\n\r\n", -505),
      FX("GET / HTTP/1.2\r\n\r\n", -400), /* read as 1.1: no Host */
      FX("GET / HTTP/0.9\r\n\r\n", -505),
      FX("GET / HTTP/3.1\r\n\r\n", -505),
      FX("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", -505), /* h2 preface */
      FX("GET / HTTP/1.10\r\n\r\n", -400),
      FX("GET / HTTP/1\r\n\r\n", -400),
      FX("GET / http/1.1\r\n\r\n", -400),
      FX("GET / HTTP/1.1x\r\n\r\n", -400),
      FX("GET / HTTP/11\r\n\r\n", -400),
      FX("GET /\r\n\r\n", -400),      /* HTTP/0.9 */
      FX("GET / HTTP/1.1\n\n", -400), /* bare LF */
      FX("GET / HTTP/1.1\rHost: a\r\n\r\n", -400),
      FX("\nGET /" H11 "\r\n", -400),
      FX("\r\rGET /" H11 "\r\n", -400),
      FX("\r\n", EDDY_HTTP_INCOMPLETE),
      FX("GET", EDDY_HTTP_INCOMPLETE),
  };
  check_all(fx, sizeof fx / sizeof fx[0]);
}

Test(http_parser, target_bytes_are_exactly_rfc3986) {
  static const fixture_t fx[] = {
      FX("GET /a b" H11 "\r\n", -400),
      FX("GET /a\x00" H11 "\r\n", -400),
      FX("GET /caf\xc3\xa9" H11 "\r\n", -400),
      FX("GET /a#frag" H11 "\r\n", -400),
      FX("GET /a\\b" H11 "\r\n", -400),
      FX("GET /a|b" H11 "\r\n", -400),
      FX("GET /a\"b" H11 "\r\n", -400),
      FX("GET /<a>" H11 "\r\n", -400),
      FX("GET /{a}" H11 "\r\n", -400),
      FX("GET /a^b" H11 "\r\n", -400),
      FX("GET /a`b" H11 "\r\n", -400),
      FX("GET /[a]" H11 "\r\n", -400),
      FX("GET /\x7f" H11 "\r\n", -400),
      FX("GET /\x01" H11 "\r\n", -400),
      FX("GET /%zz" H11 "\r\n", -400),
      FX("GET /%4" H11 "\r\n", -400),
      FX("GET /%" H11 "\r\n", -400),
      FX("GET /?a=%g0" H11 "\r\n", -400),
      FX("GET /%41%2f%2F" H11 "\r\n", OK),
      FX("GET /a:b@c!$&'()*+,;=-._~" H11 "\r\n", OK),
      FX("GET * HTTP/1.1\r\nHost: a\r\n\r\n", -400), /* * is OPTIONS only */
      FX("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("OPTIONS /x HTTP/1.1\r\nHost: a\r\n\r\n", OK),
      FX("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("CONNECT example.com HTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("CONNECT example.com: HTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("CONNECT :443 HTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("CONNECT a:4b HTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("CONNECT [::1 HTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("GET http://u@h/ HTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("GET http:/x HTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("GET 1http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("GET http://a b/ HTTP/1.1\r\nHost: a\r\n\r\n", -400),
      FX("GET http://[::1]:8080/ HTTP/1.1\r\nHost: a\r\n\r\n", OK),
  };
  check_all(fx, sizeof fx / sizeof fx[0]);
}

Test(http_parser, field_line_errors) {
  static const fixture_t fx[] = {
      FX("GET /" H11 "Host : b\r\n\r\n", -400),
      FX("GET / HTTP/1.1\r\nHost : a\r\n\r\n", -400),
      FX("GET / HTTP/1.1\r\n Host: a\r\n\r\n", -400),  /* obs-fold first */
      FX("GET /" H11 "X: a\r\n b\r\n\r\n", -400),       /* obs-fold */
      FX("GET /" H11 "X: a\r\n\tb\r\n\r\n", -400),
      FX("GET /" H11 ": a\r\n\r\n", -400),              /* empty name */
      FX("GET /" H11 "X\x00Y: a\r\n\r\n", -400),
      FX("GET /" H11 "X: a\x00" "b\r\n\r\n", -400),     /* NUL */
      FX("GET /" H11 "X: a\rb\r\n\r\n", -400),          /* bare CR */
      FX("GET /" H11 "X: a\nY: b\r\n\r\n", -400),       /* bare LF */
      FX("GET /" H11 "X: a\r\n\n", -400),
      FX("GET /" H11 "X: a\x7f\r\n\r\n", -400),         /* DEL */
      FX("GET /" H11 "X: a\x01\r\n\r\n", -400),
      FX("GET /" H11 "X: \x0b\r\n\r\n", -400),
      FX("GET /" H11 "X{: a\r\n\r\n", -400),
      FX("GET /" H11 "X Y: a\r\n\r\n", -400),
      FX("GET /" H11 "X\r\n\r\n", -400),                /* no colon */
      FX("GET /" H11 "\r\r\n", -400),
      FX("GET /" H11 "X:a\r\n\r\n", OK),
      FX("GET /" H11 "X:\r\n\r\n", OK),
      FX("GET /" H11 "X: \t\r\n\r\n", OK),
      FX("GET /" H11 "!#$%&'*+-.^_`|~09az: v\r\n\r\n", OK),
  };
  check_all(fx, sizeof fx / sizeof fx[0]);
}

Test(http_parser, host_rules) {
  static const fixture_t fx[] = {
      FX("GET / HTTP/1.1\r\n\r\n", -400),                 /* missing */
      FX("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", -400),
      FX("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", -400),
      FX("GET / HTTP/1.0\r\n\r\n", OK),
      FX("GET / HTTP/1.1\r\nHost:\r\n\r\n", OK),           /* empty is valid */
      FX("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", -400),
      FX("GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", -400),
      FX("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", -400),
      FX("GET / HTTP/1.1\r\nHost: a:80:90\r\n\r\n", -400),
      FX("GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", -400),
      FX("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", -400),
      FX("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", OK),
      FX("GET / HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n", OK),
      FX("GET / HTTP/1.1\r\nHost: xn--bcher-kva.example\r\n\r\n", OK),
      FX("GET / HTTP/1.1\r\nHost: a%41\r\n\r\n", OK),
      FX("GET http://a/ HTTP/1.1\r\n\r\n", -400),          /* still required */
  };
  check_all(fx, sizeof fx / sizeof fx[0]);
}

/* RFC 9112 §6 and the request smuggling classics. */
Test(http_parser, framing_and_smuggling) {
  static const fixture_t fx[] = {
      FX("POST /" H11 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
         -400),
      FX("POST /" H11 "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
         -400),
      FX("POST /" H11 "Content-Length: 5, 6\r\n\r\n", -400),
      FX("POST /" H11 "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", -400),
      FX("POST /" H11 "Content-Length: 5,5\r\nContent-Length: 5\r\n\r\n", OK),
      FX("POST /" H11 "Content-Length: +5\r\n\r\n", -400),
      FX("POST /" H11 "Content-Length: -1\r\n\r\n", -400),
      FX("POST /" H11 "Content-Length: 5 5\r\n\r\n", -400),
      FX("POST /" H11 "Content-Length: 0x5\r\n\r\n", -400),
      FX("POST /" H11 "Content-Length: 5.0\r\n\r\n", -400),
      FX("POST /" H11 "Content-Length:\r\n\r\n", -400),
      FX("POST /" H11 "Content-Length: ,\r\n\r\n", -400),
      FX("POST /" H11 "Content-Length: 5,\r\n\r\n", -400),  /* empty element */
      FX("POST /" H11 "Content-Length: ,5\r\n\r\n", -400),
      FX("POST /" H11 "Content-Length: 5,,5\r\n\r\n", -400),
      FX("POST /" H11 "Content-Length: 9223372036854775808\r\n\r\n", -400),
      FX("POST /" H11 "Content-Length: 99999999999999999999\r\n\r\n", -400),
      FX("POST /" H11 "Content-Length: 9223372036854775807\r\n\r\n", -413),
      FX("POST /" H11 "Content-Length: 1048577\r\n\r\n", -413),
      FX("POST /" H11 "Content-Length : 5\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding : chunked\r\n\r\n", -400),
      /* chunked present but not last, or absent: 400 whatever the other
       * coding, known or not (RFC 9112 §6.3); 501 only when chunked is
       * last and an earlier coding is unknown (§6.1). */
      FX("POST /" H11 "Transfer-Encoding: chunked, identity\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: identity\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: chunked, foo\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: chunked\r\n"
         "Transfer-Encoding: foo\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: gzip, foo, chunked\r\n\r\n", -501),
      FX("POST /" H11 "Transfer-Encoding: foo\r\n"
         "Transfer-Encoding: chunked\r\n\r\n", -501),
      FX("POST /" H11 "Transfer-Encoding: foo, chunked\r\n\r\n", -501),
      FX("POST /" H11 "Transfer-Encoding: gzip\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: chunked, gzip\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: chunked\r\n"
         "Transfer-Encoding: gzip\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: chunked, chunked\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: chunked\r\n"
         "Transfer-Encoding: chunked\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: chunked;q=1\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: \"chunked\"\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding:\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: ,\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: \x0b" "chunked\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: chunked\x00\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: x\r\n chunked\r\n\r\n", -400),
      FX("POST /" H11 "X: x\r\n Transfer-Encoding: chunked\r\n\r\n", -400),
      FX("POST /" H11 "Transfer-Encoding: , chunked\r\n\r\n", OK),
      FX("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -400),
      FX("POST /" H11 "Expect: 100-continue, foo\r\n\r\n", -417),
      FX("POST /" H11 "Expect: foo\r\n\r\n", -417),
      FX("POST / HTTP/1.0\r\nExpect: foo\r\n\r\n", OK),
      FX("GET /" H11 "Connection: a b\r\n\r\n", -400),
  };
  check_all(fx, sizeof fx / sizeof fx[0]);
}

/* Builds "GET /<pad> HTTP/1.1\r\nHost: a\r\n" + `nh` "X: y" lines + the
 * empty line; the request line is `rl` bytes long without CRLF. */
static char *build(size_t rl, size_t nh, size_t pad_value, size_t *len) {
  size_t cap = rl + 64 + nh * 8 + pad_value + 64;
  char *b = malloc(cap), *p = b;
  memcpy(p, "GET /", 5), p += 5;
  memset(p, 'a', rl - 14), p += rl - 14;
  memcpy(p, " HTTP/1.1\r\nHost: a\r\n", 20), p += 20;
  for (size_t i = 0; i < nh; i++) memcpy(p, "X: y\r\n", 6), p += 6;
  if (pad_value) {
    memcpy(p, "P: ", 3), p += 3;
    memset(p, 'v', pad_value), p += pad_value;
    memcpy(p, "\r\n", 2), p += 2;
  }
  memcpy(p, "\r\n", 2), p += 2;
  *len = (size_t)(p - b);
  return b;
}

Test(http_parser, limits) {
  size_t n;
  char *b;
  fixture_t f;
  b = build(8192, 0, 0, &n), f = (fixture_t){b, n, OK}, check(&f, NULL);
  free(b);
  b = build(8193, 0, 0, &n), f = (fixture_t){b, n, -414}, check(&f, NULL);
  free(b);
  b = build(100, 99, 0, &n), f = (fixture_t){b, n, OK}, check(&f, NULL);
  free(b); /* 99 + Host = 100 field lines */
  b = build(100, 100, 0, &n), f = (fixture_t){b, n, -431}, check(&f, NULL);
  free(b);
  /* Host line (9) + "P: " + value + CRLF + final CRLF = 16384 exactly. */
  b = build(100, 0, 16384 - 9 - 5 - 2, &n), f = (fixture_t){b, n, OK};
  check(&f, NULL);
  free(b);
  b = build(100, 0, 16384 - 9 - 5 - 1, &n), f = (fixture_t){b, n, -431};
  check(&f, NULL);
  free(b);
}

Test(http_parser, custom_limits_and_small_header_array) {
  eddy_http_limits_t lim = {.max_request_line = 20, .max_header_bytes = 30,
                            .max_headers = 2, .max_body = 10};
  eddy_http_header_t h[8];
  eddy_http_request_t req;
  const char *s = "GET /0123456789 HTTP/1.1\r\nHost: a\r\n\r\n";
  cr_assert_eq(eddy_http_parse_request(s, strlen(s), &req, h, 8, 0, &lim), -414);
  s = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n";
  cr_assert_eq(eddy_http_parse_request(s, strlen(s), &req, h, 8, 0, &lim), -431);
  s = "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\n\r\n";
  cr_assert_eq(eddy_http_parse_request(s, strlen(s), &req, h, 8, 0, &lim),
               (int)strlen(s));
  cr_assert_eq(eddy_http_parse_request(s, strlen(s), &req, h, 1, 0, &lim), -431);
  s = "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n";
  cr_assert_eq(eddy_http_parse_request(s, strlen(s), &req, h, 8, 0, NULL),
               (int)strlen(s));
  lim.max_header_bytes = 100;
  cr_assert_eq(eddy_http_parse_request(s, strlen(s), &req, h, 8, 0, &lim), -413);
}

/* Every prefix of every fixture, placed against a PROT_NONE page, whole
 * and as the continuation of the prefix one byte shorter. */
Test(http_parser, never_reads_past_len) {
  static const char *const fx[] = {
      "GET /a?b HTTP/1.1\r\nHost: [::1]:80\r\nX: \t v \r\n\r\n",
      "\r\n\r\nCONNECT h:1 HTTP/1.1\r\nHost: a%41\r\n\r\n",
      "GET http://h:1/p?q HTTP/1.1\r\nHost: a\r\nContent-Length: 1,1\r\n\r\n",
      "OPTIONS * HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST /%41 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n"
      "Expect: 100-continue\r\nConnection: close, upgrade\r\nUpgrade: x\r\n\r\n",
  };
  guard_t g;
  eddy_http_header_t h[16];
  eddy_http_request_t req;
  guard_init(&g);
  for (size_t k = 0; k < sizeof fx / sizeof fx[0]; k++) {
    size_t n = strlen(fx[k]);
    int prev = EDDY_HTTP_INCOMPLETE;
    for (size_t len = 0; len <= n; len++) {
      char *at = guard_put(&g, fx[k], len);
      int r = eddy_http_parse_request(at, len, &req, h, 16, 0, NULL);
      if (len > 0 && prev == EDDY_HTTP_INCOMPLETE) {
        int r2 = eddy_http_parse_request(at, len, &req, h, 16, len - 1, NULL);
        cr_assert_eq(r, r2, "fixture %zu len %zu", k, len);
      }
      if (len < n) cr_assert(r == EDDY_HTTP_INCOMPLETE || r < -99);
      prev = r;
    }
  }
  guard_free(&g);
}

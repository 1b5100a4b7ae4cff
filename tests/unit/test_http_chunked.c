/* Chunked body decoder: sizes, extensions, trailers, strict CRLF, limits,
 * every split giving the same data, in place and against a guard page. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/http_parser.h"
#include "support/http_helpers.h"

typedef struct {
  int r;
  size_t used, made;
  char data[4096];
} outcome_t;

static const eddy_http_limits_t small = {.max_body = 64, .max_chunk_ext = 16,
                                         .max_trailer_bytes = 32};

/* Decodes `n` bytes fed in pieces of `step` (0: all at once) into a
 * separate buffer; each piece sits against a guard page. */
static outcome_t decode(const char *in, size_t n, size_t step,
                        const eddy_http_limits_t *lim) {
  outcome_t o = {EDDY_HTTP_INCOMPLETE, 0, 0, {0}};
  eddy_http_chunked_t d;
  guard_t g;
  guard_init(&g);
  eddy_http_chunked_init(&d, lim);
  while (o.used < n) {
    size_t k = step && n - o.used > step ? step : n - o.used, u, m;
    char *at = guard_put(&g, in + o.used, k);
    o.r = eddy_http_chunked_decode(&d, at, k, o.data + o.made, &u, &m);
    o.used += u, o.made += m;
    if (o.r != EDDY_HTTP_INCOMPLETE) break;
  }
  guard_free(&g);
  return o;
}

/* The same, in place in one buffer, in random pieces. */
static outcome_t decode_in_place(const char *in, size_t n, unsigned seed,
                                 const eddy_http_limits_t *lim) {
  outcome_t o = {EDDY_HTTP_INCOMPLETE, 0, 0, {0}};
  eddy_http_chunked_t d;
  memcpy(o.data, in, n);
  eddy_http_chunked_init(&d, lim);
  while (o.used < n) {
    size_t k = (size_t)(rand_r(&seed) % 9) + 1, u, m;
    if (k > n - o.used) k = n - o.used;
    o.r = eddy_http_chunked_decode(&d, o.data + o.used, k, o.data + o.made,
                                   &u, &m);
    o.used += u, o.made += m;
    if (o.r != EDDY_HTTP_INCOMPLETE) break;
  }
  return o;
}

/* Checks result, consumed count and data for whole, byte-by-byte, 5-byte
 * and in-place random splits. */
static void expect(const char *in, size_t n, int r, size_t used,
                   const char *data, const eddy_http_limits_t *lim) {
  size_t steps[] = {0, 1, 2, 5};
  for (size_t s = 0; s < 4 + 6; s++) {
    outcome_t o = s < 4 ? decode(in, n, steps[s], lim)
                        : decode_in_place(in, n, (unsigned)s, lim);
    cr_assert_eq(o.r, r, "%.*s split %zu: got %d want %d", (int)n, in, s,
                 o.r, r);
    if (r == EDDY_HTTP_DONE) {
      cr_assert_eq(o.used, used, "split %zu consumed %zu", s, o.used);
      cr_assert_eq(o.made, strlen(data));
      cr_assert_arr_eq(o.data, data, o.made);
    }
  }
}

#define EXPECT(lit, r, used, data) expect(lit, sizeof(lit) - 1, r, used, data, NULL)
#define DONE_ALL(lit, data) EXPECT(lit, EDDY_HTTP_DONE, sizeof(lit) - 1, data)
#define BAD(lit) EXPECT(lit, -400, 0, "")

Test(http_chunked, valid_bodies) {
  DONE_ALL("5\r\nhello\r\n0\r\n\r\n", "hello");
  DONE_ALL("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world");
  DONE_ALL("A\r\n0123456789\r\na\r\nabcdefghij\r\n0\r\n\r\n",
           "0123456789abcdefghij");
  DONE_ALL("0000000000000003\r\nabc\r\n00\r\n\r\n", "abc"); /* 16 digits */
  DONE_ALL("0\r\n\r\n", "");
  DONE_ALL("3\r\n\r\n\r\r\n0\r\n\r\n", "\r\n\r");
}

Test(http_chunked, the_rest_belongs_to_the_next_request) {
  const char in[] = "2\r\nhi\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
  EXPECT(in, EDDY_HTTP_DONE, 12, "hi");
}

Test(http_chunked, extensions) {
  DONE_ALL("5;a\r\nhello\r\n0\r\n\r\n", "hello");
  DONE_ALL("5;a=b\r\nhello\r\n0;c=\"d\"\r\n\r\n", "hello");
  DONE_ALL("5 ; a = b ; c\r\nhello\r\n0\r\n\r\n", "hello");
  DONE_ALL("5;a=\"q \\\" \\\\ ; x\"\r\nhello\r\n0\r\n\r\n", "hello");
  DONE_ALL("5;a=\"\xc3\xa9\"\r\nhello\r\n0\r\n\r\n", "hello");
  BAD("5;\r\nhello\r\n0\r\n\r\n");
  BAD("5;=b\r\nhello\r\n0\r\n\r\n");
  BAD("5;a=\r\nhello\r\n0\r\n\r\n");
  BAD("5;a b\r\nhello\r\n0\r\n\r\n");
  BAD("5;a=b c\r\nhello\r\n0\r\n\r\n");
  BAD("5;a=\"b\r\nhello\r\n0\r\n\r\n");
  BAD("5;a=\"b\"c\r\nhello\r\n0\r\n\r\n");
  BAD("5;a=(b)\r\nhello\r\n0\r\n\r\n");
  BAD("5;a\x00\r\nhello\r\n0\r\n\r\n");
  BAD("5 \r\nhello\r\n0\r\n\r\n"); /* BWS only before ';' */
  BAD("5;a \r\nhello\r\n0\r\n\r\n");
  BAD("5;a\nhello\r\n0\r\n\r\n");
}

Test(http_chunked, extensions_are_bounded) {
  /* The bound counts the bytes after ';' up to the CR: 16 here. */
  const char ok[] = "1;aaaaaaaaaaaaaaa\r\nx\r\n0\r\n\r\n";
  const char bad[] = "1;aaaaaaaaaaaaaaaa\r\nx\r\n0\r\n\r\n";
  expect(ok, sizeof ok - 1, EDDY_HTTP_DONE, sizeof ok - 1, "x", &small);
  expect(bad, sizeof bad - 1, -400, 0, "", &small);
}

Test(http_chunked, sizes) {
  BAD("ffffffffffffffffff\r\n"); /* overflow, not a wrap */
  BAD("10000000000000000\r\n");
  BAD("\r\nhello\r\n0\r\n\r\n");
  BAD("-5\r\nhello\r\n0\r\n\r\n");
  BAD("+5\r\nhello\r\n0\r\n\r\n");
  BAD("0x5\r\nhello\r\n0\r\n\r\n");
  BAD(" 5\r\nhello\r\n0\r\n\r\n");
  BAD("g\r\n");
  BAD(";a\r\n");
  EXPECT("100001\r\n", -413, 0, ""); /* past 1 MiB */
  EXPECT("fffffffffffffff\r\n", -413, 0, "");
  EXPECT("100000\r\n", EDDY_HTTP_INCOMPLETE, 0, "");
}

/* A size has at most 16 digits, leading zeros included: "000..." sent
 * forever is 400, not a connection held open (issue 16). */
Test(http_chunked, leading_zeros_are_bounded) {
  const char ok[] = "0000000000000005\r\nhello\r\n"
                    "0000000000000000\r\n\r\n";
  expect(ok, sizeof ok - 1, EDDY_HTTP_DONE, sizeof ok - 1, "hello", NULL);
  BAD("00000000000000005\r\nhello\r\n0\r\n\r\n");
  BAD("5\r\nhello\r\n00000000000000000\r\n\r\n");
  /* The count starts again for each chunk. */
  const char two[] = "0000000000000001\r\na\r\n0000000000000001\r\nb\r\n"
                     "0\r\n\r\n";
  expect(two, sizeof two - 1, EDDY_HTTP_DONE, sizeof two - 1, "ab", NULL);
  /* Byte by byte, the error comes at the 17th digit, not later. */
  char zeros[4096];
  memset(zeros, '0', sizeof zeros);
  outcome_t o = decode(zeros, sizeof zeros, 1, NULL);
  cr_assert_eq(o.r, -400);
  cr_assert_eq(o.used, 17);
}

Test(http_chunked, body_limit_counts_every_chunk) {
  const char ok[] = "20\r\n................................\r\n"
                    "20\r\n................................\r\n0\r\n\r\n";
  const char over[] = "20\r\n................................\r\n"
                      "21\r\n";
  char want[65];
  memset(want, '.', 64), want[64] = 0;
  expect(ok, sizeof ok - 1, EDDY_HTTP_DONE, sizeof ok - 1, want, &small);
  expect(over, sizeof over - 1, -413, 0, "", &small);
}

Test(http_chunked, line_endings_are_strict) {
  BAD("5\nhello\n0\n\n");
  BAD("5\r\nhello\n0\r\n\r\n");
  BAD("5\r\nhelloXX0\r\n\r\n");
  BAD("5\r\nhello\r\r\n0\r\n\r\n");
  BAD("5\rhello\r\n0\r\n\r\n");
  BAD("5\r\nhello\r\n0\r\n\n");
  BAD("5\r\nhello\r\n0\n\r\n");
  BAD("5\r\nhello world\r\n0\r\n\r\n"); /* more data than the size */
}

Test(http_chunked, trailers) {
  DONE_ALL("1\r\nx\r\n0\r\nExpires: never\r\nX-Sum:1\r\n\r\n", "x");
  DONE_ALL("0\r\nX: \t\xc3\xa9\r\n\r\n", "");
  BAD("0\r\n X: folded\r\n\r\n");
  BAD("0\r\nX : a\r\n\r\n");
  BAD("0\r\n: a\r\n\r\n");
  BAD("0\r\nX\r\n\r\n");
  BAD("0\r\nX: a\x00\r\n\r\n");
  BAD("0\r\nX: a\nY: b\r\n\r\n");
  BAD("0\r\nX: a\rb\r\n\r\n");
  /* The trailer section, final CRLF included, may be 32 bytes here. */
  const char ok[] = "0\r\nX: 1234567890123456789012345\r\n\r\n";
  const char big[] = "0\r\nX: 12345678901234567890123456\r\n\r\n";
  expect(ok, sizeof ok - 1, EDDY_HTTP_DONE, sizeof ok - 1, "", &small);
  expect(big, sizeof big - 1, -400, 0, "", &small);
}

Test(http_chunked, errors_are_sticky_and_init_resets) {
  eddy_http_chunked_t d;
  char out[32];
  size_t u, m;
  eddy_http_chunked_init(&d, NULL);
  cr_assert_eq(eddy_http_chunked_decode(&d, "z", 1, out, &u, &m), -400);
  cr_assert_eq(eddy_http_chunked_decode(&d, "0\r\n\r\n", 5, out, &u, &m),
               -400);
  eddy_http_chunked_init(&d, NULL);
  cr_assert_eq(eddy_http_chunked_decode(&d, "0\r\n\r\n", 5, out, &u, &m),
               EDDY_HTTP_DONE);
  cr_assert_eq(u, 5);
  cr_assert_eq(eddy_http_chunked_decode(&d, "", 0, out, &u, &m),
               EDDY_HTTP_DONE);
}

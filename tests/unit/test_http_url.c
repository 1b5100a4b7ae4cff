/* URL helpers: split, percent-decode, dot-segment removal. */
#include <criterion/criterion.h>
#include <string.h>

#include "eddy/http_parser.h"
#include "support/http_helpers.h"

static int slice_is(eddy_http_slice_t s, const char *want) {
  return s.len == strlen(want) && memcmp(s.base, want, s.len) == 0;
}

Test(http_url, split) {
  eddy_http_slice_t p, q;
  eddy_http_url_split("/a/b?x=1?y", 10, &p, &q);
  cr_assert(slice_is(p, "/a/b") && slice_is(q, "x=1?y"));
  eddy_http_url_split("/a", 2, &p, &q);
  cr_assert(slice_is(p, "/a") && q.len == 0);
  eddy_http_url_split("/a?", 3, &p, &q);
  cr_assert(slice_is(p, "/a") && q.len == 0);
  eddy_http_url_split("/a#f?x", 6, &p, &q);
  cr_assert(slice_is(p, "/a") && q.len == 0);
  eddy_http_url_split("/a?x#f", 6, &p, &q);
  cr_assert(slice_is(p, "/a") && slice_is(q, "x"));
}

static void dec(const char *in, int plus, ssize_t want_len, const char *want) {
  char out[256];
  guard_t g;
  guard_init(&g);
  char *at = guard_put(&g, in, strlen(in));
  ssize_t n = eddy_http_url_decode(at, strlen(in), out, plus);
  cr_assert_eq(n, want_len, "%s -> %zd", in, n);
  if (n >= 0) cr_assert_arr_eq(out, want, (size_t)n);
  /* In place gives the same. */
  ssize_t m = eddy_http_url_decode(at, strlen(in), at, plus);
  cr_assert_eq(m, n);
  if (n >= 0) cr_assert_arr_eq(at, want, (size_t)n);
  guard_free(&g);
}

Test(http_url, percent_decode) {
  dec("/a%20b", 0, 4, "/a b");
  dec("%41%62%2F%2f", 0, 4, "Ab//");
  dec("a+b", 0, 3, "a+b");
  dec("a+b", 1, 3, "a b");
  dec("%2B", 1, 1, "+");
  dec("%e2%82%ac", 0, 3, "\xe2\x82\xac");
  dec("", 0, 0, "");
  dec("%00", 0, -EINVAL, "");
  dec("a%zz", 0, -EINVAL, "");
  dec("a%4", 0, -EINVAL, "");
  dec("a%", 0, -EINVAL, "");
  dec("%g1", 0, -EINVAL, "");
}

static void norm(const char *in, const char *want) {
  char buf[256];
  size_t n = strlen(in);
  memcpy(buf, in, n);
  ssize_t r = eddy_http_path_normalize(buf, n);
  cr_assert_eq(r, (ssize_t)strlen(want), "%s -> %.*s", in, (int)r, buf);
  cr_assert_arr_eq(buf, want, (size_t)r, "%s -> %.*s", in, (int)r, buf);
}

Test(http_url, normalize_dot_segments) {
  norm("/a/./b/../c", "/a/c");
  norm("/a/b/c/./../../g", "/a/g"); /* RFC 3986 §5.2.4 */
  norm("/mid/content=5/../6", "/mid/6");
  norm("/", "/");
  norm("/.", "/");
  norm("/..", "/");
  norm("/../a", "/a");
  norm("/../../../etc/passwd", "/etc/passwd");
  norm("/a/..", "/");
  norm("/a/../..", "/");
  norm("/a/b/..", "/a/");
  norm("/a/.", "/a/");
  norm("/a/./", "/a/");
  norm("/a/", "/a/");
  norm("/a/.b/..c/...", "/a/.b/..c/...");
  norm("/a//b", "/a//b");
  norm("/a/b/../../..", "/");
  norm("/./././x", "/x");
  cr_assert_eq(eddy_http_path_normalize((char[]){'a'}, 1), -EINVAL);
  cr_assert_eq(eddy_http_path_normalize((char[]){'/'}, 0), -EINVAL);
}

Test(http_url, never_reads_past_len) {
  static const char *const fx[] = {"/a/./b/../c?x=%41#f", "/%2e%2e/%00",
                                   "/..", "/a%4"};
  guard_t g;
  eddy_http_slice_t p, q;
  char out[64];
  guard_init(&g);
  for (size_t k = 0; k < sizeof fx / sizeof fx[0]; k++)
    for (size_t len = 0; len <= strlen(fx[k]); len++) {
      char *at = guard_put(&g, fx[k], len);
      eddy_http_url_split(at, len, &p, &q);
      eddy_http_url_decode(at, len, out, 1);
      eddy_http_path_normalize(at, len);
    }
  guard_free(&g);
}

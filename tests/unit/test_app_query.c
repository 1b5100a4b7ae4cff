/* Query strings, forms and cookies into pairs (src/app/query.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/app.h"

TestSuite(app_query, .timeout = 10);

/* A bump allocator over a static buffer, like the request's arena. */
static char pool[1 << 16];
static size_t used;
static void *bump(void *ctx, size_t n) {
  (void)ctx;
  n = (n + 15) & ~(size_t)15;
  if (used + n > sizeof pool) return NULL;
  void *p = pool + used;
  used += n;
  return p;
}

static eddy_app_pair_t *p;

static ssize_t q(const char *s, int strict) {
  used = 0;
  return eddy_app_parse_query(s, strlen(s), strict, bump, NULL, &p);
}

static ssize_t c(const char *s) {
  used = 0;
  return eddy_app_parse_cookies(s, strlen(s), bump, NULL, &p);
}

Test(app_query, decodes_and_keeps_repeated_keys_in_order) {
  cr_assert_eq(q("a=1&b=x%20y+z&a=2&flag&=skip&&c=%E2%82%AC", 0), 5);
  cr_assert_str_eq(p[0].name, "a");
  cr_assert_str_eq(p[0].value, "1");
  cr_assert_str_eq(p[1].value, "x y z");
  cr_assert_str_eq(p[2].name, "a");
  cr_assert_str_eq(p[2].value, "2");
  cr_assert_str_eq(p[3].name, "flag");
  cr_assert_str_eq(p[3].value, "");
  cr_assert_str_eq(p[4].name, "c");
  cr_assert_str_eq(p[4].value, "\xe2\x82\xac");
}

Test(app_query, keys_are_decoded_too) {
  cr_assert_eq(q("a%5Bb%5D=1&x+y=2", 0), 2);
  cr_assert_str_eq(p[0].name, "a[b]");
  cr_assert_str_eq(p[1].name, "x y");
}

Test(app_query, malformed_escape_kept_raw_or_refused_when_strict) {
  cr_assert_eq(q("a=%zz&b=%4", 0), 2);
  cr_assert_str_eq(p[0].value, "%zz");
  cr_assert_str_eq(p[1].value, "%4");
  cr_assert_eq(q("a=%zz", 1), -EINVAL);
  cr_assert_eq(q("a=%00", 1), -EINVAL);
  cr_assert_eq(q("a=ok", 1), 1);
}

Test(app_query, empty) {
  cr_assert_eq(q("", 0), 0);
  cr_assert_eq(q("&&&", 0), 0);
}

Test(app_query, cookies) {
  cr_assert_eq(c("sid=abc123; theme=\"dark\" ;  lang = en ;bad; =x; e="), 4);
  cr_assert_str_eq(p[0].name, "sid");
  cr_assert_str_eq(p[0].value, "abc123");
  cr_assert_str_eq(p[1].name, "theme");
  cr_assert_str_eq(p[1].value, "dark");
  cr_assert_str_eq(p[2].name, "lang");
  cr_assert_str_eq(p[2].value, "en");
  cr_assert_str_eq(p[3].name, "e");
  cr_assert_str_eq(p[3].value, "");
  /* Values are not decoded. */
  cr_assert_eq(c("a=%20b"), 1);
  cr_assert_str_eq(p[0].value, "%20b");
}

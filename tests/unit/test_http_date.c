/* eddy_http_date: the IMF-fixdate, and a time it cannot format (gmtime_r
 * fails or the year has five digits) gives the epoch, never bytes from an
 * unset struct tm. */
#include <criterion/criterion.h>
#include <limits.h>
#include <string.h>

#include "eddy/http.h"

static void check(long long t, const char *want) {
  char out[30];
  memset(out, 'x', sizeof(out));
  eddy_http_date(t, out);
  cr_assert_str_eq(out, want, "t=%lld", t);
}

Test(http_date, formats_imf_fixdate) {
  check(784111777, "Sun, 06 Nov 1994 08:49:37 GMT");
  check(0, "Thu, 01 Jan 1970 00:00:00 GMT");
  check(253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT");
}

Test(http_date, unformattable_times_give_the_epoch) {
  check(253402300800LL, "Thu, 01 Jan 1970 00:00:00 GMT"); /* year 10000 */
  check(LLONG_MAX, "Thu, 01 Jan 1970 00:00:00 GMT");      /* gmtime_r fails */
  check(LLONG_MIN, "Thu, 01 Jan 1970 00:00:00 GMT");
  check(-62167219201LL, "Thu, 01 Jan 1970 00:00:00 GMT"); /* year -1 */
}

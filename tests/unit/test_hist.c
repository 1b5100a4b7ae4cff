/* The log-linear histogram. */
#include "support/loop_helpers.h"

static eddy_hist_t h;

Test(hist, percentiles_within_bucket_precision) {
  eddy_hist_reset(&h);
  for (uint64_t v = 1; v <= 100000; v++) eddy_hist_record(&h, v * 1000);
  eddy_hist_stats_t st;
  eddy_hist_stats(&h, &st);
  cr_assert_eq(st.count, 100000);
  cr_assert_eq(st.min, 1000);
  cr_assert_eq(st.max, 100000000);
  cr_assert_float_eq(st.mean, 50000500.0, 1.0);
  double p50 = (double)st.p50, p99 = (double)st.p99;
  cr_assert(p50 >= 50e6 && p50 <= 50e6 * 1.0625, "p50 %f", p50);
  cr_assert(p99 >= 99e6 && p99 <= 100e6, "p99 %f", p99);
  cr_assert(st.stddev > 28e6 && st.stddev < 30e6, "stddev %f", st.stddev);
}

Test(hist, empty_and_extremes) {
  eddy_hist_stats_t st;
  eddy_hist_reset(&h);
  eddy_hist_stats(&h, &st);
  cr_assert_eq(st.count, 0);
  cr_assert_eq(eddy_hist_percentile(&h, 50), 0);
  eddy_hist_record(&h, 0);
  eddy_hist_record(&h, UINT64_MAX);
  cr_assert_eq(eddy_hist_percentile(&h, 0), 0);
  cr_assert_eq(eddy_hist_percentile(&h, 100), UINT64_MAX);
  for (uint64_t v = 0; v < 16; v++) {
    eddy_hist_reset(&h);
    eddy_hist_record(&h, v);
    cr_assert_eq(eddy_hist_percentile(&h, 50), v, "small values are exact");
  }
}

/*
 * eddy — histograms for latency-like values (nanoseconds, bytes, counts).
 *
 * A log-linear histogram in the HdrHistogram style: each power of two is cut
 * into 16 equal sub-buckets, so a recorded value is kept within 1/16 (6.25%)
 * of its true size, from 1 to 2^48. Recording is O(1) with no allocation:
 * the buckets live inside the struct (about 6 KiB), which the caller owns.
 *
 * Not thread-safe: one writer, or the caller's own lock.
 */
#ifndef EDDY_METRICS_H
#define EDDY_METRICS_H

#include <stdint.h>

#include "eddy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EDDY_HIST_SUB 16
#define EDDY_HIST_BUCKETS (48 * EDDY_HIST_SUB)

typedef struct {
  uint64_t count;
  uint64_t min;
  uint64_t max;
  uint64_t sum;
  uint64_t buckets[EDDY_HIST_BUCKETS];
} eddy_hist_t;

/* A summary of a histogram; all zero when it is empty. */
typedef struct {
  uint64_t count;
  uint64_t min;
  uint64_t max;
  double mean;
  double stddev;
  uint64_t p50;
  uint64_t p90;
  uint64_t p99;
} eddy_hist_stats_t;

/* Empties the histogram. */
EDDY_EXTERN void eddy_hist_reset(eddy_hist_t *h);

/* Records one value; values above 2^48 count in the last bucket. */
EDDY_EXTERN void eddy_hist_record(eddy_hist_t *h, uint64_t value);

/*
 * The value at percentile `p` (0..100): the upper bound of the bucket that
 * holds it, clamped to the recorded max. 0 when empty.
 */
EDDY_EXTERN uint64_t eddy_hist_percentile(const eddy_hist_t *h, double p);

/* Fills `out` with count, min, max, mean, stddev, p50, p90, p99. */
EDDY_EXTERN void eddy_hist_stats(const eddy_hist_t *h, eddy_hist_stats_t *out);

#ifdef __cplusplus
}
#endif
#endif

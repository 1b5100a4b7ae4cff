/* Log-linear histogram: 16 sub-buckets per power of two (see metrics.h). */
#include <math.h>
#include <string.h>

#include "eddy/metrics.h"

static unsigned bucket_of(uint64_t v) {
  if (v < EDDY_HIST_SUB) return (unsigned)v;
  unsigned e = 63u - (unsigned)__builtin_clzll(v);
  if (e > 47) return EDDY_HIST_BUCKETS - 1;
  unsigned sub = (unsigned)(v >> (e - 4)) & (EDDY_HIST_SUB - 1);
  return (e - 3) * EDDY_HIST_SUB + sub;
}

/* The largest value that lands in bucket `i`. */
static uint64_t bucket_upper(unsigned i) {
  if (i < EDDY_HIST_SUB) return i;
  unsigned e = i / EDDY_HIST_SUB + 3, sub = i % EDDY_HIST_SUB;
  uint64_t lower = (uint64_t)(EDDY_HIST_SUB + sub) << (e - 4);
  return lower + ((uint64_t)1 << (e - 4)) - 1;
}

void eddy_hist_reset(eddy_hist_t *h) { memset(h, 0, sizeof(*h)); }

void eddy_hist_record(eddy_hist_t *h, uint64_t value) {
  if (h->count == 0 || value < h->min) h->min = value;
  if (value > h->max) h->max = value;
  h->count++;
  h->sum += value;
  h->buckets[bucket_of(value)]++;
}

uint64_t eddy_hist_percentile(const eddy_hist_t *h, double p) {
  if (h->count == 0) return 0;
  if (p < 0) p = 0;
  if (p > 100) p = 100;
  uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->count);
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (unsigned i = 0; i < EDDY_HIST_BUCKETS; i++) {
    seen += h->buckets[i];
    if (seen >= rank) {
      if (i == EDDY_HIST_BUCKETS - 1) return h->max; /* the overflow bucket */
      uint64_t v = bucket_upper(i);
      if (v > h->max) v = h->max;
      return v < h->min ? h->min : v;
    }
  }
  return h->max;
}

void eddy_hist_stats(const eddy_hist_t *h, eddy_hist_stats_t *out) {
  memset(out, 0, sizeof(*out));
  if (h->count == 0) return;
  out->count = h->count;
  out->min = h->min;
  out->max = h->max;
  out->mean = (double)h->sum / (double)h->count;
  double var = 0;
  for (unsigned i = 0; i < EDDY_HIST_BUCKETS; i++) {
    if (!h->buckets[i]) continue;
    /* Bucket midpoints approximate the values (within 1/32 of each). */
    double lo = i ? (double)bucket_upper(i - 1) + 1 : 0;
    double mid = (lo + (double)bucket_upper(i)) / 2 - out->mean;
    var += mid * mid * (double)h->buckets[i];
  }
  out->stddev = sqrt(var / (double)h->count);
  out->p50 = eddy_hist_percentile(h, 50);
  out->p90 = eddy_hist_percentile(h, 90);
  out->p99 = eddy_hist_percentile(h, 99);
}

/* Private to the metrics registry (metrics_reg.c, metrics_text.c). */
#ifndef EDDY_APP_METRICS_INT_H
#define EDDY_APP_METRICS_INT_H

#include "eddy/observe.h"

#define METRICS_SERIES 1024
#define METRICS_POOLS 4
#define LAT_BUCKETS 14   /* request duration bounds, seconds */
#define DELAY_BUCKETS 12 /* loop delay bounds, seconds */
#define DELAY_SAMPLE_MS 10

extern const double eddy__lat_bounds[LAT_BUCKETS];
extern const double eddy__delay_bounds[DELAY_BUCKETS];

/* A fixed-bucket histogram: counts per bucket (the last one is +Inf). */
typedef struct {
  uint64_t
      count[DELAY_BUCKETS > LAT_BUCKETS ? DELAY_BUCKETS + 1 : LAT_BUCKETS + 1];
  uint64_t sum_ns;
  uint64_t total;
} metrics_hist_t;

typedef struct {
  char *route; /* malloc'd; NULL: empty slot */
  uint32_t hash;
  int method;
  int status;
  uint64_t count;
} metrics_series_t;

struct eddy_app_metrics_s {
  eddy_timer_t sampler; /* first: the close callback frees the struct */
  uint64_t expected_ns; /* when the sampler should fire next */
  eddy_loop_t *loop;
  eddy_http_server_t *server;
  eddy_static_t *files;
  struct {
    eddy_pool_t *pool;
    const char *name;
  } pools[METRICS_POOLS];
  unsigned npools;
  metrics_series_t series[METRICS_SERIES]; /* open addressing */
  unsigned nseries;
  uint64_t unlabelled; /* requests beyond the label-set limit */
  metrics_hist_t latency;
  metrics_hist_t delay;
  int64_t start_s; /* process start, wall clock */
};

/* Counts `ns` in `h` whose bounds are `bounds[n]` (seconds). */
void eddy__metrics_hist_add(metrics_hist_t *h, const double *bounds, unsigned n,
                            uint64_t ns);

#endif

/*
 * The metrics registry: request counters by (method, route, status) in a
 * bounded open-addressing table keyed by the route's text (so a route
 * mounted twice is one series), fixed-bucket histograms, and the
 * event-loop delay sampler.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/metrics_int.h"

const double eddy__lat_bounds[LAT_BUCKETS] = {0.0005, 0.001, 0.0025, 0.005,
                                              0.01,   0.025, 0.05,   0.1,
                                              0.25,   0.5,   1,      2.5,
                                              5,      10};
const double eddy__delay_bounds[DELAY_BUCKETS] = {0.0001, 0.0005, 0.001, 0.005,
                                                  0.01,   0.025,  0.05,  0.1,
                                                  0.25,   0.5,    1,     5};

void eddy__metrics_hist_add(metrics_hist_t *h, const double *bounds, unsigned n,
                            uint64_t ns) {
  unsigned i = 0;
  double s = (double)ns / 1e9;
  while (i < n && s > bounds[i]) i++;
  h->count[i]++;
  h->sum_ns += ns;
  h->total++;
}

/* The sampler fires every 10 ms; how late it is, is the loop's delay. */
static void on_sample(eddy_timer_t *t) {
  eddy_app_metrics_t *m = t->data;
  uint64_t now = eddy_hrtime();
  uint64_t late = now > m->expected_ns ? now - m->expected_ns : 0;
  eddy__metrics_hist_add(&m->delay, eddy__delay_bounds, DELAY_BUCKETS, late);
  m->expected_ns = now + DELAY_SAMPLE_MS * 1000000ull;
}

int eddy_app_metrics_create(eddy_loop_t *loop, eddy_app_metrics_t **out) {
  eddy_app_metrics_t *m = calloc(1, sizeof(*m));
  if (!m) return -ENOMEM;
  m->loop = loop;
  m->start_s = (int64_t)time(NULL);
  eddy_timer_init(loop, &m->sampler);
  m->sampler.data = m;
  m->expected_ns = eddy_hrtime() + DELAY_SAMPLE_MS * 1000000ull;
  eddy_timer_start(&m->sampler, on_sample, DELAY_SAMPLE_MS, DELAY_SAMPLE_MS);
  eddy_unref(EDDY_HANDLE(&m->sampler));
  *out = m;
  return 0;
}

static void free_metrics(eddy_handle_t *h) {
  eddy_app_metrics_t *m = (eddy_app_metrics_t *)h; /* sampler is first */
  for (unsigned i = 0; i < METRICS_SERIES; i++) free(m->series[i].route);
  free(m);
}

void eddy_app_metrics_close(eddy_app_metrics_t *m) {
  if (m) eddy_close(EDDY_HANDLE(&m->sampler), free_metrics);
}

void eddy_app_metrics_set_server(eddy_app_metrics_t *m,
                                 eddy_http_server_t *server) {
  m->server = server;
}

void eddy_app_metrics_set_static(eddy_app_metrics_t *m, eddy_static_t *files) {
  m->files = files;
}

int eddy_app_metrics_add_pool(eddy_app_metrics_t *m, eddy_pool_t *pool,
                              const char *name) {
  if (m->npools == METRICS_POOLS) return -ENOSPC;
  m->pools[m->npools].pool = pool;
  m->pools[m->npools++].name = name;
  return 0;
}

static uint32_t key_hash(int method, const char *route, int status) {
  uint32_t h = 2166136261u ^ (uint32_t)method * 31u ^ (uint32_t)status;
  for (const char *p = route; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
  return h;
}

/* The series for the key, made if there is room; NULL when full. */
static metrics_series_t *find_series(eddy_app_metrics_t *m, int method,
                                     const char *route, int status) {
  uint32_t h = key_hash(method, route, status);
  for (unsigned i = 0; i < METRICS_SERIES; i++) {
    metrics_series_t *s = &m->series[(h + i) & (METRICS_SERIES - 1)];
    if (!s->route) {
      if (m->nseries >= METRICS_SERIES * 3 / 4) return NULL;
      if (!(s->route = strdup(route))) return NULL;
      s->hash = h, s->method = method, s->status = status;
      m->nseries++;
      return s;
    }
    if (s->hash == h && s->method == method && s->status == status &&
        strcmp(s->route, route) == 0)
      return s;
  }
  return NULL;
}

void eddy_app_metrics_record(eddy_app_metrics_t *m, eddy_http_method_t method,
                             const char *route, int status,
                             uint64_t duration_ns) {
  metrics_series_t *s = find_series(m, (int)method, route ? route : "none",
                                    status);
  if (s)
    s->count++;
  else
    m->unlabelled++;
  eddy__metrics_hist_add(&m->latency, eddy__lat_bounds, LAT_BUCKETS,
                         duration_ns);
}

/*
 * Aggregated metrics: every heartbeat interval the primary sends each
 * worker the last report of every worker and the restart counts (a STATS
 * frame), so whichever worker answers GET /metrics can show the whole
 * cluster, in the Prometheus text format, without asking the primary.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/worker.h"

/* Primary: builds and sends the STATS frame to every listening worker. */
void eddy__cluster_stats_broadcast(eddy_cluster_t *c) {
  size_t n = 0, max = (EDDY_CLUSTER_MAX_MESSAGE - FRAME_STATS_HEAD) /
                      FRAME_STATS_ENTRY;
  uint8_t *buf = malloc(EDDY_CLUSTER_MAX_MESSAGE), *p;
  if (!buf) return;
  for (int i = 0; i < EDDY_CLUSTER_CAUSES; i++)
    eddy__cluster_put_u64(buf + 8 * i, c->restarts[i]);
  p = buf + FRAME_STATS_HEAD;
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &c->workers) {
    worker_t *w = EDDY_CONTAINER_OF(q, worker_t, node);
    if (w->state == W_DEAD || !w->have_report || n == max) continue;
    eddy__cluster_put_u64(p, w->id);
    eddy__cluster_put_u64(p + 8, w->slot);
    eddy__cluster_report_encode(&w->last, p + 16);
    p += FRAME_STATS_ENTRY;
    n++;
  }
  EDDY_QUEUE_FOREACH(q, &c->workers) {
    worker_t *w = EDDY_CONTAINER_OF(q, worker_t, node);
    if (w->state == W_LISTENING)
      eddy__cluster_channel_send(&w->ch, FRAME_STATS, buf, (size_t)(p - buf));
  }
  free(buf);
}

/* Worker: keeps the latest STATS payload (checked by the decoder). */
void eddy__cluster_stats_keep(wpriv_t *p, const uint8_t *d, size_t n) {
  uint8_t *copy = malloc(n);
  if (!copy) return;
  memcpy(copy, d, n);
  free(p->stats);
  p->stats = copy;
  p->stats_len = n;
}

typedef struct {
  char *buf;
  size_t max, len;
} out_t;

__attribute__((format(printf, 2, 3))) static void put(out_t *o, const char *fmt,
                                                      ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = o->len < o->max ? o->max - o->len : 0;
  int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0) o->len += (size_t)n;
}

typedef struct {
  const char *name, *type, *help;
} family_t;

static const family_t families[] = {
    {"eddy_worker_requests_total", "counter", "requests served"},
    {"eddy_worker_connections", "gauge", "open connections"},
    {"eddy_worker_rss_bytes", "gauge", "resident memory"},
    {"eddy_worker_loop_delay_p99_seconds", "gauge", "event-loop delay p99"},
    {"eddy_worker_utilization", "gauge", "event-loop utilization 0..1"},
};

static double value(int f, const eddy_cluster_report_t *r) {
  switch (f) {
  case 0: return (double)r->requests;
  case 1: return (double)r->connections;
  case 2: return (double)r->rss_bytes;
  case 3: return (double)r->delay_p99_ns / 1e9;
  default: return r->utilization;
  }
}

static void per_worker(out_t *o, const uint8_t *e, size_t n, double *sum) {
  for (int f = 0; f < 5; f++) {
    put(o, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help,
        families[f].name, families[f].type);
    for (size_t i = 0; i < n; i++) {
      const uint8_t *x = e + i * FRAME_STATS_ENTRY;
      eddy_cluster_report_t r;
      if (eddy__cluster_report_decode(x + 16, FRAME_REPORT_SIZE, &r) < 0)
        continue;
      put(o, "%s{worker=\"%llu\",slot=\"%llu\",pid=\"%llu\"} %.9g\n",
          families[f].name, (unsigned long long)eddy__cluster_get_u64(x),
          (unsigned long long)eddy__cluster_get_u64(x + 8),
          (unsigned long long)r.pid, value(f, &r));
      sum[f] += value(f, &r);
    }
  }
}

int eddy_cluster_worker_metrics(eddy_cluster_worker_t *w, char *buf,
                                size_t max) {
  static const char *const causes[] = {"crash", "stall", "memory", "reload",
                                       "ipc"};
  wpriv_t *p = w->_p;
  if (!p->stats) return -EAGAIN;
  out_t o = {buf, max, 0};
  size_t n = (p->stats_len - FRAME_STATS_HEAD) / FRAME_STATS_ENTRY;
  double sum[5] = {0};
  if (max) buf[0] = '\0';
  per_worker(&o, p->stats + FRAME_STATS_HEAD, n, sum);
  put(&o, "# TYPE eddy_cluster_workers gauge\neddy_cluster_workers %zu\n", n);
  put(&o,
      "# TYPE eddy_cluster_requests_total counter\n"
      "eddy_cluster_requests_total %.0f\n",
      sum[0]);
  put(&o,
      "# TYPE eddy_cluster_connections gauge\n"
      "eddy_cluster_connections %.0f\n",
      sum[1]);
  put(&o,
      "# TYPE eddy_cluster_rss_bytes gauge\n"
      "eddy_cluster_rss_bytes %.0f\n",
      sum[2]);
  put(&o, "# TYPE eddy_cluster_restarts_total counter\n");
  for (int i = 0; i < EDDY_CLUSTER_CAUSES; i++)
    put(&o, "eddy_cluster_restarts_total{cause=\"%s\"} %llu\n", causes[i],
        (unsigned long long)eddy__cluster_get_u64(p->stats + 8 * i));
  return (int)o.len;
}

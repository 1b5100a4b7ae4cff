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

/* Primary: one worker's STATS entry: its last report, and what blocks its
 * loop now if the stall note says so. */
static void put_entry(worker_t *w, uint8_t *p) {
  char label[FRAME_LABEL_SIZE];
  memset(p, 0, FRAME_STATS_ENTRY);
  eddy__cluster_put_u64(p, w->id);
  eddy__cluster_put_u64(p + 8, w->slot);
  eddy__cluster_report_encode(&w->last, p + 16);
  uint64_t since = w->state == W_LISTENING
                       ? eddy__cluster_note_blocked(w->note, label,
                                                    sizeof(label))
                       : 0;
  eddy__cluster_put_u64(p + FRAME_STATS_BLOCKED, since);
  if (since) memcpy(p + FRAME_STATS_LABEL, label, strlen(label));
}

/* Primary: builds and sends the STATS frame to every listening worker. */
void eddy__cluster_stats_broadcast(eddy_cluster_t *c) {
  size_t n = 0, max = (EDDY_CLUSTER_MAX_MESSAGE - FRAME_STATS_HEAD) /
                      FRAME_STATS_ENTRY;
  uint8_t *buf = malloc(EDDY_CLUSTER_MAX_MESSAGE), *p;
  if (!buf) return;
  for (int i = 0; i < EDDY_CLUSTER_CAUSES; i++)
    eddy__cluster_put_u64(buf + 8 * i, c->restarts[i]);
  eddy__cluster_put_u64(buf + 8 * EDDY_CLUSTER_CAUSES, c->requests_retired);
  p = buf + FRAME_STATS_HEAD;
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &c->workers) {
    worker_t *w = EDDY_CONTAINER_OF(q, worker_t, node);
    if (w->state == W_DEAD || !w->have_report || n == max) continue;
    put_entry(w, p);
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

/* A sample's value and the line's end: counts in full (%g would write
 * 1e+10), fractions to 9 digits. */
static void put_value(out_t *o, double v) {
  put(o, v >= 0 && v < 1e18 && v == (double)(uint64_t)v ? "%.0f\n" : "%.9g\n",
      v);
}

typedef struct {
  const char *name, *type, *help;
} family_t;

enum { F_REQUESTS, F_CONNECTIONS, F_RSS, F_DELAY, F_UTIL, F_REQ_P99, NFAM };

static const family_t families[NFAM] = {
    {"eddy_worker_requests_total", "counter", "requests served"},
    {"eddy_worker_connections", "gauge", "open connections"},
    {"eddy_worker_rss_bytes", "gauge", "resident memory"},
    {"eddy_worker_loop_delay_p99_seconds", "gauge", "event-loop delay p99"},
    {"eddy_worker_utilization", "gauge", "event-loop utilization 0..1"},
    {"eddy_worker_request_p99_seconds", "gauge",
     "request duration p99 over the last heartbeat interval"},
};

static double value(int f, const eddy_cluster_report_t *r) {
  switch (f) {
  case F_REQUESTS: return (double)r->requests;
  case F_CONNECTIONS: return (double)r->connections;
  case F_RSS: return (double)r->rss_bytes;
  case F_DELAY: return (double)r->delay_p99_ns / 1e9;
  case F_UTIL: return r->utilization;
  default: return (double)r->request_p99_ns / 1e9;
  }
}

/* The labels every per-worker series carries. */
static void put_worker(out_t *o, const char *name, const uint8_t *x,
                       const eddy_cluster_report_t *r) {
  put(o, "%s{worker=\"%llu\",slot=\"%llu\",pid=\"%llu\"", name,
      (unsigned long long)eddy__cluster_get_u64(x),
      (unsigned long long)eddy__cluster_get_u64(x + 8),
      (unsigned long long)r->pid);
}

static void per_worker(out_t *o, const uint8_t *e, size_t n, double *sum,
                       double *max) {
  for (int f = 0; f < NFAM; f++) {
    put(o, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help,
        families[f].name, families[f].type);
    for (size_t i = 0; i < n; i++) {
      const uint8_t *x = e + i * FRAME_STATS_ENTRY;
      eddy_cluster_report_t r;
      if (eddy__cluster_report_decode(x + 16, FRAME_REPORT_SIZE, &r) < 0)
        continue;
      put_worker(o, families[f].name, x, &r);
      put(o, "} ");
      put_value(o, value(f, &r));
      sum[f] += value(f, &r);
      if (value(f, &r) > max[f]) max[f] = value(f, &r);
    }
  }
}

/* The length of the longest prefix of s[0..n) that ends on a whole UTF-8
 * character (the stall note cuts long labels at a byte count). */
static size_t whole_utf8(const char *s, size_t n) {
  size_t i = n;
  while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) i--;
  if (i == 0) return n;
  unsigned char lead = (unsigned char)s[i - 1];
  size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return n - (i - 1) >= need ? n : i - 1;
}

/* A label value in the text format: \ " and newline escaped. */
static void put_label_value(out_t *o, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '\\' || c == '"')
      put(o, "\\%c", c);
    else if (c == '\n')
      put(o, "\\n");
    else
      put(o, "%c", c);
  }
}

/* eddy_worker_blocked_seconds: only while some worker's loop is stuck in
 * one callback (the STATS entry names it), so absent otherwise. */
static void blocked(out_t *o, const uint8_t *e, size_t n, uint64_t now_ns) {
  int head = 0;
  for (size_t i = 0; i < n; i++) {
    const uint8_t *x = e + i * FRAME_STATS_ENTRY;
    uint64_t since = eddy__cluster_get_u64(x + FRAME_STATS_BLOCKED);
    eddy_cluster_report_t r;
    if (!since || eddy__cluster_report_decode(x + 16, FRAME_REPORT_SIZE, &r))
      continue;
    if (!head++)
      put(o,
          "# HELP eddy_worker_blocked_seconds how long the callback "
          "that blocks the worker's loop has run\n"
          "# TYPE eddy_worker_blocked_seconds gauge\n");
    const char *label = (const char *)x + FRAME_STATS_LABEL;
    size_t len = strnlen(label, FRAME_LABEL_SIZE);
    put_worker(o, "eddy_worker_blocked_seconds", x, &r);
    put(o, ",route=\"");
    put_label_value(o, label, whole_utf8(label, len));
    put(o, "\"} %.3f\n", now_ns > since ? (double)(now_ns - since) / 1e9 : 0.0);
  }
}

/* A family of one sample without labels. */
static void put_one(out_t *o, const char *name, const char *type,
                    const char *help, double v) {
  put(o, "# HELP %s %s\n# TYPE %s %s\n%s ", name, help, name, type, name);
  put_value(o, v);
}

static void cluster_totals(out_t *o, const uint8_t *stats, size_t n,
                           const double *sum, const double *max) {
  static const char *const causes[] = {"crash", "stall", "memory", "reload",
                                       "ipc"};
  put_one(o, "eddy_cluster_workers", "gauge", "workers reporting", (double)n);
  /* With the exited workers' counts: a counter never goes down. */
  double retired = (double)eddy__cluster_get_u64(stats +
                                                 8 * EDDY_CLUSTER_CAUSES);
  put_one(o, "eddy_cluster_requests_total", "counter",
          "requests served since the primary started",
          retired + sum[F_REQUESTS]);
  put_one(o, "eddy_cluster_connections", "gauge", "open connections",
          sum[F_CONNECTIONS]);
  put_one(o, "eddy_cluster_rss_bytes", "gauge",
          "resident memory of the workers", sum[F_RSS]);
  put_one(o, "eddy_cluster_request_p99_seconds", "gauge",
          "the highest worker request p99: at least the cluster's",
          max[F_REQ_P99]);
  put(o,
      "# HELP eddy_cluster_restarts_total workers replaced, by cause\n"
      "# TYPE eddy_cluster_restarts_total counter\n");
  for (int i = 0; i < EDDY_CLUSTER_CAUSES; i++)
    put(o, "eddy_cluster_restarts_total{cause=\"%s\"} %llu\n", causes[i],
        (unsigned long long)eddy__cluster_get_u64(stats + 8 * i));
}

int eddy_cluster_worker_metrics(eddy_cluster_worker_t *w, char *buf,
                                size_t max) {
  wpriv_t *p = w->_p;
  if (!p->stats) return -EAGAIN;
  out_t o = {buf, max, 0};
  size_t n = (p->stats_len - FRAME_STATS_HEAD) / FRAME_STATS_ENTRY;
  double sum[NFAM] = {0}, top[NFAM] = {0};
  if (max) buf[0] = '\0';
  per_worker(&o, p->stats + FRAME_STATS_HEAD, n, sum, top);
  /* The loop's cached clock: two calls in one callback (size, then
   * text) give the same figures. */
  blocked(&o, p->stats + FRAME_STATS_HEAD, n, eddy_loop_now_ns(&p->loop));
  cluster_totals(&o, p->stats, n, sum, top);
  return (int)o.len;
}

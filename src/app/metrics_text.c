/*
 * Prometheus text exposition (format 0.0.4) of the registry, the loop,
 * the thread pool, the worker pools and the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "app/metrics_int.h"
#include "eddy/log.h"
#include "eddy/threadpool.h"

typedef struct {
  char *buf;
  size_t len, cap;
  int err;
} out_t;

static void put(out_t *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void put(out_t *o, const char *fmt, ...) {
  for (int tries = 0; tries < 2 && !o->err; tries++) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0) o->err = -EINVAL;
    if (n < 0 || (size_t)n < o->cap - o->len) {
      if (n > 0) o->len += (size_t)n;
      return;
    }
    size_t cap = (o->cap + (size_t)n) * 2;
    char *b = realloc(o->buf, cap);
    if (!b)
      o->err = -ENOMEM;
    else
      o->buf = b, o->cap = cap;
  }
}

static void family(out_t *o, const char *name, const char *type,
                   const char *help) {
  put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value with \\, \" and \n escaped, as the format requires. */
static void put_label(out_t *o, const char *v) {
  for (; *v && !o->err; v++) {
    if (*v == '\\' || *v == '"')
      put(o, "\\%c", *v);
    else if (*v == '\n')
      put(o, "\\n");
    else
      put(o, "%c", *v);
  }
}

static void histogram(out_t *o, const char *name, const metrics_hist_t *h,
                      const double *bounds, unsigned n) {
  uint64_t cum = 0;
  for (unsigned i = 0; i < n; i++) {
    cum += h->count[i];
    put(o, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i],
        (unsigned long long)cum);
  }
  put(o, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)h->total);
  put(o, "%s_sum %.9f\n%s_count %llu\n", name, (double)h->sum_ns / 1e9, name,
      (unsigned long long)h->total);
}

static void requests(out_t *o, const eddy_app_metrics_t *m) {
  family(o, "eddy_http_requests_total", "counter",
         "HTTP requests answered, by method, route pattern and status.");
  for (unsigned i = 0; i < METRICS_SERIES; i++) {
    const metrics_series_t *s = &m->series[i];
    if (!s->route) continue;
    const char *meth = eddy_http_method_name((eddy_http_method_t)s->method);
    put(o, "eddy_http_requests_total{method=\"%s\",route=\"",
        meth ? meth : "OTHER");
    put_label(o, s->route);
    put(o, "\",status=\"%d\"} %llu\n", s->status, (unsigned long long)s->count);
  }
  family(o, "eddy_http_requests_unlabelled_total", "counter",
         "Requests counted after the label-set limit was reached.");
  put(o, "eddy_http_requests_unlabelled_total %llu\n",
      (unsigned long long)m->unlabelled);
  family(o, "eddy_http_request_duration_seconds", "histogram",
         "Time from the request's arrival in the app to its end.");
  histogram(o, "eddy_http_request_duration_seconds", &m->latency,
            eddy__lat_bounds, LAT_BUCKETS);
  family(o, "eddy_http_open_connections", "gauge",
         "Connections open on the server now.");
  put(o, "eddy_http_open_connections %u\n",
      m->server ? eddy_http_server_connections(m->server) : 0);
}

static void loop_families(out_t *o, eddy_app_metrics_t *m) {
  eddy_elu_t u = eddy_loop_utilization(m->loop, NULL);
  family(o, "eddy_eventloop_delay_seconds", "histogram",
         "How late a 10 ms timer fired: time the loop could not react.");
  histogram(o, "eddy_eventloop_delay_seconds", &m->delay, eddy__delay_bounds,
            DELAY_BUCKETS);
  family(o, "eddy_eventloop_utilization_ratio", "gauge",
         "Share of time the loop was busy since it started (0..1).");
  put(o, "eddy_eventloop_utilization_ratio %.6f\n", u.utilization);
  family(o, "eddy_eventloop_active_seconds_total", "counter",
         "Time the loop spent running callbacks.");
  put(o, "eddy_eventloop_active_seconds_total %.9f\n",
      (double)u.active_ns / 1e9);
  family(o, "eddy_eventloop_idle_seconds_total", "counter",
         "Time the loop spent waiting for events.");
  put(o, "eddy_eventloop_idle_seconds_total %.9f\n", (double)u.idle_ns / 1e9);
}

static void static_families(out_t *o, const eddy_app_metrics_t *m) {
  if (!m->files) return;
  eddy_static_stats_t st;
  eddy_static_stats(m->files, &st);
  family(o, "eddy_static_cache_hits_total", "counter",
         "Static files answered from the descriptor cache.");
  put(o, "eddy_static_cache_hits_total %llu\n", (unsigned long long)st.hits);
  family(o, "eddy_static_opens_total", "counter",
         "Static files opened on the thread pool (misses, revalidations).");
  put(o, "eddy_static_opens_total %llu\n", (unsigned long long)st.opens);
  family(o, "eddy_static_not_modified_total", "counter",
         "Static files answered 304.");
  put(o, "eddy_static_not_modified_total %llu\n",
      (unsigned long long)st.not_modified);
}

static void threadpool_families(out_t *o) {
  eddy_threadpool_stats_t t;
  eddy_threadpool_stats(&t);
  family(o, "eddy_threadpool_queue_depth", "gauge",
         "Thread-pool requests (file I/O, DNS) waiting for a thread.");
  put(o, "eddy_threadpool_queue_depth %zu\n", t.queued);
  family(o, "eddy_threadpool_running", "gauge",
         "Thread-pool requests running now.");
  put(o, "eddy_threadpool_running %u\n", t.running);
  family(o, "eddy_threadpool_threads", "gauge", "Thread-pool threads.");
  put(o, "eddy_threadpool_threads %u\n", t.threads);
  family(o, "eddy_threadpool_completed_total", "counter",
         "Thread-pool requests completed.");
  put(o, "eddy_threadpool_completed_total %llu\n",
      (unsigned long long)t.completed);
}

typedef struct { /* one pool's figures, all of one type */
  uint64_t queue, in_flight, threads, completed, failed, cancelled, timed_out;
} pool_row_t;

/* One family over every registered worker pool, labelled pool="name". */
static void pool_family(out_t *o, const eddy_app_metrics_t *m,
                        const pool_row_t *rows, const char *name,
                        const char *type, const char *help, size_t field) {
  family(o, name, type, help);
  for (unsigned i = 0; i < m->npools; i++) {
    uint64_t v;
    memcpy(&v, (const char *)&rows[i] + field, sizeof(v));
    put(o, "%s{pool=\"", name);
    put_label(o, m->pools[i].name);
    put(o, "\"} %llu\n", (unsigned long long)v);
  }
}

#define ROW(f) offsetof(pool_row_t, f)
static const struct {
  const char *name, *type, *help;
  size_t field;
} pool_fams[] = {
    {"eddy_workerpool_queue_depth", "gauge",
     "Worker-pool tasks accepted and waiting for a thread.", ROW(queue)},
    {"eddy_workerpool_in_flight", "gauge",
     "Worker-pool tasks handed to threads now.", ROW(in_flight)},
    {"eddy_workerpool_threads", "gauge", "Worker-pool threads alive.",
     ROW(threads)},
    {"eddy_workerpool_completed_total", "counter",
     "Worker-pool tasks whose function ran.", ROW(completed)},
    {"eddy_workerpool_failed_total", "counter",
     "Worker-pool tasks whose function returned an error.", ROW(failed)},
    {"eddy_workerpool_cancelled_total", "counter",
     "Worker-pool tasks cancelled before they ran.", ROW(cancelled)},
    {"eddy_workerpool_timed_out_total", "counter",
     "Worker-pool tasks that timed out in the queue.", ROW(timed_out)},
};
#undef ROW

static void workerpool_families(out_t *o, const eddy_app_metrics_t *m) {
  pool_row_t rows[METRICS_POOLS];
  for (unsigned i = 0; i < m->npools; i++) {
    eddy_pool_stats_t s;
    eddy_pool_stats(m->pools[i].pool, &s);
    rows[i] = (pool_row_t){s.queue_size, s.in_flight, s.threads,  s.completed,
                           s.failed,     s.cancelled, s.timed_out};
  }
  for (size_t k = 0; k < sizeof(pool_fams) / sizeof(pool_fams[0]); k++)
    pool_family(o, m, rows, pool_fams[k].name, pool_fams[k].type,
                pool_fams[k].help, pool_fams[k].field);
}

/* Resident memory from /proc/self/statm (procfs: no disk). */
static uint64_t resident_bytes(void) {
  char buf[128];
  int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  unsigned long long size, rss;
  if (sscanf(buf, "%llu %llu", &size, &rss) != 2) return 0;
  return rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void process_families(out_t *o, const eddy_app_metrics_t *m) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  family(o, "process_cpu_seconds_total", "counter",
         "User and system CPU time of the process.");
  put(o, "process_cpu_seconds_total %.6f\n", cpu);
  family(o, "process_resident_memory_bytes", "gauge", "Resident memory.");
  put(o, "process_resident_memory_bytes %llu\n",
      (unsigned long long)resident_bytes());
  family(o, "process_start_time_seconds", "gauge",
         "Start time of the process since the epoch.");
  put(o, "process_start_time_seconds %lld\n", (long long)m->start_s);
  family(o, "eddy_log_dropped_total", "counter",
         "Log lines dropped because the log buffer was full.");
  put(o, "eddy_log_dropped_total %llu\n",
      (unsigned long long)eddy_log_dropped());
}

int eddy_app_metrics_render(eddy_app_metrics_t *m, char **out, size_t *len) {
  out_t o = {NULL, 0, 0, 0};
  o.buf = malloc(o.cap = 8192);
  if (!o.buf) return -ENOMEM;
  requests(&o, m);
  loop_families(&o, m);
  threadpool_families(&o);
  static_families(&o, m);
  workerpool_families(&o, m);
  process_families(&o, m);
  if (o.err) {
    free(o.buf);
    return o.err;
  }
  *out = o.buf;
  *len = o.len;
  return 0;
}

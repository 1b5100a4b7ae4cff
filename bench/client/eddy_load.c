/*
 * bench/client: eddy's HTTP client as a load generator. Keeps `inflight`
 * GET requests going to one URL over the keep-alive agent (max_per_host =
 * inflight, so one connection per request in flight, as wrk -c), warms up,
 * then measures for `secs`: prints "requests secs cpu_secs p99_us", CPU
 * from getrusage over the measured window only.
 *
 *   eddy_load URL [inflight=64] [secs=5] [warm_secs=1]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "eddy.h"

static eddy_loop_t loop;
static eddy_client_t *client;
static const char *url;
static int measuring, stopping, in_flight;
static uint64_t count, *lat, nlat, cap_lat;
static double cpu0, cpu1, t0, t1;

static double cpu_now(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void start_one(void);

static void on_end(eddy_client_req_t *req, const eddy_client_res_t *res) {
  uint64_t started = (uint64_t)(uintptr_t)req->data;
  in_flight--;
  if (res->status != 200) {
    fprintf(stderr, "status %d\n", res->status);
    exit(1);
  }
  if (measuring) {
    count++;
    if (nlat < cap_lat) lat[nlat++] = eddy_hrtime() - started;
  }
  if (!stopping) start_one();
}

static void on_error(eddy_client_req_t *req, int status) {
  if (stopping && status == -ECANCELED) return; /* the close at the end */
  fprintf(stderr, "request failed: %s\n", eddy_strerror(status));
  exit(1);
}

static void start_one(void) {
  eddy_client_req_opts_t o = {.url = url, .on_end = on_end,
                              .on_error = on_error};
  o.data = (void *)(uintptr_t)eddy_hrtime();
  if (eddy_client_request(client, &o, NULL) < 0) exit(1);
  in_flight++;
}

static void on_warm(eddy_timer_t *t) {
  measuring = 1;
  cpu0 = cpu_now();
  t0 = eddy_hrtime() / 1e9;
}

static void on_stop(eddy_timer_t *t) {
  measuring = 0;
  stopping = 1;
  cpu1 = cpu_now();
  t1 = eddy_hrtime() / 1e9;
  eddy_close(EDDY_HANDLE(t), NULL);
  eddy_client_close(client, NULL);
}

static int cmp(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  url = argv[1];
  int n = argc > 2 ? atoi(argv[2]) : 64;
  double secs = argc > 3 ? atof(argv[3]) : 5, warm = argc > 4 ? atof(argv[4]) : 1;
  cap_lat = 20u * 1000u * 1000u;
  lat = malloc(cap_lat * sizeof *lat);
  eddy_timer_t warm_t, stop_t;
  eddy_client_opts_t co = {.max_per_host = (unsigned)n, .max_queue = (unsigned)n};
  if (eddy_loop_init(&loop) < 0 || eddy_client_create(&loop, &co, &client) < 0)
    return 1;
  eddy_timer_init(&loop, &warm_t);
  eddy_timer_init(&loop, &stop_t);
  eddy_timer_start(&warm_t, on_warm, (uint64_t)(warm * 1000), 0);
  eddy_timer_start(&stop_t, on_stop, (uint64_t)((warm + secs) * 1000), 0);
  for (int i = 0; i < n; i++) start_one();
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_close(EDDY_HANDLE(&warm_t), NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_loop_close(&loop);
  qsort(lat, nlat, sizeof *lat, cmp);
  double p99 = nlat ? lat[(size_t)(nlat * 0.99)] / 1e3 : 0;
  printf("%llu %.3f %.3f %.1f\n", (unsigned long long)count, t1 - t0, cpu1 - cpu0, p99);
  free(lat);
  return 0;
}

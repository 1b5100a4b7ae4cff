/* Shared by the C loop benchmarks: clocks and peak RSS. */
#ifndef BENCH_LOOP_COMMON_H
#define BENCH_LOOP_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Peak resident set size of this process in KiB (VmHWM). */
static inline long peak_rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = -1;
  while (f && fgets(line, sizeof(line), f))
    if (strncmp(line, "VmHWM:", 6) == 0) kib = strtol(line + 6, NULL, 10);
  if (f) fclose(f);
  return kib;
}

/* One result line: `<impl> <work> <n> <seconds> <ns/op> <peak KiB>`. */
static inline void report(const char *impl, const char *work, long n, double s) {
  printf("%s %s %ld %.6f %.1f %ld\n", impl, work, n, s, s * 1e9 / (double)n,
         peak_rss_kib());
}

#endif

/*
 * Fault injection for tests: a test arms a named site so that some of
 * its next passes fail, and the library code at that site takes its error
 * path as if malloc or pthread_create had failed. Unarmed, a site costs
 * one relaxed atomic load. Sites in use: "pool.thread" (pthread_create of
 * a worker-pool thread), "worker.port" (the worker's own port open),
 * "worker.delay" (the worker's delay monitor start).
 */
#ifndef EDDY_CORE_FAULT_H
#define EDDY_CORE_FAULT_H

#include <stdatomic.h>

extern _Atomic int eddy__fault_armed;

/* Arms `site` (a static string): its next `skip` passes succeed, the
 * `count` after them fail; count 0 disarms. Any thread. */
void eddy__fault_arm(const char *site, int skip, int count);

/* Slow path of eddy__fault(). */
int eddy__fault_take(const char *site);

/* Nonzero if this pass of `site` must fail (and counts it). */
static inline int eddy__fault(const char *site) {
  if (!atomic_load_explicit(&eddy__fault_armed, memory_order_relaxed)) return 0;
  return eddy__fault_take(site);
}

#endif

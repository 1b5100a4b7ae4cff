/*
 * eddy — measurements: histograms for latency-like values (nanoseconds,
 * bytes, counts), and the loop measuring itself (the label of the running
 * callback, utilization, event-loop delay, the stall detector).
 *
 * Histograms: log-linear, in the HdrHistogram style. Each power of two is
 * cut into 16 equal sub-buckets, so a recorded value is kept within 1/16
 * (6.25%) of its true size, from 1 to 2^48. Recording is O(1) with no
 * allocation: the buckets live inside the struct (about 6 KiB), which the
 * caller owns. Not thread-safe: one writer, or the caller's own lock.
 *
 * The loop's self-measurement: Node's eventLoopUtilization and
 * monitorEventLoopDelay, and a watchdog that names the callback that
 * blocks the loop. Loop thread unless marked "Thread-safe".
 */
#ifndef EDDY_METRICS_H
#define EDDY_METRICS_H

#include <stdint.h>

#include "eddy/error.h"
#include "eddy/loop.h"

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

/* --------------------------------------------------- self-measurement */

/*
 * Sets the label of the callback running now ("GET /users/:id"), which the
 * stall detector and eddy_loop_label() report. The loop sets a default label
 * for each callback it dispatches ("timer", "io", ...). `label` must stay
 * valid until the loop is closed (a string literal or an app-lifetime
 * string). Loop thread only.
 */
EDDY_EXTERN void eddy_loop_set_label(eddy_loop_t *loop, const char *label);

/*
 * The label of the callback running now, or NULL while the loop waits for
 * I/O. When `running_ns` is non-NULL it receives how long that callback has
 * been running, as the stall detector saw it: known while one is started
 * (else 0), and short by up to one of its ticks (threshold / 8), because
 * the loop counts callbacks instead of reading the clock for each.
 * Thread-safe.
 */
EDDY_EXTERN const char *eddy_loop_label(eddy_loop_t *loop,
                                        uint64_t *running_ns);

/* Node's eventLoopUtilization(): time idle in epoll vs. time busy. */
typedef struct {
  uint64_t idle_ns;
  uint64_t active_ns;
  double utilization; /* active / (idle + active), 0..1 */
} eddy_elu_t;

/*
 * The loop's utilization since eddy_loop_init(), or since `prev` (a value
 * returned earlier) when `prev` is non-NULL. Thread-safe.
 */
EDDY_EXTERN eddy_elu_t eddy_loop_utilization(eddy_loop_t *loop,
                                             const eddy_elu_t *prev);

/*
 * Node's monitorEventLoopDelay(): a repeating internal timer every
 * `resolution_ms` records how late it fired, in nanoseconds, into a
 * histogram. The timer is unreferenced. -EALREADY if started, -ENOMEM.
 */
EDDY_EXTERN int eddy_loop_delay_start(eddy_loop_t *loop,
                                      unsigned resolution_ms);
EDDY_EXTERN int eddy_loop_delay_stop(eddy_loop_t *loop);
/* Copies the delay histogram's summary; -ENOENT if never started. */
EDDY_EXTERN int eddy_loop_delay_stats(eddy_loop_t *loop,
                                      eddy_hist_stats_t *out);
EDDY_EXTERN void eddy_loop_delay_reset(eddy_loop_t *loop);

/*
 * Called on the stall detector's own thread when one callback of the loop
 * has run for `running_ns` (at the threshold, then each time it doubles).
 */
typedef void (*eddy_stall_cb)(eddy_loop_t *loop, const char *label,
                              uint64_t running_ns, void *arg);

/*
 * Starts a watchdog thread that notices, while it is still running, a
 * callback that has run longer than `threshold_ms`, and reports it (within
 * threshold_ms / 8 after it passed the threshold): through
 * `cb` if non-NULL, else as a warning line through eddy_log ("loop stalled:
 * 'GET /slow' has run for 523 ms"). Stopped by eddy_loop_stall_stop() or
 * eddy_loop_close(). -EALREADY, -EINVAL (threshold 0), -ENOMEM, -EAGAIN.
 */
EDDY_EXTERN int eddy_loop_stall_start(eddy_loop_t *loop, unsigned threshold_ms,
                                      eddy_stall_cb cb, void *arg);
EDDY_EXTERN int eddy_loop_stall_stop(eddy_loop_t *loop);

#ifdef __cplusplus
}
#endif
#endif

/*
 * The loop measuring itself: utilization, the label of the running
 * callback, and the event-loop delay histogram (Node's
 * eventLoopUtilization and monitorEventLoopDelay).
 */
#include <errno.h>
#include <stdlib.h>

#include "core/internal.h"
#include "eddy/metrics.h"

struct eddy_delay_monitor_s {
  eddy_timer_t timer;
  uint64_t resolution_ns;
  uint64_t expected_ns;
  eddy_hist_t hist;
};

void eddy_loop_set_label(eddy_loop_t *loop, const char *label) {
  atomic_store_explicit(&loop->_label, label, memory_order_relaxed);
}

const char *eddy_loop_label(eddy_loop_t *loop, uint64_t *running_ns) {
  const char *label = atomic_load_explicit(&loop->_label, memory_order_relaxed);
  if (running_ns) {
    /* The stall detector's first sighting counts if the same callback
     * (the same dispatch count) still runs; seq before ns pairs with the
     * detector's release store of seq after ns. */
    uint64_t seq = atomic_load_explicit(&loop->_stall_seen_seq,
                                        memory_order_acquire);
    uint64_t since = atomic_load_explicit(&loop->_stall_seen_ns,
                                          memory_order_relaxed);
    uint64_t now = eddy_hrtime();
    int same = seq ==
               atomic_load_explicit(&loop->_dispatches, memory_order_relaxed);
    *running_ns = (label && since && same && now > since) ? now - since : 0;
  }
  return label;
}

eddy_elu_t eddy_loop_utilization(eddy_loop_t *loop, const eddy_elu_t *prev) {
  eddy_elu_t e;
  uint64_t total = eddy_hrtime() - loop->_start_ns;
  e.idle_ns = atomic_load_explicit(&loop->_idle_ns, memory_order_relaxed);
  if (e.idle_ns > total) e.idle_ns = total;
  e.active_ns = total - e.idle_ns;
  if (prev) {
    e.idle_ns = e.idle_ns > prev->idle_ns ? e.idle_ns - prev->idle_ns : 0;
    e.active_ns = e.active_ns > prev->active_ns ? e.active_ns - prev->active_ns
                                                : 0;
  }
  uint64_t sum = e.idle_ns + e.active_ns;
  e.utilization = sum ? (double)e.active_ns / (double)sum : 0.0;
  return e;
}

static void on_delay_tick(eddy_timer_t *t) {
  struct eddy_delay_monitor_s *m =
      EDDY_CONTAINER_OF(t, struct eddy_delay_monitor_s, timer);
  uint64_t now = eddy_hrtime();
  eddy_hist_record(&m->hist, now > m->expected_ns ? now - m->expected_ns : 0);
  m->expected_ns = now + m->resolution_ns;
}

int eddy_loop_delay_start(eddy_loop_t *loop, unsigned resolution_ms) {
  if (resolution_ms == 0) return -EINVAL;
  if (loop->_delay && eddy_is_active((eddy_handle_t *)&loop->_delay->timer))
    return -EALREADY;
  if (!loop->_delay) {
    loop->_delay = calloc(1, sizeof(*loop->_delay));
    if (!loop->_delay) return -ENOMEM;
    eddy_timer_init(loop, &loop->_delay->timer);
    loop->_delay->timer._flags |= EDDY__INTERNAL;
    eddy_unref((eddy_handle_t *)&loop->_delay->timer);
  }
  struct eddy_delay_monitor_s *m = loop->_delay;
  m->resolution_ns = (uint64_t)resolution_ms * 1000000u;
  m->expected_ns = eddy_hrtime() + m->resolution_ns;
  return eddy_timer_start(&m->timer, on_delay_tick, resolution_ms,
                          resolution_ms);
}

int eddy_loop_delay_stop(eddy_loop_t *loop) {
  if (loop->_delay) eddy_timer_stop(&loop->_delay->timer);
  return 0;
}

int eddy_loop_delay_stats(eddy_loop_t *loop, eddy_hist_stats_t *out) {
  if (!loop->_delay) return -ENOENT;
  eddy_hist_stats(&loop->_delay->hist, out);
  return 0;
}

void eddy_loop_delay_reset(eddy_loop_t *loop) {
  if (loop->_delay) eddy_hist_reset(&loop->_delay->hist);
}

void eddy__metrics_free(eddy_loop_t *loop) {
  eddy__stall_free(loop);
  if (!loop->_delay) return;
  eddy_timer_stop(&loop->_delay->timer);
  eddy_queue_remove(&loop->_delay->timer._handle_node);
  free(loop->_delay);
  loop->_delay = NULL;
}

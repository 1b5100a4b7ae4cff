/*
 * The stall detector: a watchdog thread that reads the loop's running
 * label and its count of dispatched callbacks, and reports a callback that
 * has run past the threshold while it is still running. Node cannot do
 * this: its watchdogs run on the loop they watch.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "core/internal.h"
#include "eddy/log.h"
#include "eddy/metrics.h"

struct eddy_stall_s {
  eddy_loop_t *loop;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int stop;
  uint64_t threshold_ns;
  eddy_stall_cb cb;
  void *arg;
};

static void report(struct eddy_stall_s *s, const char *label, uint64_t ns) {
  if (s->cb) {
    s->cb(s->loop, label, ns, s->arg);
    return;
  }
  eddy_log(EDDY_LOG_WARN, "loop stalled: '%s' has run for %llu ms",
           label ? label : "?", (unsigned long long)(ns / 1000000u));
}

/* Sleeps one tick; returns non-zero when asked to stop. */
static int wait_tick(struct eddy_stall_s *s, uint64_t tick_ns) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  uint64_t ns = (uint64_t)until.tv_nsec + tick_ns;
  until.tv_sec += (time_t)(ns / 1000000000u);
  until.tv_nsec = (long)(ns % 1000000000u);
  pthread_mutex_lock(&s->lock);
  if (!s->stop) pthread_cond_timedwait(&s->cond, &s->lock, &until);
  int stop = s->stop;
  pthread_mutex_unlock(&s->lock);
  return stop;
}

/* What eddy_loop_label() reads: the running callback's dispatch count and
 * when this thread first saw it running (0: nothing running). */
static void publish(eddy_loop_t *loop, uint64_t seq, uint64_t seen_ns) {
  atomic_store_explicit(&loop->_stall_seen_ns, seen_ns, memory_order_relaxed);
  atomic_store_explicit(&loop->_stall_seen_seq, seq, memory_order_release);
}

/*
 * Each tick reads the loop's dispatch count: a count that has not moved
 * while a label is set is one callback still running. Its start is taken
 * as the first tick that saw it, so a report comes between the threshold
 * and one tick (threshold / 8) after it, and says at least that much.
 */
static void *watchdog_main(void *arg) {
  struct eddy_stall_s *s = arg;
  eddy_loop_t *loop = s->loop;
  uint64_t tick = s->threshold_ns / 8;
  if (tick < 1000000u) tick = 1000000u;
  uint64_t seen_seq = 0, seen_ns = 0, next_report = 0;
  while (!wait_tick(s, tick)) {
    const char *label = atomic_load_explicit(&loop->_label,
                                             memory_order_relaxed);
    uint64_t seq = atomic_load_explicit(&loop->_dispatches,
                                        memory_order_relaxed);
    uint64_t now = eddy_hrtime();
    if (!label) { /* waiting for I/O, or between runs */
      if (seen_ns) publish(loop, 0, 0);
      seen_ns = 0;
      continue;
    }
    if (!seen_ns || seq != seen_seq) {
      seen_seq = seq;
      seen_ns = now;
      next_report = s->threshold_ns;
      publish(loop, seq, now);
      continue;
    }
    if (now - seen_ns < next_report) continue;
    /* Re-read: the callback may have ended between the loads. */
    label = atomic_load_explicit(&loop->_label, memory_order_relaxed);
    if (!label ||
        atomic_load_explicit(&loop->_dispatches, memory_order_relaxed) != seq)
      continue;
    report(s, label, now - seen_ns);
    next_report *= 2;
  }
  return NULL;
}

int eddy_loop_stall_start(eddy_loop_t *loop, unsigned threshold_ms,
                          eddy_stall_cb cb, void *arg) {
  if (threshold_ms == 0) return -EINVAL;
  if (loop->_stall) return -EALREADY;
  struct eddy_stall_s *s = calloc(1, sizeof(*s));
  if (!s) return -ENOMEM;
  s->loop = loop;
  s->threshold_ns = (uint64_t)threshold_ms * 1000000u;
  s->cb = cb;
  s->arg = arg;
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->cond, NULL);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int err = pthread_create(&s->thread, NULL, watchdog_main, s);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (err) {
    free(s);
    return -err;
  }
  loop->_stall = s;
  return 0;
}

int eddy_loop_stall_stop(eddy_loop_t *loop) {
  struct eddy_stall_s *s = loop->_stall;
  if (!s) return 0;
  pthread_mutex_lock(&s->lock);
  s->stop = 1;
  pthread_cond_signal(&s->cond);
  pthread_mutex_unlock(&s->lock);
  pthread_join(s->thread, NULL);
  pthread_mutex_destroy(&s->lock);
  pthread_cond_destroy(&s->cond);
  publish(loop, 0, 0);
  loop->_stall = NULL;
  free(s);
  return 0;
}

void eddy__stall_free(eddy_loop_t *loop) { eddy_loop_stall_stop(loop); }

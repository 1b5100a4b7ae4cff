/*
 * The stall detector: a watchdog thread that reads the loop's running
 * label and the start stamp of its current callback, and reports a callback
 * that has run past the threshold while it is still running. Node cannot do
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

static void *watchdog_main(void *arg) {
  struct eddy_stall_s *s = arg;
  eddy_loop_t *loop = s->loop;
  uint64_t tick = s->threshold_ns / 8;
  if (tick < 1000000u) tick = 1000000u;
  uint64_t seen_start = 0, next_report = 0;
  while (!wait_tick(s, tick)) {
    uint64_t start = atomic_load_explicit(&loop->_cb_start_ns,
                                          memory_order_relaxed);
    if (start == 0) continue;
    if (start != seen_start) {
      seen_start = start;
      next_report = s->threshold_ns;
    }
    uint64_t now = eddy_hrtime();
    if (now <= start || now - start < next_report) continue;
    /* Re-read: the callback may have ended between the two loads. */
    const char *label = atomic_load_explicit(&loop->_label,
                                             memory_order_relaxed);
    if (atomic_load_explicit(&loop->_cb_start_ns, memory_order_relaxed) !=
        start)
      continue;
    report(s, label, now - start);
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
  loop->_stamp_callbacks = 1;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  int err = pthread_create(&s->thread, NULL, watchdog_main, s);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (err) {
    loop->_stamp_callbacks = 0;
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
  loop->_stamp_callbacks = 0;
  atomic_store_explicit(&loop->_cb_start_ns, 0, memory_order_relaxed);
  loop->_stall = NULL;
  free(s);
  return 0;
}

void eddy__stall_free(eddy_loop_t *loop) { eddy_loop_stall_stop(loop); }

/*
 * The worker thread itself: its loop, the entry call, the run until no
 * work is left or terminate, the clean-up and the exit report.
 */
#include <stdlib.h>

#include "core/fault.h"
#include "core/internal.h"
#include "thread/ids.h"
#include "thread/worker.h"

void *eddy__worker_main(void *arg);

static __thread struct eddy__worker_shared_s *self;

static void on_stop(eddy_async_t *a) { eddy_loop_stop(a->loop); }

int eddy_worker_exit(eddy_loop_t *loop, int code) {
  if (self == NULL || loop != &self->loop) return -EINVAL;
  pthread_mutex_lock(&self->lock);
  self->exit_requested = 1;
  self->exit_code = code;
  pthread_mutex_unlock(&self->lock);
  eddy_loop_stop(loop);
  return 0;
}

/* Publishes the worker loop's delay summary for the parent to read. */
static void publish_delay(eddy_timer_t *t) {
  struct eddy__worker_shared_s *sh = t->data;
  eddy_hist_stats_t st;
  if (eddy_loop_delay_stats(&sh->loop, &st) != 0) return;
  pthread_mutex_lock(&sh->lock);
  sh->delay = st;
  sh->has_delay = 1;
  pthread_mutex_unlock(&sh->lock);
}

static void close_one(eddy_handle_t *h, void *arg) {
  if (!eddy_is_closing(h)) eddy_close(h, NULL);
}

/* Runs entry and then the loop; returns the exit code. `delay` is set up
 * only if the monitor starts: delay->data says so to wind_down. */
static int run_worker(struct eddy__worker_shared_s *sh, eddy_timer_t *delay) {
  eddy_port_t *port = &sh->port;
  int code = 1;
  if (eddy__fault("worker.port") ||
      eddy_port_open(&sh->loop, port, sh->child_end) != 0) {
    eddy_port_end_free(sh->child_end);
    return code;
  }
  if (sh->delay_res && !eddy__fault("worker.delay") &&
      eddy_loop_delay_start(&sh->loop, sh->delay_res) == 0) {
    eddy_timer_init(&sh->loop, delay);
    delay->data = sh;
    eddy_timer_start(delay, publish_delay, 100, 100);
    eddy_unref((eddy_handle_t *)delay);
  }
  if (atomic_load(&sh->terminated)) return code;
  int r = sh->entry(&sh->loop, sh->data, sh->len, port);
  if (r < 0) {
    pthread_mutex_lock(&sh->lock);
    sh->error = r;
    pthread_mutex_unlock(&sh->lock);
  }
  code = r < 0 ? 1 : r;
  if (!atomic_load(&sh->terminated) && !sh->exit_requested)
    eddy_run(&sh->loop, EDDY_RUN_DEFAULT);
  return code;
}

/* Closes every handle, lets close callbacks run, and closes the loop. */
static void wind_down(struct eddy__worker_shared_s *sh, eddy_timer_t *delay) {
  if (delay->data) publish_delay(delay); /* never set up: nothing to say */
  pthread_mutex_lock(&sh->lock);
  sh->loop_live = 0;
  sh->final_elu = eddy_loop_utilization(&sh->loop, NULL);
  pthread_mutex_unlock(&sh->lock);
  eddy_close((eddy_handle_t *)&sh->stop_async, NULL);
  eddy_loop_walk(&sh->loop, close_one, NULL);
  eddy_run(&sh->loop, EDDY_RUN_DEFAULT);
  eddy_loop_close(&sh->loop);
}

/* Reports the exit to the parent (unless it has let go) and drops a ref. */
static void report(struct eddy__worker_shared_s *sh, int code) {
  pthread_mutex_lock(&sh->lock);
  if (sh->exit_requested) code = sh->exit_code;
  if (atomic_load(&sh->terminated)) code = 1;
  sh->exit_code = code;
  sh->finished = 1;
  if (sh->parent_async) eddy_async_send(sh->parent_async);
  int last = --sh->refs == 0;
  pthread_mutex_unlock(&sh->lock);
  if (last) {
    pthread_mutex_destroy(&sh->lock);
    free(sh);
  }
}

void *eddy__worker_main(void *arg) {
  struct eddy__worker_shared_s *sh = arg;
  eddy_timer_t delay;
  delay.data = NULL; /* run_worker sets it once the timer is set up */
  self = sh;
  eddy__thread_id_set(sh->id);
  eddy__block_all_signals();
  if (sh->name[0]) pthread_setname_np(pthread_self(), sh->name);
  int code = 1;
  if (eddy_loop_init(&sh->loop) == 0 &&
      eddy_async_init(&sh->loop, &sh->stop_async, on_stop) == 0) {
    sh->stop_async._flags |= EDDY__INTERNAL;
    eddy_unref((eddy_handle_t *)&sh->stop_async);
    pthread_mutex_lock(&sh->lock);
    sh->loop_live = 1;
    pthread_mutex_unlock(&sh->lock);
    code = run_worker(sh, &delay);
    wind_down(sh, &delay);
  } else {
    eddy_port_end_free(sh->child_end);
  }
  free(sh->data);
  sh->data = NULL;
  self = NULL;
  report(sh, code);
  return NULL;
}

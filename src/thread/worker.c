/*
 * Worker threads, the parent's side: start, terminate, the exit report on
 * the parent's loop, and the worker's loop figures.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "thread/ids.h"
#include "thread/port.h"
#include "thread/worker.h"

void *eddy__worker_main(void *arg);

static void drop_ref(struct eddy__worker_shared_s *sh) {
  pthread_mutex_lock(&sh->lock);
  int last = --sh->refs == 0;
  pthread_mutex_unlock(&sh->lock);
  if (last) {
    pthread_mutex_destroy(&sh->lock);
    free(sh);
  }
}

/* Wakes the worker's loop so that it sees `terminated`. */
static void wake_worker(struct eddy__worker_shared_s *sh) {
  atomic_store(&sh->terminated, 1);
  pthread_mutex_lock(&sh->lock);
  if (sh->loop_live) eddy_async_send(&sh->stop_async);
  pthread_mutex_unlock(&sh->lock);
}

/* The thread has sent its last word: report. It is detached and may still
 * be ending (thread-local destructors run after report()); the loop never
 * waits for that, and the thread touches nothing of ours any more. */
static void on_exit_async(eddy_async_t *a) {
  eddy_worker_t *w = EDDY_CONTAINER_OF(a, eddy_worker_t, _exit_async);
  struct eddy__worker_shared_s *sh = w->_sh;
  if (sh->reported) return;
  sh->reported = 1;
  pthread_mutex_lock(&sh->lock);
  int error = sh->error, terminated = atomic_load(&sh->terminated);
  w->exit_code = sh->exit_code;
  pthread_mutex_unlock(&sh->lock);
  eddy__handle_stop((eddy_handle_t *)w);
  eddy__port_flush(&w->port); /* the worker's last words come first */
  eddy__dispatch(w->loop, "worker exit");
  if (error && w->_opts.on_error) w->_opts.on_error(w, error);
  if (w->_opts.on_exit && eddy__handle_usable((eddy_handle_t *)w))
    w->_opts.on_exit(w, terminated ? EDDY_ETERMINATED : 0, w->exit_code);
}

/* Closing a worker that still runs terminates it and lets it go alone. */
static void worker_on_close(eddy_handle_t *h) {
  eddy_worker_t *w = (eddy_worker_t *)h;
  struct eddy__worker_shared_s *sh = w->_sh;
  pthread_mutex_lock(&sh->lock);
  sh->parent_async = NULL;
  pthread_mutex_unlock(&sh->lock);
  if (!sh->reported) wake_worker(sh);
  eddy_close((eddy_handle_t *)&w->_exit_async, NULL);
  if (!eddy_is_closing((eddy_handle_t *)&w->port))
    eddy_close((eddy_handle_t *)&w->port, NULL);
  drop_ref(sh);
  w->_sh = NULL;
}

static struct eddy__worker_shared_s *shared_new(eddy_worker_entry entry,
                                                const void *data, size_t len,
                                                const eddy_worker_opts_t *o) {
  struct eddy__worker_shared_s *sh = calloc(1, sizeof(*sh));
  if (sh == NULL) return NULL;
  sh->data = malloc(len ? len : 1);
  if (sh->data == NULL) {
    free(sh);
    return NULL;
  }
  if (len) memcpy(sh->data, data, len);
  sh->len = len;
  sh->entry = entry;
  sh->refs = 2;
  sh->delay_res = o->delay_resolution_ms;
  if (o->name) snprintf(sh->name, sizeof(sh->name), "%s", o->name);
  pthread_mutex_init(&sh->lock, NULL);
  return sh;
}

static void shared_free(struct eddy__worker_shared_s *sh) {
  pthread_mutex_destroy(&sh->lock);
  free(sh->data);
  free(sh);
}

/* Detached: the shared block's refcount, not a join, ends the ownership. */
static int spawn(struct eddy__worker_shared_s *sh, size_t stack_size) {
  pthread_attr_t attr;
  pthread_t tid;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  if (stack_size) pthread_attr_setstacksize(&attr, stack_size);
  int err = pthread_create(&tid, &attr, eddy__worker_main, sh);
  pthread_attr_destroy(&attr);
  return -err;
}

/* Forgets an async handle that was never used, with no close phase: a
 * failed start must leave nothing behind that refers to the caller's struct. */
static void async_forget(eddy_async_t *a) {
  eddy__handle_stop((eddy_handle_t *)a);
  eddy_queue_remove(&a->_node);
  eddy_queue_remove(&a->_handle_node);
}

/* Opens the parent's port, then the exit wake-up: in that order, so that
 * when both are due in one wake-up the worker's last messages are
 * delivered before its exit is reported. The second cannot fail for want
 * of an eventfd (the first made it); on any error both are undone. */
static int parent_side(eddy_loop_t *loop, eddy_worker_t *w,
                       eddy_port_end_t *end) {
  int err = eddy_port_open(loop, &w->port, end);
  if (err) return err;
  err = eddy_async_init(loop, &w->_exit_async, on_exit_async);
  if (err) {
    async_forget(&w->port._async);
    eddy_queue_remove(&w->port._handle_node);
    pthread_mutex_lock(&end->chan->lock); /* the thread may be posting */
    end->handle = NULL;
    end->opened = 0;
    pthread_mutex_unlock(&end->chan->lock);
    eddy__port_wait_wakers(end);
    return err;
  }
  w->_exit_async._flags |= EDDY__INTERNAL;
  eddy_unref((eddy_handle_t *)&w->_exit_async);
  return 0;
}

/* The thread runs but the parent side could not be made: let it go. */
static void abandon(struct eddy__worker_shared_s *sh) {
  wake_worker(sh);
  drop_ref(sh);
}

int eddy_worker_start(eddy_loop_t *loop, eddy_worker_t *w,
                      eddy_worker_entry entry, const void *data, size_t len,
                      const eddy_worker_opts_t *opts) {
  static const eddy_worker_opts_t defaults;
  if (loop == NULL || w == NULL || entry == NULL || (data == NULL && len))
    return -EINVAL;
  if (opts == NULL) opts = &defaults;
  struct eddy__worker_shared_s *sh = shared_new(entry, data, len, opts);
  if (sh == NULL) return -ENOMEM;
  eddy_port_end_t *mine;
  int err = eddy_channel_create(&mine, &sh->child_end);
  if (err) {
    shared_free(sh);
    return err;
  }
  sh->id = eddy__thread_id_next();
  if ((err = spawn(sh, opts->stack_size)) != 0) {
    eddy_port_end_free(mine);
    eddy_port_end_free(sh->child_end);
    shared_free(sh);
    return err;
  }
  if ((err = parent_side(loop, w, mine)) != 0) {
    eddy_port_end_free(mine);
    abandon(sh);
    return err;
  }
  w->_sh = sh;
  w->_opts = *opts;
  w->thread_id = sh->id;
  w->exit_code = 0;
  eddy__handle_init(loop, (eddy_handle_t *)w, EDDY_HANDLE_WORKER,
                    worker_on_close);
  eddy__handle_start((eddy_handle_t *)w);
  /* The thread may already have finished: it reports when it sees this. */
  pthread_mutex_lock(&sh->lock);
  sh->parent_async = &w->_exit_async;
  if (sh->finished) eddy_async_send(&w->_exit_async);
  pthread_mutex_unlock(&sh->lock);
  return 0;
}

int eddy_worker_terminate(eddy_worker_t *w) {
  if (w == NULL || w->_sh == NULL) return -EINVAL;
  if (w->_sh->reported) return EDDY_ECLOSED;
  wake_worker(w->_sh);
  return 0;
}

eddy_elu_t eddy_worker_utilization(eddy_worker_t *w, const eddy_elu_t *prev) {
  struct eddy__worker_shared_s *sh = w->_sh;
  eddy_elu_t e = {0, 0, 0.0};
  if (sh == NULL) return e;
  pthread_mutex_lock(&sh->lock);
  if (sh->loop_live)
    e = eddy_loop_utilization(&sh->loop, prev);
  else
    e = sh->final_elu;
  pthread_mutex_unlock(&sh->lock);
  if (!sh->loop_live && prev) {
    e.idle_ns -= prev->idle_ns < e.idle_ns ? prev->idle_ns : e.idle_ns;
    e.active_ns -= prev->active_ns < e.active_ns ? prev->active_ns
                                                 : e.active_ns;
    uint64_t sum = e.idle_ns + e.active_ns;
    e.utilization = sum ? (double)e.active_ns / (double)sum : 0.0;
  }
  return e;
}

int eddy_worker_delay_stats(eddy_worker_t *w, eddy_hist_stats_t *out) {
  struct eddy__worker_shared_s *sh = w ? w->_sh : NULL;
  if (sh == NULL || out == NULL) return -EINVAL;
  pthread_mutex_lock(&sh->lock);
  int have = sh->has_delay;
  if (have) *out = sh->delay;
  pthread_mutex_unlock(&sh->lock);
  return have ? 0 : -ENOENT;
}

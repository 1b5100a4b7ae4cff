/*
 * The process-wide thread pool (libuv's model): one mutex, one condvar and
 * two intrusive queues (fast, slow). Completions go to a per-loop queue
 * under its own mutex and wake the loop through one internal async handle;
 * the worker writes the eventfd only when the queue was empty, so one
 * wake-up drains every request finished since the last drain.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>

#include "core/internal.h"
#include "core/threadpool.h"

#define DEFAULT_THREADS 4
#define MAX_THREADS 1024

/* eddy_work_t._state. Only the loop thread sets QUEUED, IDLE and CANCELED;
 * a worker sets RUNNING under the pool mutex. */
enum { IDLE = 0, QUEUED, RUNNING, CANCELED };

static struct {
  pthread_mutex_t mutex;
  pthread_cond_t cond;
  eddy_queue_t queue[2]; /* indexed by EDDY__WORK_FAST / EDDY__WORK_SLOW */
  unsigned nthreads;
  unsigned idle; /* threads waiting on cond */
  unsigned slow_running;
  unsigned slow_max;
  int slow_turn; /* alternates classes when both are queued */
  int err;       /* why the pool could not start, else 0 */
  pthread_t *threads;
  size_t queued; /* for eddy_threadpool_stats */
  unsigned running;
  uint64_t completed;
} pool = {.mutex = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

/* The per-loop completion queue, in loop->_work_done. */
typedef struct {
  pthread_mutex_t mutex;
  eddy_queue_t queue;
  eddy_async_t async;
} work_done_t;

static unsigned size_from_env(void) {
  const char *s = getenv("EDDY_THREADPOOL_SIZE");
  if (s == NULL || *s == '\0') return DEFAULT_THREADS;
  char *end;
  errno = 0;
  unsigned long n = strtoul(s, &end, 10);
  if (*end != '\0' || *s == '-') return DEFAULT_THREADS;
  if (errno == ERANGE || n > MAX_THREADS) return MAX_THREADS;
  return n < 1 ? 1 : (unsigned)n;
}

/* Takes the next runnable request, or NULL. Pool mutex held. */
static eddy_work_t *next_work(void) {
  int fast = !eddy_queue_empty(&pool.queue[EDDY__WORK_FAST]);
  int slow = !eddy_queue_empty(&pool.queue[EDDY__WORK_SLOW]) &&
             pool.slow_running < pool.slow_max;
  if (!fast && !slow) return NULL;
  int cls = slow;
  if (fast && slow) cls = pool.slow_turn ^= 1;
  eddy_queue_t *q = eddy_queue_head(&pool.queue[cls]);
  eddy_queue_remove(q);
  eddy_work_t *w = EDDY_CONTAINER_OF(q, eddy_work_t, _node);
  w->_state = RUNNING;
  pool.queued--;
  pool.running++;
  if (cls == EDDY__WORK_SLOW) pool.slow_running++;
  return w;
}

/* Hands a finished (or cancelled) request to its loop. Sending under the
 * lock matters: once the loop drains the request it may close and free the
 * queue, so nothing may touch it after the unlock. */
static void post_done(eddy_work_t *w) {
  work_done_t *d = w->loop->_work_done;
  pthread_mutex_lock(&d->mutex);
  int first = eddy_queue_empty(&d->queue);
  eddy_queue_push(&d->queue, &w->_node);
  if (first) eddy_async_send(&d->async);
  pthread_mutex_unlock(&d->mutex);
}

static void *worker(void *arg) {
  sem_post(arg); /* tell pool_init() this thread is up */
  pthread_mutex_lock(&pool.mutex);
  for (;;) {
    eddy_work_t *w = next_work();
    if (w == NULL) {
      pool.idle++;
      pthread_cond_wait(&pool.cond, &pool.mutex);
      pool.idle--;
      continue;
    }
    int slow = w->_slow;
    pthread_mutex_unlock(&pool.mutex);
    w->_work_cb(w);
    post_done(w); /* w may be reused from here on */
    pthread_mutex_lock(&pool.mutex);
    pool.running--;
    pool.completed++;
    if (slow) pool.slow_running--;
  }
  return NULL;
}

/* fork(): hold the mutex across the fork so the child's copy of the pool is
 * consistent, then give the child an empty pool that restarts lazily. */
static void before_fork(void) { pthread_mutex_lock(&pool.mutex); }
static void after_fork_parent(void) { pthread_mutex_unlock(&pool.mutex); }

static void after_fork_child(void) {
  pthread_mutex_unlock(&pool.mutex);
  pthread_cond_init(&pool.cond, NULL);
  free(pool.threads);
  pool.threads = NULL;
  pool.nthreads = pool.idle = pool.slow_running = 0;
  pool.queued = pool.running = 0;
  pool.completed = 0;
  pool.err = 0;
  eddy_queue_init(&pool.queue[0]);
  eddy_queue_init(&pool.queue[1]);
  pool_once = (pthread_once_t)PTHREAD_ONCE_INIT;
}

/* Starts up to n threads and, as libuv does, waits until each one runs, so
 * the pool is complete (and no thread is half-born) when the first
 * submission returns. */
static void start_threads(unsigned n) {
  sigset_t old;
  sem_t up;
  if (sem_init(&up, 0, 0)) return;
  /* Threads inherit the creator's mask: blocking here, not in the thread,
   * leaves no instant in which a pool thread could take a signal. */
  pthread_sigmask(SIG_SETMASK, NULL, &old);
  eddy__block_all_signals();
  while (pool.nthreads < n &&
         pthread_create(&pool.threads[pool.nthreads], NULL, worker, &up) == 0)
    pool.nthreads++;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  for (unsigned i = 0; i < pool.nthreads; i++)
    while (sem_wait(&up) && errno == EINTR) {
    }
  sem_destroy(&up);
}

static void pool_init(void) {
  static int atfork_registered;
  unsigned n = size_from_env();
  eddy_queue_init(&pool.queue[0]);
  eddy_queue_init(&pool.queue[1]);
  if (!atfork_registered &&
      pthread_atfork(before_fork, after_fork_parent, after_fork_child) == 0)
    atfork_registered = 1;
  pool.threads = calloc(n, sizeof(*pool.threads));
  if (pool.threads == NULL) {
    pool.err = -ENOMEM;
    return;
  }
  /* Set before any thread can look at it: the workers take the mutex, and
   * nothing is queued until pool_init() returns. */
  pool.slow_max = (n + 1) / 2;
  start_threads(n);
  pthread_mutex_lock(&pool.mutex);
  pool.slow_max = (pool.nthreads + 1) / 2;
  if (pool.nthreads == 0) pool.err = -EAGAIN;
  pthread_mutex_unlock(&pool.mutex);
}

static int pool_start(void) {
  pthread_once(&pool_once, pool_init);
  return pool.err;
}

unsigned eddy_threadpool_size(void) {
  pool_start();
  return pool.nthreads;
}

/* Runs on the loop: every request finished since the last wake-up. */
static void on_work_done(eddy_async_t *a) {
  work_done_t *d = EDDY_CONTAINER_OF(a, work_done_t, async);
  eddy_loop_t *loop = a->loop;
  eddy_queue_t batch;
  pthread_mutex_lock(&d->mutex);
  eddy_queue_move(&d->queue, &batch);
  pthread_mutex_unlock(&d->mutex);
  while (!eddy_queue_empty(&batch)) {
    eddy_queue_t *q = eddy_queue_head(&batch);
    eddy_queue_remove(q);
    eddy_work_t *w = EDDY_CONTAINER_OF(q, eddy_work_t, _node);
    int status = w->_state == CANCELED ? -ECANCELED : 0;
    w->_state = IDLE;
    eddy__req_unregister(loop);
    eddy__dispatch(loop, "work");
    if (w->_after_cb) w->_after_cb(w, status);
  }
}

/* Makes the loop's completion queue on first use. */
static int done_setup(eddy_loop_t *loop) {
  if (loop->_work_done) return 0;
  work_done_t *d = malloc(sizeof(*d));
  if (d == NULL) return -ENOMEM;
  int err = eddy_async_init(loop, &d->async, on_work_done);
  if (err) {
    free(d);
    return err;
  }
  /* The loop's own: not walked, not closed by the user, keeps nothing
   * alive (requests in flight do that). */
  d->async._flags |= EDDY__INTERNAL | EDDY__ASYNC_NO_SPIN;
  eddy_unref((eddy_handle_t *)&d->async);
  pthread_mutex_init(&d->mutex, NULL);
  eddy_queue_init(&d->queue);
  loop->_work_done = d;
  return 0;
}

void eddy__work_free(eddy_loop_t *loop) {
  work_done_t *d = loop->_work_done;
  if (d == NULL) return;
  eddy__handle_stop((eddy_handle_t *)&d->async);
  eddy_queue_remove(&d->async._node);
  eddy_queue_remove(&d->async._handle_node);
  pthread_mutex_destroy(&d->mutex);
  free(d);
  loop->_work_done = NULL;
}

int eddy__queue_work_class(eddy_loop_t *loop, eddy_work_t *req,
                           eddy_work_cb work_cb,
                           eddy_after_work_cb after_work_cb, int cls) {
  if (loop == NULL || req == NULL || work_cb == NULL) return -EINVAL;
  int err = pool_start();
  if (!err) err = done_setup(loop);
  if (err) return err;
  req->loop = loop;
  req->_work_cb = work_cb;
  req->_after_cb = after_work_cb;
  req->_slow = cls == EDDY__WORK_SLOW;
  eddy__req_register(loop);
  pthread_mutex_lock(&pool.mutex);
  req->_state = QUEUED;
  eddy_queue_push(&pool.queue[req->_slow], &req->_node);
  pool.queued++;
  int wake = pool.idle > 0;
  pthread_mutex_unlock(&pool.mutex);
  if (wake) pthread_cond_signal(&pool.cond);
  return 0;
}

int eddy_queue_work(eddy_loop_t *loop, eddy_work_t *req, eddy_work_cb work_cb,
                    eddy_after_work_cb after_work_cb) {
  return eddy__queue_work_class(loop, req, work_cb, after_work_cb,
                                EDDY__WORK_FAST);
}

int eddy_cancel(eddy_work_t *req) {
  if (req == NULL || req->loop == NULL) return -EINVAL;
  pthread_mutex_lock(&pool.mutex);
  int queued = req->_state == QUEUED;
  if (queued) {
    eddy_queue_remove(&req->_node);
    req->_state = CANCELED;
    pool.queued--;
  }
  pthread_mutex_unlock(&pool.mutex);
  if (!queued) return -EBUSY;
  post_done(req); /* the callback runs on a later wake-up, not here */
  return 0;
}

void eddy_threadpool_stats(eddy_threadpool_stats_t *out) {
  pthread_mutex_lock(&pool.mutex);
  out->queued = pool.queued;
  out->running = pool.running;
  out->completed = pool.completed;
  out->threads = pool.nthreads;
  pthread_mutex_unlock(&pool.mutex);
}

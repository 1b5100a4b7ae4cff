/*
 * Worker threads, private: the state a worker shares with its parent. It is
 * reference-counted (parent handle + thread) so that either may go first:
 * the thread is detached, never joined, and touches this block for the
 * last time in report() (worker_thread.c), which drops its reference.
 */
#ifndef EDDY_THREAD_WORKER_H
#define EDDY_THREAD_WORKER_H

#include <pthread.h>

#include "eddy/thread.h"

struct eddy__worker_shared_s {
  pthread_mutex_t lock; /* guards everything below that is not atomic */
  int refs;
  int reported; /* the parent has had the exit (loop thread only) */
  eddy_worker_entry entry;
  void *data;
  size_t len;
  eddy_port_end_t *child_end;
  uint64_t id;
  unsigned delay_res;
  char name[16];
  eddy_loop_t loop;        /* the worker's loop */
  int loop_live;           /* loop usable: terminate may wake it */
  eddy_async_t stop_async; /* on the worker's loop */
  eddy_port_t port;        /* the worker's end of the parent port */
  _Atomic int terminated;
  int exit_requested;
  int exit_code;
  int error;
  int finished;               /* the thread has made its report */
  eddy_async_t *parent_async; /* NULL once the parent handle is closed */
  eddy_elu_t final_elu;
  int has_delay;
  eddy_hist_stats_t delay;
};

#endif

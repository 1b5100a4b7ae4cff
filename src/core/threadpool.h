/*
 * eddy core — private interface of the thread pool for the layers that
 * submit work of their own (fs, dns). Public API: include/eddy/threadpool.h.
 */
#ifndef EDDY_CORE_THREADPOOL_H
#define EDDY_CORE_THREADPOOL_H

#include "eddy/threadpool.h"

/* Work classes: SLOW work may occupy at most half of the pool's threads. */
enum { EDDY__WORK_FAST = 0, EDDY__WORK_SLOW = 1 };

/* eddy_queue_work() with an explicit class. */
int eddy__queue_work_class(eddy_loop_t *loop, eddy_work_t *req,
                           eddy_work_cb work_cb,
                           eddy_after_work_cb after_work_cb, int cls);

#endif

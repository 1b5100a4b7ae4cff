/*
 * Helpers for the thread-pool, fs and join tests: a gate that holds pool
 * threads in blocking work until the test opens it, and scratch
 * directories.
 */
#ifndef EDDY_TEST_FS_HELPERS_H
#define EDDY_TEST_FS_HELPERS_H

#include <stddef.h>

#include "eddy/fs.h"

/* Work callback: counts itself as started, then waits for work_gate_open(). */
void work_gate_work(eddy_work_t *w);
/* Waits (at most 5 s) until `n` work_gate_work calls run; returns how many do. */
int work_gate_wait_started(int n);
/* How many work_gate_work calls have started so far. */
int work_gate_started(void);
/* Lets every work_gate_work call (current and future) return. */
void work_gate_open(void);

/*
 * Bounds the test process's run time: SIGALRM kills it after `seconds`, and
 * Criterion reports the test as crashed. Used instead of Criterion's
 * .timeout, whose runner leaks (LeakSanitizer fails the whole run) when
 * tests with timeouts overlap under --jobs 2 (Criterion 2.4.1).
 */
void bound_test_time(unsigned seconds);

/* Makes a fresh directory under /tmp; returns its path (static buffer). */
const char *scratch_dir(void);
/* Joins the scratch dir and `name` into a static ring of buffers. */
const char *scratch_path(const char *name);
/* Writes `len` bytes to `path` synchronously (test set-up only). */
void write_file_sync(const char *path, const void *buf, size_t len);
/* Removes the scratch directory and everything in it. */
void scratch_remove(void);

#endif

/* Helpers for the thread, port, shared and pool tests. */
#ifndef EDDY_TEST_THREAD_HELPERS_H
#define EDDY_TEST_THREAD_HELPERS_H

#include <stdint.h>

#include "eddy/loop.h"

/* A gate pool tasks can wait on: closed (0) until gate_open(). */
void gate_close(void);
void gate_open(void);
/* A pool fn that waits until the gate opens; counts itself as started. */
int gate_task(void *arg, void **result);
/* How many gate tasks have started. */
int gate_started(void);
/* Opens the gate after `ms` on `loop` (an unreferenced internal timer). */
void gate_open_after(eddy_loop_t *loop, uint64_t ms);

/* Makes the calling thread's end slow: a thread-local destructor, run after
 * its thread function has returned, sleeps `ms` and then counts itself. */
void slow_teardown_arm(unsigned ms);
/* How many slow teardowns have finished in this process so far. */
int slow_teardowns_done(void);
/* Waits until slow_teardowns_done() >= n, at most `ms`: 0, or -1 if not. */
int slow_teardowns_wait(int n, unsigned ms);

/* Bounds the running test to `seconds` (SIGALRM ends it as a crash).
 * Used instead of Criterion's .timeout, whose parallel runner (2.4.1)
 * leaks 48 bytes per timed test and so fails `make test` under LSan. */
void time_limit(unsigned seconds);

/* Runs `cmd` through /bin/sh; returns its exit status and, in out (size n),
 * the start of its stdout. */
int run_command(const char *cmd, char *out, size_t n);

#endif

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

/* Bounds the running test to `seconds` (SIGALRM ends it as a crash).
 * Used instead of Criterion's .timeout, whose parallel runner (2.4.1)
 * leaks 48 bytes per timed test and so fails `make test` under LSan. */
void time_limit(unsigned seconds);

/* Runs `cmd` through /bin/sh; returns its exit status and, in out (size n),
 * the start of its stdout. */
int run_command(const char *cmd, char *out, size_t n);

#endif

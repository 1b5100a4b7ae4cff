/*
 * eddy — the log: one line per call, through a buffered writer.
 *
 * eddy_log() formats into a process-wide buffer under a short lock and
 * returns; a writer thread (started on first use) writes the buffer to the
 * log fd (stderr by default). The calling thread never waits for I/O, so a
 * loop may log. When the buffer is full the line is dropped and counted,
 * never blocking the caller. Lines are flushed at exit.
 *
 * Every function here is thread-safe.
 */
#ifndef EDDY_LOG_H
#define EDDY_LOG_H

#include <stdint.h>

#include "eddy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  EDDY_LOG_DEBUG = 0,
  EDDY_LOG_INFO,
  EDDY_LOG_WARN,
  EDDY_LOG_ERROR,
  EDDY_LOG_OFF
} eddy_log_level_t;

/*
 * Logs one line at `level` ("2026-11-24T10:25:45.123Z eddy[pid] WARN ...").
 * A trailing newline is added; lines are cut at 1 KiB.
 */
EDDY_EXTERN void eddy_log(eddy_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Lines below `level` are discarded (default: INFO, or EDDY_LOG_LEVEL). */
EDDY_EXTERN void eddy_log_set_level(eddy_log_level_t level);

/* Sends lines to `fd` (not owned) instead of stderr. -EBADF if fd < 0. */
EDDY_EXTERN int eddy_log_set_fd(int fd);

/*
 * Waits up to `timeout_ms` for buffered lines to be written. Returns 0, or
 * -ETIMEDOUT. Blocks: call it at exit or from tests, not from a loop.
 */
EDDY_EXTERN int eddy_log_flush(unsigned timeout_ms);

/* Lines dropped because the buffer was full, since the process started. */
EDDY_EXTERN uint64_t eddy_log_dropped(void);

#ifdef __cplusplus
}
#endif
#endif

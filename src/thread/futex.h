/* Futex wait/wake on a 32-bit word of this process (private futexes). */
#ifndef EDDY_THREAD_FUTEX_H
#define EDDY_THREAD_FUTEX_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleeps while *w == val, at most `ts` (NULL: no limit). -errno or 0. */
static inline int eddy__futex_wait(_Atomic int32_t *w, int32_t val,
                                   const struct timespec *ts) {
  long r = syscall(SYS_futex, (int32_t *)w, FUTEX_WAIT_PRIVATE, val, ts, NULL,
                   0);
  return r < 0 ? -errno : 0;
}

/* Wakes up to `n` sleepers on w; returns how many woke. */
static inline int eddy__futex_wake(_Atomic int32_t *w, int n) {
  long r = syscall(SYS_futex, (int32_t *)w, FUTEX_WAKE_PRIVATE, n, NULL, NULL,
                   0);
  return r < 0 ? 0 : (int)r;
}

#endif

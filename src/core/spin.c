/*
 * The busy-wait before a sleeping poll (see eddy_loop_set_spin in loop.h).
 * It watches one counter that eddy_async_send bumps before its eventfd
 * write: reading it costs no system call, and a change means epoll_wait
 * will find the eventfd readable at once. Every few µs it also asks epoll
 * whether another fd is ready, so sockets never wait for a spin to end.
 */
#include <sys/epoll.h>
#include <unistd.h>

#include "core/internal.h"

#define DEFAULT_SPIN_NS 50000u
/* Pause rounds between two clock readings. */
#define CHECKS_PER_CLOCK 64

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* Any fd ready? Level-triggered, so the events found here are reported
 * again by the epoll_wait that follows. One system call per few µs. */
static int other_io_ready(eddy_loop_t *loop) {
  struct epoll_event ev;
  return epoll_wait(loop->_epfd, &ev, 1, 0) > 0;
}

uint64_t eddy__spin_default_ns(void) {
  return sysconf(_SC_NPROCESSORS_ONLN) > 1 ? DEFAULT_SPIN_NS : 0;
}

void eddy_loop_set_spin(eddy_loop_t *loop, uint64_t ns) { loop->_spin_ns = ns; }

void eddy__spin_before_sleep(eddy_loop_t *loop, int timeout_ms) {
  if (!loop->_spin_armed || !loop->_spin_ns || timeout_ms == 0) return;
  uint64_t budget = loop->_spin_ns;
  if (timeout_ms > 0 && (uint64_t)timeout_ms * 1000000u < budget)
    budget = (uint64_t)timeout_ms * 1000000u;
  uint64_t seen = atomic_load_explicit(&loop->_async_sends,
                                       memory_order_relaxed);
  uint64_t end = eddy_hrtime() + budget;
  for (;;) {
    for (int i = 0; i < CHECKS_PER_CLOCK; i++) {
      if (atomic_load_explicit(&loop->_async_sends, memory_order_relaxed) !=
          seen)
        return; /* stays armed: the conversation goes on */
      cpu_relax();
    }
    if (eddy_hrtime() >= end) break;
    if (other_io_ready(loop)) return; /* a socket must not wait for us */
  }
  loop->_spin_armed = 0; /* nothing came: sleep, and spin again only after
                          * the next async wake-up */
}

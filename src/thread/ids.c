/* Thread identity: main thread test and Node-style thread ids. */
#include <sys/syscall.h>
#include <unistd.h>

#include "eddy/thread.h"
#include "thread/ids.h"

static _Atomic uint64_t next_id = 1;
static __thread uint64_t my_id;

int eddy_is_main_thread(void) { return getpid() == (pid_t)syscall(SYS_gettid); }

uint64_t eddy_thread_id(void) { return my_id; }

uint64_t eddy__thread_id_next(void) {
  return atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
}

void eddy__thread_id_set(uint64_t id) { my_id = id; }

#include "support/thread_helpers.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "eddy/thread.h"

static _Atomic int32_t gate;
static _Atomic int started;
static eddy_timer_t opener;

void gate_close(void) {
  atomic_store(&gate, 0);
  atomic_store(&started, 0);
}

void gate_open(void) {
  atomic_store(&gate, 1);
  eddy_atomic_notify(&gate, -1);
}

int gate_task(void *arg, void **result) {
  atomic_fetch_add(&started, 1);
  while (atomic_load(&gate) == 0) eddy_atomic_wait(&gate, 0, 1000);
  *result = arg;
  return 0;
}

int gate_started(void) { return atomic_load(&started); }

static void open_cb(eddy_timer_t *t) {
  gate_open();
  eddy_close((eddy_handle_t *)t, NULL);
}

void gate_open_after(eddy_loop_t *loop, uint64_t ms) {
  eddy_timer_init(loop, &opener);
  eddy_timer_start(&opener, open_cb, ms, 0);
}

int run_command(const char *cmd, char *out, size_t n) {
  FILE *f = popen(cmd, "r");
  if (f == NULL) return -1;
  size_t got = fread(out, 1, n - 1, f);
  out[got] = '\0';
  while (fread((char[256]){0}, 1, 256, f) > 0) {
  }
  int st = pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void time_limit(unsigned seconds) { alarm(seconds); }

static pthread_key_t slow_key;
static pthread_once_t slow_once = PTHREAD_ONCE_INIT;
static _Atomic int slow_done;

static void sleep_ms(unsigned ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static void slow_destructor(void *v) {
  sleep_ms((unsigned)(uintptr_t)v);
  atomic_fetch_add(&slow_done, 1);
}

static void slow_key_make(void) { pthread_key_create(&slow_key, slow_destructor); }

void slow_teardown_arm(unsigned ms) {
  pthread_once(&slow_once, slow_key_make);
  pthread_setspecific(slow_key, (void *)(uintptr_t)(ms ? ms : 1));
}

int slow_teardowns_done(void) { return atomic_load(&slow_done); }

int slow_teardowns_wait(int n, unsigned ms) {
  for (unsigned waited = 0; atomic_load(&slow_done) < n; waited += 5) {
    if (waited >= ms) return -1;
    sleep_ms(5);
  }
  return 0;
}

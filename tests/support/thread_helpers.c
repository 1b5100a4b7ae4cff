#include "support/thread_helpers.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
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

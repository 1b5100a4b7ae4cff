#include "support/loop_helpers.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

static void close_one(eddy_handle_t *h, void *arg) {
  if (!eddy_is_closing(h)) eddy_close(h, NULL);
}

void assert_no_leaks(void) {
#ifdef __SANITIZE_ADDRESS__
  /* Criterion counts a test that leaks at exit as passing: check here. */
  cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "memory leaked");
#endif
}

void close_loop(eddy_loop_t *loop) {
  eddy_loop_walk(loop, close_one, NULL);
  eddy_run(loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(eddy_loop_close(loop), 0, "loop still busy at the end");
  assert_no_leaks();
}

uint64_t now_ms(void) { return eddy_hrtime() / 1000000u; }

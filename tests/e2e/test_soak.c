/*
 * The short soak in `make test`: 4 seconds of mixed load (keep-alive,
 * pipelined, bodies, static files, half-closes, resets) against the ASan
 * builds of eddy serve and http-static. No failed request, the fds back to
 * where they were, clean exits. RSS is reported, not checked: ASan's
 * quarantine grows it (`make soak` checks it on the release build).
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "support/soak.h"

Test(soak, four_seconds_of_mixed_load_fail_nothing_and_leak_no_fd,
     .timeout = 60) {
  static soak_result_t r;
  soak_opts_t o = {.seconds = 4, .check_rss = 0, .bin = getenv("EDDY_BIN"),
                   .examples = getenv("EDDY_EXAMPLES")};
  cr_assert(o.bin && o.examples, "EDDY_BIN / EDDY_EXAMPLES not set");
  int rc = soak_run(&o, &r);
  soak_print(&r, o.seconds);
  cr_assert_eq(rc, 0, "soak: %ld of %ld failed: %s", r.failed, r.requests, r.why);
  cr_assert_gt(r.requests, 100);
  cr_assert(r.exit_ok);
}

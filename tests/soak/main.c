/*
 * make soak SOAK_SECONDS=N: the soak of tests/support/soak.c against the
 * release build (or EDDY_BIN / EDDY_EXAMPLES), with the check that RSS
 * stays flat after warm-up. Prints the samples; exits 1 on any failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include "support/soak.h"

int main(int argc, char **argv) {
  const char *bin = getenv("EDDY_BIN"), *ex = getenv("EDDY_EXAMPLES");
  soak_opts_t o = {.seconds = argc > 1 ? atoi(argv[1]) : 60,
                   .check_rss = 1,
                   .bin = bin ? bin : "build/release/bin/eddy",
                   .examples = ex ? ex : "build/release/examples"};
  if (o.seconds < 2 || o.seconds > 590) {
    fprintf(stderr, "usage: soak SECONDS (2..590)\n");
    return 2;
  }
  static soak_result_t r;
  int rc = soak_run(&o, &r);
  soak_print(&r, o.seconds);
  return rc == 0 ? 0 : 1;
}

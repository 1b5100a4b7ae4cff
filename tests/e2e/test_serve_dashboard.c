/*
 * eddy serve's /dashboard: off unless --dashboard, and --dashboard on a
 * non-loopback address is refused at start without --dashboard-allow.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "support/e2e_helpers.h"

TestSuite(serve_dashboard, .timeout = 30, .fini = e2e_kill_leftover);

#define PAGE "GET /dashboard HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

Test(serve_dashboard, served_only_when_asked) {
  e2e_server_t s;
  char out[65536];
  e2e_start(&s, (const char *const[]){"--dashboard", NULL});
  cr_assert_eq(e2e_fresh_request(&s, PAGE, out, sizeof(out)), 200, "%s", out);
  cr_assert(strstr(out, "text/html"), "%.300s", out);
  e2e_stop(&s);
  e2e_start(&s, NULL);
  cr_assert_eq(e2e_fresh_request(&s, PAGE, out, sizeof(out)), 404);
  e2e_stop(&s);
}

Test(serve_dashboard, refused_on_a_public_address_without_allow) {
  char cmd[512];
  snprintf(cmd, sizeof(cmd),
           "%s serve --port 0 --host 0.0.0.0 --dashboard >/dev/null 2>&1",
           getenv("EDDY_BIN"));
  int st = system(cmd);
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d", st);
}

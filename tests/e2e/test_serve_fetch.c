/*
 * eddy serve's GET /fetch: a web-service call through eddy's HTTP client
 * in the middle of a request, with Node's req.on('error') as a 502 that
 * names the error; only --fetch-allow hosts may be called.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "support/e2e_helpers.h"

TestSuite(serve_fetch, .timeout = 30, .fini = e2e_kill_leftover);

static int get(const e2e_server_t *s, const char *target, char *out,
               size_t max) {
  char req[512];
  snprintf(req, sizeof(req),
           "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target);
  return e2e_fresh_request(s, req, out, max);
}

Test(serve_fetch, fetches_allowed_urls_and_names_every_failure) {
  e2e_server_t s;
  const char *const args[] = {"--fetch-allow", "127.0.0.1,nonexistent.invalid",
                              NULL};
  e2e_start(&s, args);
  char target[256], out[4096];
  snprintf(target, sizeof(target), "/fetch?url=http://127.0.0.1:%d/hello",
           s.port);
  cr_assert_eq(get(&s, target, out, sizeof(out)), 200, "%s", out);
  cr_assert(strstr(out, "\"status\":200"), "%s", out);
  cr_assert(strstr(out, "\"body_bytes\":13"), "%s", out);
  cr_assert_eq(get(&s, "/fetch?url=http://nonexistent.invalid/", out,
                   sizeof(out)),
               502, "%s", out);
  cr_assert(strstr(out, "\"code\":\"EDDY_ENOTFOUND\""), "%s", out);
  cr_assert_eq(get(&s, "/fetch?url=http://127.0.0.1:1/", out, sizeof(out)),
               502, "%s", out);
  cr_assert(strstr(out, "\"code\":\"ECONNREFUSED\""), "%s", out);
  cr_assert_eq(get(&s, "/fetch?url=http://example.com/", out, sizeof(out)),
               403, "%s", out);
  cr_assert_eq(get(&s, "/fetch?url=ftp://x/", out, sizeof(out)), 400, "%s",
               out);
  e2e_stop(&s);
}

/*
 * examples/express end to end: the real binary on a free port, raw
 * sockets: routes, the JSON body, the error middleware and the default
 * error handler, the logging middleware's lines.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "support/e2e_helpers.h"

TestSuite(app_example, .timeout = 20, .fini = e2e_kill_leftover);

static char out[8192];

static const char *body_of(void) {
  const char *p = strstr(out, "\r\n\r\n");
  return p ? p + 4 : "";
}

static int post_json(const e2e_server_t *s, const char *json) {
  char req[1024];
  snprintf(req, sizeof req,
           "POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
           "\r\nContent-Length: %zu\r\n\r\n%s",
           strlen(json), json);
  return e2e_fresh_request(s, req, out, sizeof out);
}

Test(app_example, routes_json_body_and_errors) {
  e2e_server_t s;
  e2e_start_example(&s, "express", NULL);
  cr_assert_eq(e2e_fresh_request(&s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", out,
                                 sizeof out), 200);
  cr_assert_str_eq(body_of(), "Hello from eddy\n");
  cr_assert_eq(e2e_fresh_request(&s, "GET /users/42 HTTP/1.1\r\nHost: x\r\n\r\n",
                                 out, sizeof out), 200);
  cr_assert_str_eq(body_of(), "{\"id\":42,\"name\":\"user 42\"}");
  cr_assert_eq(e2e_fresh_request(&s, "GET /users/x HTTP/1.1\r\nHost: x\r\n\r\n",
                                 out, sizeof out), 400);
  cr_assert_str_eq(body_of(), "{\"error\":\"id must be a number\"}");
  cr_assert_eq(post_json(&s, "{\"name\":\"Ada\"}"), 201);
  cr_assert_str_eq(body_of(), "{\"id\":1,\"name\":\"Ada\"}");
  cr_assert_eq(post_json(&s, "{\"name\":Ada}"), 400);
  cr_assert(strstr(body_of(), "invalid JSON at line 1, column 11"), "%s", out);
  cr_assert_eq(post_json(&s, "{}"), 400);
  cr_assert_eq(e2e_fresh_request(&s, "GET /boom HTTP/1.1\r\nHost: x\r\n\r\n",
                                 out, sizeof out), 500);
  cr_assert_str_eq(body_of(), "{\"error\":\"Internal Server Error\"}");
  cr_assert_eq(e2e_fresh_request(&s, "PUT /users/1 HTTP/1.1\r\nHost: x\r\n"
                                     "Content-Length: 0\r\n\r\n", out,
                                 sizeof out), 405);
  cr_assert(strstr(out, "Allow: GET, HEAD, OPTIONS\r\n"), "%s", out);
  e2e_stop(&s);
}

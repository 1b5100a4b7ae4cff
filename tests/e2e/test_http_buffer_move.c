/*
 * The read buffer grows and moves while a request's body is read into it.
 * Every slice of the request must still be right afterwards: those into
 * the buffer move with it, and the parser's defaults (path "/" of an
 * absolute URI without a path, host "" of a request without Host) stay on
 * their static strings. A wrong move crashed the server (SEGV reading
 * req->path) on the first such request.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy/http.h"
#include "support/e2e_helpers.h"
#include "support/httpsrv_helpers.h"

TestSuite(http_buffer_move, .timeout = 30, .fini = e2e_kill_leftover);

#define BODY 200000

/* Sends `head` and BODY bytes of 'b'; returns the status of the answer. */
static int post_big(int port, const char *head, char *out, size_t max) {
  e2e_server_t s = {.pid = 0, .port = port};
  int fd = e2e_connect(&s);
  char *body = malloc(BODY);
  memset(body, 'b', BODY);
  e2e_send(fd, head, strlen(head));
  e2e_send(fd, body, BODY);
  int status = e2e_read_response(fd, out, max, 0);
  free(body);
  close(fd);
  return status;
}

/* Answers "method path host header-x body-length body-ok" from the request
 * as the handler sees it after the body was read. */
static void echo_handler(eddy_http_server_t *s, eddy_http_request_t *q,
                         eddy_http_res_t *res) {
  size_t blen;
  const char *body = eddy_http_req_body(q, &blen);
  int body_ok = 1;
  for (size_t i = 0; i < blen; i++) body_ok &= body[i] == 'b';
  const eddy_http_header_t *x = eddy_http_find_header(q, "X-Tag", 5);
  char out[512];
  int n = snprintf(out, sizeof(out), "%.*s %.*s [%.*s] %.*s %zu %d",
                   (int)q->method_name.len, q->method_name.base,
                   (int)q->path.len, q->path.base, (int)q->host.len,
                   q->host.base, x ? (int)x->value.len : 0,
                   x ? x->value.base : "", blen, body_ok);
  eddy_http_res_end(res, out, (size_t)n);
}

static void expect_echo(const char *head, const char *want) {
  tsrv_t t;
  tsrv_init(&t, NULL, echo_handler);
  tsrv_run(&t);
  char out[4096];
  cr_assert_eq(post_big(t.port, head, out, sizeof(out)), 200, "%s", out);
  const char *body = strstr(out, "\r\n\r\n");
  cr_assert(body, "%s", out);
  cr_assert_str_eq(body + 4, want);
  tsrv_stop(&t);
}

Test(http_buffer_move, absolute_uri_without_path_keeps_its_default_path) {
  expect_echo("POST http://a HTTP/1.1\r\nHost: a\r\nX-Tag: t1\r\n"
              "Content-Length: 200000\r\n\r\n",
              "POST / [a] t1 200000 1");
}

Test(http_buffer_move, http10_without_host_keeps_its_empty_host) {
  expect_echo("POST /p?q=1 HTTP/1.0\r\nX-Tag: t2\r\n"
              "Content-Length: 200000\r\n\r\n",
              "POST /p [] t2 200000 1");
}

Test(http_buffer_move, origin_form_slices_move_with_the_buffer) {
  expect_echo("PUT /a/long/path/to/move HTTP/1.1\r\nHost: example.org\r\n"
              "X-Tag: moved\r\nContent-Length: 200000\r\n\r\n",
              "PUT /a/long/path/to/move [example.org] moved 200000 1");
}

/* The report as it came: `eddy serve` (ASan) must answer and stay up. */
Test(http_buffer_move, eddy_serve_survives_the_reported_request) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  char out[4096];
  int status = post_big(s.port,
                        "GET http://a HTTP/1.1\r\nHost: a\r\n"
                        "Content-Length: 200000\r\n\r\n",
                        out, sizeof(out));
  cr_assert_eq(status, 200, "%s", out);
  cr_assert(e2e_alive(&s));
  e2e_stop(&s);
}

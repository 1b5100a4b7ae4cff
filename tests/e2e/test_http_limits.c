/*
 * Limits with sane defaults: a body that stops arriving is cut off by the
 * body timeout (nginx's client_body_timeout); a handler that never begins
 * its answer is cut off by the optional response timeout (503, and the
 * handler hears on_close); the connection limit follows the open-file
 * limit by default, not unlimited.
 */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eddy/http.h"
#include "support/e2e_helpers.h"
#include "support/httpsrv_helpers.h"

TestSuite(http_limits, .timeout = 30, .fini = e2e_kill_leftover);

static void ok_handler(eddy_http_server_t *s, eddy_http_request_t *q,
                       eddy_http_res_t *res) {
  eddy_http_res_end(res, "ok", 2);
}

Test(http_limits, a_body_that_stops_arriving_is_408_after_body_timeout) {
  eddy_http_server_opts_t o = {.body_timeout_ms = 300};
  tsrv_t t;
  tsrv_init(&t, &o, ok_handler);
  tsrv_run(&t);
  e2e_server_t s = {.pid = 0, .port = t.port};
  int fd = e2e_connect(&s);
  const char head[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
                      "\r\n0123456789";
  long t0 = e2e_now_ms();
  e2e_send(fd, head, sizeof(head) - 1);
  usleep(200000);
  e2e_send(fd, "0123456789", 10); /* progress: the timer starts again */
  char out[1024];
  int status = e2e_read_response(fd, out, sizeof(out), 0);
  long ms = e2e_now_ms() - t0;
  cr_assert_eq(status, 408, "%s", out);
  cr_assert_geq(ms, 450, "cut off after %ld ms, before the body timeout", ms);
  cr_assert_lt(ms, 5000, "cut off after %ld ms", ms);
  cr_assert_neq(e2e_wait_close(fd, 3000), -1);
  close(fd);
  tsrv_stop(&t);
}

static atomic_int told;
static eddy_http_res_t *kept;

static void told_cb(eddy_http_res_t *res) {
  atomic_store(&told, 1);
  cr_assert_eq(eddy_http_res_write(res, "x", 1), -ECANCELED);
  cr_assert_eq(eddy_http_res_end(res, NULL, 0), -ECANCELED); /* releases */
  kept = NULL;
}

static void never_handler(eddy_http_server_t *s, eddy_http_request_t *q,
                          eddy_http_res_t *res) {
  kept = res;
  eddy_http_res_on_close(res, told_cb);
}

Test(http_limits, a_handler_that_never_answers_gets_503_and_is_told) {
  atomic_store(&told, 0);
  eddy_http_server_opts_t o = {.response_timeout_ms = 300};
  tsrv_t t;
  tsrv_init(&t, &o, never_handler);
  tsrv_run(&t);
  e2e_server_t s = {.pid = 0, .port = t.port};
  int fd = e2e_connect(&s);
  const char req[] = "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n";
  long t0 = e2e_now_ms();
  e2e_send(fd, req, sizeof(req) - 1);
  char out[1024];
  int status = e2e_read_response(fd, out, sizeof(out), 0);
  long ms = e2e_now_ms() - t0;
  cr_assert_eq(status, 503, "%s", out);
  cr_assert(strstr(out, "Connection: close"), "%s", out);
  cr_assert_geq(ms, 250, "after %ld ms", ms);
  cr_assert_neq(e2e_wait_close(fd, 3000), -1);
  cr_assert(atomic_load(&told), "the handler was not told");
  close(fd);
  tsrv_stop(&t);
}

/* eddy serve with 150 open files: 86 connections (150 - 64), not
 * unlimited.
 * Those above the limit are closed at once; those below are served, and
 * the server serves again when they leave. */
Test(http_limits, the_default_connection_limit_follows_the_open_file_limit) {
  struct rlimit rl = {150, 150};
  cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0); /* the child inherits it */
  e2e_server_t s;
  e2e_start(&s, NULL);
  enum { N = 100 };
  int fds[N], served = 0, refused = 0;
  char out[1024];
  for (int i = 0; i < N; i++) fds[i] = e2e_connect(&s);
  for (int i = 0; i < N; i++) {
    e2e_send_some(fds[i], "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
    if (e2e_read_response(fds[i], out, sizeof(out), 0) == 200)
      served++;
    else
      refused++;
  }
  cr_assert_eq(served, 86, "served %d", served);
  cr_assert_eq(served + refused, N);
  for (int i = 0; i < N; i++) close(fds[i]);
  usleep(200000);
  cr_assert_eq(e2e_fresh_request(&s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", out,
                                 sizeof(out)),
               200, "%s", out);
  e2e_stop(&s);
}

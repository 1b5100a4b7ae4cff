/*
 * Hostile and malformed requests against `eddy serve`, over raw sockets.
 * Each case asserts the exact status line, that the server then closes the
 * connection, and that it still answers a fresh request afterwards.
 * Expectations follow RFC 9110 / RFC 9112.
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/e2e_helpers.h"

TestSuite(http_attack, .timeout = 20, .fini = e2e_kill_leftover);

#define HELLO "GET / HTTP/1.1\r\nHost: x\r\n\r\n"

/* The server still serves a well-formed request on a new connection. */
static void assert_still_serving(const e2e_server_t *s) {
  char out[1024];
  cr_assert_eq(e2e_fresh_request(s, HELLO, out, sizeof(out)), 200, "%s", out);
}

/* Sends `req` (`len` bytes) on a fresh connection; asserts the response
 * starts with `status_line` and the server closes the connection. */
static void expect_refusal(const e2e_server_t *s, const void *req,
                           size_t len, const char *status_line) {
  char out[4096];
  int fd = e2e_connect(s);
  e2e_send_some(fd, req, len);
  e2e_read_response(fd, out, sizeof(out), 0);
  cr_assert_eq(strncmp(out, status_line, strlen(status_line)), 0,
               "want \"%s\", got:\n%s", status_line, out);
  cr_assert(strstr(out, "\r\nConnection: close\r\n"), "%s", out);
  cr_assert_neq(e2e_wait_close(fd, 3000), -1, "connection left open");
  close(fd);
}

/* The whole case: own server, refusal, still serving, clean exit. */
static void attack(const void *req, size_t len, const char *status_line) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  expect_refusal(&s, req, len, status_line);
  assert_still_serving(&s);
  e2e_stop(&s);
}

#define ATTACK(req, line) attack(req, sizeof(req) - 1, line)

#define R400 "HTTP/1.1 400 Bad Request\r\n"

Test(http_attack, request_line_over_8k_is_414) {
  enum { N = 9000 };
  char *req = malloc(N + 64);
  memcpy(req, "GET /", 5);
  memset(req + 5, 'a', N);
  memcpy(req + 5 + N, " HTTP/1.1\r\nHost: x\r\n\r\n", 22);
  attack(req, N + 27, "HTTP/1.1 414 URI Too Long\r\n");
  free(req);
}

Test(http_attack, hundred_and_one_headers_is_431) {
  static char req[8192];
  size_t n = (size_t)snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: x\r\n");
  for (int i = 0; i < 100; i++) /* Host + 100 = 101 field lines */
    n += (size_t)snprintf(req + n, sizeof(req) - n, "X-H%d: v\r\n", i);
  n += (size_t)snprintf(req + n, sizeof(req) - n, "\r\n");
  attack(req, n, "HTTP/1.1 431 Request Header Fields Too Large\r\n");
}

Test(http_attack, obs_fold_is_400) {
  ATTACK("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", R400);
}

Test(http_attack, space_before_colon_is_400) {
  ATTACK("GET / HTTP/1.1\r\nHost : x\r\n\r\n", R400);
}

Test(http_attack, nul_in_header_value_is_400) {
  ATTACK("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n", R400);
}

Test(http_attack, bare_lf_line_endings_are_400) {
  ATTACK("GET / HTTP/1.1\nHost: x\n\n", R400);
}

Test(http_attack, negative_content_length_is_400) {
  ATTACK("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", R400);
}

Test(http_attack, content_length_list_of_differing_values_is_400) {
  ATTACK("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\nab", R400);
}

Test(http_attack, two_differing_content_lengths_are_400) {
  ATTACK("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
         "Content-Length: 2\r\n\r\nab",
         R400);
}

/* chunked present but not the final coding: 400 whatever the other one
 * (RFC 9112 §6.3 MUST); an unknown coding before a final chunked is 501
 * (§6.1; "identity" is no longer registered, §7). */
Test(http_attack, te_chunked_then_identity_is_400) {
  ATTACK("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity"
         "\r\n\r\n0\r\n\r\n",
         R400);
}

Test(http_attack, te_identity_then_chunked_is_501) {
  ATTACK("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity, chunked"
         "\r\n\r\n0\r\n\r\n",
         "HTTP/1.1 501 Not Implemented\r\n");
}

/* RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing. */
Test(http_attack, transfer_encoding_in_http10_is_400) {
  ATTACK("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", R400);
}

Test(http_attack, chunk_size_overflow_is_400) {
  ATTACK("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
         "ffffffffffffffffff\r\na\r\n0\r\n\r\n",
         R400);
}

Test(http_attack, unknown_method_is_501) {
  ATTACK("FOO / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 501 Not Implemented\r\n");
}

Test(http_attack, http2_version_is_505) {
  ATTACK("GET / HTTP/2.0\r\nHost: x\r\n\r\n",
         "HTTP/1.1 505 HTTP Version Not Supported\r\n");
}

Test(http_attack, connect_is_501_never_a_tunnel) {
  ATTACK("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
         "HTTP/1.1 501 Not Implemented\r\n");
}

/* eddy does not decode transfer codings other than chunked (RFC 9112 §6.1). */
Test(http_attack, gzip_transfer_coding_is_501) {
  ATTACK("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n"
         "\r\n1\r\nx\r\n0\r\n\r\n",
         "HTTP/1.1 501 Not Implemented\r\n");
}

Test(http_attack, later_http1_minor_version_is_served_as_11) {
  e2e_server_t s;
  char out[1024];
  e2e_start(&s, NULL);
  cr_assert_eq(e2e_fresh_request(&s, "GET / HTTP/1.2\r\nHost: x\r\n\r\n", out,
                                 sizeof(out)),
               200, "%s", out);
  cr_assert_eq(strncmp(out, "HTTP/1.1 200 OK\r\n", 17), 0, "%s", out);
  e2e_stop(&s);
}

Test(http_attack, missing_host_in_http11_is_400) {
  ATTACK("GET / HTTP/1.1\r\nUser-Agent: t\r\n\r\n", R400);
}

/* RFC 9112 §3.2.2: a server MUST accept the absolute form. */
Test(http_attack, absolute_form_target_is_accepted) {
  char out[1024];
  e2e_server_t s;
  e2e_start(&s, NULL);
  int st = e2e_fresh_request(
      &s, "GET http://127.0.0.1/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", out,
      sizeof(out));
  cr_assert_eq(st, 200, "%s", out);
  cr_assert(strstr(out, "\r\n\r\nHello, World!"), "%s", out);
  e2e_stop(&s);
}

Test(http_attack, slowloris_is_cut_off_by_headers_timeout) {
  static const char *const extra[] = {"--headers-timeout-ms", "500", NULL};
  static const char head[] = "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  char out[1024];
  e2e_server_t s;
  e2e_start(&s, extra);
  int fd = e2e_connect(&s);
  long t0 = e2e_now_ms();
  e2e_send(fd, head, sizeof(head) - 1);
  /* One byte per 100 ms, never completing, until the server answers. */
  for (int i = 0; i < 20; i++) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 100) != 0) break;
    if (send(fd, "a", 1, MSG_NOSIGNAL) < 0) break;
  }
  int st = e2e_read_response(fd, out, sizeof(out), 0);
  cr_assert_eq(st, 408, "%s", out);
  cr_assert_eq(strncmp(out, "HTTP/1.1 408 Request Timeout\r\n", 30), 0, "%s", out);
  long ms = e2e_wait_close(fd, 3000);
  cr_assert_neq(ms, -1, "connection left open");
  long total = e2e_now_ms() - t0;
  cr_assert_leq(total, 2000, "cut off after %ld ms", total);
  close(fd);
  assert_still_serving(&s);
  e2e_stop(&s);
}

/* Node's requestTimeout: head and body share one budget from the first
 * byte. A head sent slowly over ~700 ms, then a body that stalls: 408 at
 * ~1000 ms from the first byte (a budget restarted after the head would
 * give ~1700 ms). */
Test(http_attack, request_timeout_covers_head_and_body) {
  static const char *const extra[] = {"--headers-timeout-ms", "5000",
                                      "--request-timeout-ms", "1000", NULL};
  static const char head[] =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n";
  char out[1024];
  e2e_server_t s;
  e2e_start(&s, extra);
  int fd = e2e_connect(&s);
  long t0 = e2e_now_ms();
  for (size_t i = 0; i < sizeof(head) - 1; i += 7) {
    size_t n = sizeof(head) - 1 - i < 7 ? sizeof(head) - 1 - i : 7;
    e2e_send(fd, head + i, n);
    usleep(100 * 1000);
  }
  e2e_send(fd, "ab", 2); /* 8 body bytes never come */
  int st = e2e_read_response(fd, out, sizeof(out), 0);
  long total = e2e_now_ms() - t0;
  cr_assert_eq(st, 408, "%s", out);
  cr_assert_geq(total, 900, "cut off early, after %ld ms", total);
  cr_assert_lt(total, 1500, "the budget restarted after the head: %ld ms", total);
  cr_assert_neq(e2e_wait_close(fd, 3000), -1, "connection left open");
  close(fd);
  assert_still_serving(&s);
  e2e_stop(&s);
}

Test(http_attack, thousand_idle_connections_do_not_leak_fds) {
  enum { BATCH = 100, ROUNDS = 10 };
  int fds[BATCH];
  e2e_server_t s;
  e2e_start(&s, NULL);
  assert_still_serving(&s); /* warm: lazy fds (date timer...) now exist */
  int start = e2e_fd_count(s.pid);
  cr_assert_gt(start, 0);
  for (int r = 0; r < ROUNDS; r++) {
    for (int i = 0; i < BATCH; i++) fds[i] = e2e_connect(&s);
    for (int i = 0; i < BATCH; i++) close(fds[i]);
  }
  int now = -1;
  for (int i = 0; i < 100; i++) { /* up to 2 s for the server to catch up */
    now = e2e_fd_count(s.pid);
    if (now <= start + 2) break;
    usleep(20000);
  }
  cr_assert_leq(now, start + 2, "fds: %d at start, %d after", start, now);
  cr_assert(e2e_alive(&s));
  assert_still_serving(&s);
  e2e_stop(&s);
}

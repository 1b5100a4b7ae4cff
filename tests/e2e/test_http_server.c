/* `eddy serve` end to end: the real binary, libcurl and raw sockets. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/e2e_helpers.h"

TestSuite(http_e2e, .timeout = 20, .fini = e2e_kill_leftover);

static size_t sink(char *p, size_t sz, size_t n, void *ud) {
  strncat(ud, p, sz * n < 63 ? sz * n : 63);
  return sz * n;
}

Test(http_e2e, keep_alive_reuses_one_connection_head_and_404) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  char url[64];
  long connects = 0, total = 0, code = 0;
  CURL *c = curl_easy_init();
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/", s.port);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  for (int i = 0; i < 100; i++) {
    char body[128] = "";
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    cr_assert_eq(curl_easy_perform(c), CURLE_OK);
    cr_assert_str_eq(body, "Hello, World!");
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
    total += connects;
  }
  cr_assert_eq(total, 1, "100 requests used %ld connections", total);
  curl_off_t cl = 0;
  curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  cr_assert_eq(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
  cr_assert_eq(code, 200);
  cr_assert_eq((long)cl, 13);
  curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/nope", s.port);
  curl_easy_setopt(c, CURLOPT_URL, url);
  char body[128] = "";
  curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
  cr_assert_eq(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  cr_assert_eq(code, 404);
  curl_easy_cleanup(c);
  e2e_stop(&s);
}

/* Sends `req`, half-closes if asked, and reads everything until EOF. */
static size_t exchange(e2e_server_t *s, const char *req, size_t n, int shut,
                       char *out, size_t max, int *eof) {
  int fd = e2e_connect(s);
  e2e_send(fd, req, n);
  if (shut) shutdown(fd, SHUT_WR);
  size_t got = e2e_recv_all(fd, out, max, eof);
  close(fd);
  return got;
}

Test(http_e2e, hundred_pipelined_requests_answered_in_order) {
  static char req[100 * 64], out[100 * 256];
  size_t n = 0;
  e2e_server_t s;
  e2e_start(&s, NULL);
  for (int i = 0; i < 100; i++)
    n += (size_t)snprintf(req + n, sizeof(req) - n,
                          "GET /%s HTTP/1.1\r\nHost: x%s\r\n\r\n",
                          i % 2 ? "n" : "", i == 99 ? "\r\nConnection: close" : "");
  int eof;
  exchange(&s, req, n, 0, out, sizeof(out), &eof);
  cr_assert(eof);
  cr_assert_eq(e2e_count(out, "HTTP/1.1 "), 100);
  const char *p = out;
  for (int i = 0; i < 100; i++) {
    p = strstr(p, "HTTP/1.1 ");
    cr_assert_eq(strncmp(p + 9, i % 2 ? "404" : "200", 3), 0, "response %d", i);
    p += 9;
  }
  e2e_stop(&s);
}

Test(http_e2e, malformed_request_line_gets_400_and_close) {
  static const char req[] = "GET  / HTTP/1.1\r\nHost: x\r\n\r\n";
  char out[4096];
  int eof;
  e2e_server_t s;
  e2e_start(&s, NULL);
  exchange(&s, req, sizeof(req) - 1, 0, out, sizeof(out), &eof);
  cr_assert_eq(strncmp(out, "HTTP/1.1 400 Bad Request\r\n", 26), 0, "%s", out);
  cr_assert(strstr(out, "\r\nConnection: close\r\n"));
  cr_assert(eof);
  e2e_stop(&s);
}

Test(http_e2e, cl_te_smuggling_is_400_and_second_request_unanswered) {
  static const char req[] =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
      "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  char out[4096];
  int eof;
  e2e_server_t s;
  e2e_start(&s, NULL);
  exchange(&s, req, sizeof(req) - 1, 0, out, sizeof(out), &eof);
  cr_assert_eq(strncmp(out, "HTTP/1.1 400 ", 13), 0, "%s", out);
  cr_assert_eq(e2e_count(out, "HTTP/1.1"), 1);
  cr_assert(eof);
  e2e_stop(&s);
}

Test(http_e2e, oversize_header_is_431) {
  static char req[40000], out[4096];
  int n = snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
  memset(req + n, 'a', 20000);
  memcpy(req + n + 20000, "\r\n\r\n", 4);
  int eof;
  e2e_server_t s;
  e2e_start(&s, NULL);
  exchange(&s, req, (size_t)n + 20004, 0, out, sizeof(out), &eof);
  cr_assert_eq(strncmp(out, "HTTP/1.1 431 ", 13), 0, "%s", out);
  cr_assert(eof);
  e2e_stop(&s);
}

/* Empty lines before a request line are skipped (RFC 9112 §2.2): a client
 * that only sends CRLFs and closes gets no response, just the close. */
Test(http_e2e, bare_crlf_closes_without_response) {
  char out[256];
  int eof;
  e2e_server_t s;
  e2e_start(&s, NULL);
  size_t n = exchange(&s, "\r\n\r\n", 4, 1, out, sizeof(out), &eof);
  cr_assert_eq(n, 0, "%s", out);
  cr_assert(eof);
  e2e_stop(&s);
}

Test(http_e2e, slow_head_is_cut_off_by_headers_timeout) {
  static const char *const extra[] = {"--headers-timeout-ms", "300", NULL};
  char out[1024];
  int eof;
  e2e_server_t s;
  e2e_start(&s, extra);
  int fd = e2e_connect(&s);
  e2e_send(fd, "GET / HTTP/1.1\r\n", 16);
  for (int i = 0; i < 8; i++) { /* a byte every 100 ms: never completes */
    usleep(100000);
    if (send(fd, "X", 1, MSG_NOSIGNAL) < 0) break;
  }
  e2e_recv_all(fd, out, sizeof(out), &eof);
  close(fd);
  cr_assert_eq(strncmp(out, "HTTP/1.1 408 ", 13), 0, "%s", out);
  cr_assert(eof);
  e2e_stop(&s);
}

Test(http_e2e, expect_100_continue) {
  static const char head[] =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
      "Expect: 100-continue\r\nConnection: close\r\n\r\n";
  char out[1024];
  int eof;
  e2e_server_t s;
  e2e_start(&s, NULL);
  int fd = e2e_connect(&s);
  e2e_send(fd, head, sizeof(head) - 1);
  ssize_t r = recv(fd, out, 25, MSG_WAITALL);
  cr_assert_eq(r, 25);
  cr_assert_eq(memcmp(out, "HTTP/1.1 100 Continue\r\n\r\n", 25), 0);
  e2e_send(fd, "hello", 5);
  e2e_recv_all(fd, out, sizeof(out), &eof);
  close(fd);
  cr_assert_eq(strncmp(out, "HTTP/1.1 200 OK\r\n", 17), 0, "%s", out);
  cr_assert(strstr(out, "Hello, World!"));
  e2e_stop(&s);
}

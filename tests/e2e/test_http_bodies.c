/*
 * Request bodies end to end (examples/http-async's /echo): chunked upload
 * by libcurl, a large body and one over the limit, pipelined bodies that
 * keep their request boundaries, and the body limit's exact edge.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/body_helpers.h"
#include "support/e2e_helpers.h"

TestSuite(http_bodies, .timeout = 20, .fini = e2e_kill_leftover);

#define EXAMPLE "http-async"
#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"

static void fill_pattern(char *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (char)('a' + (i * 7 + i / 251) % 26);
}

Test(http_bodies, curl_chunked_upload_is_echoed_intact) {
  enum { N = 256 * 1024 };
  grow_t up = {malloc(N), N, N, 0}, down = {0};
  fill_pattern(up.p, N);
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  CURL *c = curl_for(s.port, "/echo", &down);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L); /* no size: chunked */
  curl_easy_setopt(c, CURLOPT_READFUNCTION, grow_read);
  curl_easy_setopt(c, CURLOPT_READDATA, &up);
  cr_assert_eq(curl_easy_perform(c), CURLE_OK);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  cr_assert_eq(code, 200);
  cr_assert_eq(down.len, (size_t)N);
  cr_assert_eq(memcmp(down.p, up.p, N), 0);
  curl_easy_cleanup(c);
  free(up.p);
  free(down.p);
  e2e_stop(&s);
}

Test(http_bodies, large_body_is_echoed_and_too_large_is_413_close) {
  enum { N = 900 * 1024 };
  grow_t down = {0};
  char *body = malloc(N), out[1024];
  fill_pattern(body, N);
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  CURL *c = curl_for(s.port, "/echo", &down);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)N);
  cr_assert_eq(curl_easy_perform(c), CURLE_OK);
  cr_assert_eq(down.len, (size_t)N);
  cr_assert_eq(memcmp(down.p, body, N), 0);
  curl_easy_cleanup(c);
  /* 2 MiB is over the 1 MiB default limit: refused from the head alone. */
  int fd = e2e_connect(&s);
  static const char big[] = "POST /echo HTTP/1.1\r\nHost: x\r\n"
                            "Content-Length: 2097152\r\n\r\n";
  e2e_send(fd, big, sizeof(big) - 1);
  e2e_send_some(fd, body, 65536);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 413, "%s", out);
  cr_assert(strstr(out, "\r\nConnection: close\r\n"), "%s", out);
  cr_assert_neq(e2e_wait_close(fd, 3000), -1);
  close(fd);
  free(body);
  free(down.p);
  e2e_stop(&s);
}

/* Bodies end exactly where their framing says: the next request follows. */
Test(http_bodies, pipelined_bodies_keep_request_boundaries) {
  static const char req[] =
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n"
      GET("/status?code=201");
  char out[1024];
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  int fd = e2e_connect(&s);
  e2e_send(fd, req, sizeof(req) - 1);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200, "%s", out);
  cr_assert_str_eq(body_of(out), "hello");
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200, "%s", out);
  cr_assert_str_eq(body_of(out), "abcde");
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 201, "%s", out);
  close(fd);
  e2e_stop(&s);
}

/* The body limit (1 MiB by default) is inclusive, for both framings. */
Test(http_bodies, body_limit_exact_fits_one_more_is_413) {
  enum { N = 1024 * 1024 };
  grow_t down = {0};
  char *body = malloc(N + 1), out[1024];
  fill_pattern(body, N + 1);
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  CURL *c = curl_for(s.port, "/echo", &down);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)N);
  cr_assert_eq(curl_easy_perform(c), CURLE_OK);
  cr_assert_eq(down.len, (size_t)N);
  cr_assert_eq(memcmp(down.p, body, N), 0);
  curl_easy_cleanup(c);
  /* A chunked body one byte over: refused while it arrives. */
  static const char head[] = "POST /echo HTTP/1.1\r\nHost: x\r\n"
                             "Transfer-Encoding: chunked\r\n\r\n";
  int fd = e2e_connect(&s);
  e2e_send(fd, head, sizeof(head) - 1);
  for (int i = 0; i < 2; i++) { /* two chunks of N/2 + 1 bytes */
    char size[32];
    int n = snprintf(size, sizeof(size), "%x\r\n", N / 2 + 1);
    e2e_send_some(fd, size, (size_t)n);
    e2e_send_some(fd, body, N / 2 + 1);
    e2e_send_some(fd, "\r\n", 2);
  }
  e2e_send_some(fd, "0\r\n\r\n", 5);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 413, "%s", out);
  cr_assert(strstr(out, "\r\nConnection: close\r\n"), "%s", out);
  cr_assert_neq(e2e_wait_close(fd, 3000), -1);
  close(fd);
  free(body);
  free(down.p);
  e2e_stop(&s);
}

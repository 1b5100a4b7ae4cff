/*
 * Response framing end to end (examples/http-async): statuses without a
 * body and HEAD keep a pipelined stream in step, and a streamed (chunked)
 * response reads whole with libcurl and sends no chunk bytes to HEAD.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/body_helpers.h"
#include "support/e2e_helpers.h"

TestSuite(http_responses, .timeout = 20, .fini = e2e_kill_leftover);

#define EXAMPLE "http-async"
#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"

Test(http_responses, no_body_statuses_and_head_keep_the_stream_in_step) {
  static const char req[] = GET("/status?code=204") GET("/status?code=304")
      "HEAD /status?code=200 HTTP/1.1\r\nHost: x\r\n\r\n"
      "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" GET("/status?code=202");
  char out[1024];
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  int fd = e2e_connect(&s);
  e2e_send(fd, req, sizeof(req) - 1);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 204, "%s", out);
  cr_assert_null(strcasestr(out, "Content-Length"), "%s", out);
  cr_assert_null(strcasestr(out, "Transfer-Encoding"), "%s", out);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 304, "%s", out);
  cr_assert_null(strcasestr(out, "Transfer-Encoding"), "%s", out);
  /* HEAD: the GET's Content-Length, no body bytes. */
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 1), 200, "%s", out);
  cr_assert(strstr(out, "\r\nContent-Length: 12\r\n"), "%s", out);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 1), 200, "%s", out);
  cr_assert(strstr(out, "\r\nContent-Length: 13\r\n"), "%s", out);
  /* Any stray body byte above would break this parse. */
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 202, "%s", out);
  cr_assert_str_eq(body_of(out), "status body\n");
  close(fd);
  e2e_stop(&s);
}

Test(http_responses, streamed_chunked_response_read_by_curl) {
  enum { K = 300 };
  grow_t down = {0}, heads = {0};
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  CURL *c = curl_for(s.port, "/stream?n=300", &down);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, grow_write);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &heads);
  cr_assert_eq(curl_easy_perform(c), CURLE_OK);
  grow_write("", 1, 1, &heads);
  cr_assert(strcasestr(heads.p, "\r\nTransfer-Encoding: chunked\r\n"), "%s", heads.p);
  char *want = malloc(K * 16);
  size_t n = 0;
  for (int i = 0; i < K; i++)
    n += (size_t)snprintf(want + n, K * 16 - n, "chunk %d\n", i);
  cr_assert_eq(down.len, n);
  cr_assert_eq(memcmp(down.p, want, n), 0);
  curl_easy_cleanup(c);
  free(want);
  free(down.p);
  free(heads.p);
  e2e_stop(&s);
}

/* A HEAD answered by a streaming handler gets the head only: not even the
 * last chunk "0\r\n\r\n" (RFC 9110 §9.3.2), or the next response breaks. */
Test(http_responses, head_of_streamed_response_has_no_chunk_bytes) {
  static const char req[] = "HEAD /stream?n=3 HTTP/1.1\r\nHost: x\r\n\r\n"
      GET("/status?code=200");
  char out[1024];
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  int fd = e2e_connect(&s);
  e2e_send(fd, req, sizeof(req) - 1);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 1), 200, "%s", out);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200,
               "the next response does not start right after the HEAD's "
               "head:\n%s", out);
  cr_assert_str_eq(body_of(out), "status body\n");
  close(fd);
  e2e_stop(&s);
}

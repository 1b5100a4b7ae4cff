/*
 * The HTTP server end to end, beyond the basics: async handlers finishing
 * out of order (examples/http-async), clients leaving mid-request, bodies
 * (chunked upload, large, too large), HTTP/1.0, keep-alive timeout, the
 * connection limit, bodiless statuses, HEAD and streamed responses.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/e2e_helpers.h"

TestSuite(http_more, .timeout = 20, .fini = e2e_kill_leftover);

#define EXAMPLE "http-async"
#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"

/* The body of a response read by e2e_read_response. */
static const char *body_of(const char *resp) {
  const char *p = strstr(resp, "\r\n\r\n");
  return p ? p + 4 : "";
}

/* A growing buffer for libcurl's write and read callbacks. */
typedef struct {
  char *p;
  size_t len, cap, pos;
} buf_t;

static size_t buf_write(char *p, size_t sz, size_t n, void *ud) {
  buf_t *b = ud;
  size_t k = sz * n;
  if (b->len + k > b->cap) {
    b->cap = (b->len + k) * 2;
    b->p = realloc(b->p, b->cap);
    cr_assert(b->p);
  }
  memcpy(b->p + b->len, p, k);
  b->len += k;
  return k;
}

/* Hands the upload out in small, odd-sized pieces (so chunks vary). */
static size_t buf_read(char *p, size_t sz, size_t n, void *ud) {
  buf_t *b = ud;
  size_t k = sz * n < 7001 ? sz * n : 7001;
  if (k > b->len - b->pos) k = b->len - b->pos;
  memcpy(p, b->p + b->pos, k);
  b->pos += k;
  return k;
}

static void fill_pattern(char *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (char)('a' + (i * 7 + i / 251) % 26);
}

static CURL *curl_for(const e2e_server_t *s, const char *path, buf_t *out) {
  char url[128];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
  CURL *c = curl_easy_init();
  cr_assert(c);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, buf_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  return c;
}

Test(http_more, slow_then_fast_pipelined_answers_in_request_order) {
  static const char req[] = GET("/delay?ms=200") GET("/delay?ms=1");
  char out[1024];
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  int fd = e2e_connect(&s);
  long t0 = e2e_now_ms();
  e2e_send(fd, req, sizeof(req) - 1);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200);
  long first = e2e_now_ms() - t0;
  cr_assert_str_eq(body_of(out), "200");
  cr_assert_geq(first, 190, "the 200 ms answer came after %ld ms", first);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200);
  cr_assert_str_eq(body_of(out), "1");
  close(fd);
  e2e_stop(&s);
}

/* Closes a socket with a RST (SO_LINGER 0) instead of a FIN. */
static void reset_close(int fd) {
  struct linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

Test(http_more, client_leaving_while_handler_waits_does_not_hurt_server) {
  static const char req[] = GET("/delay?ms=150");
  char out[1024];
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  for (int i = 0; i < 4; i++) { /* two leave with FIN, two with RST */
    int fd = e2e_connect(&s);
    e2e_send(fd, req, sizeof(req) - 1);
    usleep(20000); /* the handler is now waiting on its timer */
    if (i % 2) reset_close(fd);
    else close(fd);
  }
  int stream = e2e_connect(&s); /* and one leaves mid-stream */
  e2e_send(stream, GET("/stream?n=100000"), sizeof(GET("/stream?n=100000")) - 1);
  usleep(50000);
  reset_close(stream);
  usleep(250000); /* every timer has fired or been stopped by now */
  cr_assert(e2e_alive(&s));
  cr_assert_eq(e2e_fresh_request(&s, GET("/delay?ms=5"), out, sizeof(out)), 200);
  cr_assert_str_eq(body_of(out), "5");
  e2e_stop(&s); /* exit status 0: no sanitizer report */
}

Test(http_more, curl_chunked_upload_is_echoed_intact) {
  enum { N = 256 * 1024 };
  buf_t up = {malloc(N), N, N, 0}, down = {0};
  fill_pattern(up.p, N);
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  CURL *c = curl_for(&s, "/echo", &down);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L); /* no size: chunked */
  curl_easy_setopt(c, CURLOPT_READFUNCTION, buf_read);
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

Test(http_more, large_body_is_echoed_and_too_large_is_413_close) {
  enum { N = 900 * 1024 };
  buf_t down = {0};
  char *body = malloc(N), out[1024];
  fill_pattern(body, N);
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  CURL *c = curl_for(&s, "/echo", &down);
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

Test(http_more, http10_closes_unless_keep_alive) {
  char out[1024];
  e2e_server_t s;
  e2e_start(&s, NULL);
  int fd = e2e_connect(&s);
  e2e_send(fd, "GET / HTTP/1.0\r\n\r\n", 18);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200);
  cr_assert_str_eq(body_of(out), "Hello, World!");
  cr_assert_neq(e2e_wait_close(fd, 2000), -1, "HTTP/1.0 left open");
  close(fd);
  static const char ka[] = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  fd = e2e_connect(&s);
  for (int i = 0; i < 3; i++) {
    e2e_send(fd, ka, sizeof(ka) - 1);
    cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200, "req %d", i);
    cr_assert(strstr(out, "\r\nConnection: keep-alive\r\n"), "%s", out);
  }
  cr_assert_eq(e2e_wait_close(fd, 200), -1, "keep-alive connection closed");
  close(fd);
  e2e_stop(&s);
}

Test(http_more, idle_keep_alive_connection_closed_after_timeout) {
  static const char *const extra[] = {"--keep-alive-timeout-ms", "200", NULL};
  char out[1024];
  e2e_server_t s;
  e2e_start(&s, extra);
  int fd = e2e_connect(&s);
  e2e_send(fd, GET("/"), sizeof(GET("/")) - 1);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200);
  long ms = e2e_wait_close(fd, 3000);
  cr_assert(ms >= 150 && ms <= 1000, "closed after %ld ms", ms);
  close(fd);
  e2e_stop(&s);
}

Test(http_more, sixth_connection_refused_while_five_still_work) {
  static const char *const extra[] = {"--max-connections", "5", NULL};
  char out[1024];
  int fds[5];
  e2e_server_t s;
  e2e_start(&s, extra);
  for (int i = 0; i < 5; i++) { /* an answer proves the accept */
    fds[i] = e2e_connect(&s);
    e2e_send(fds[i], GET("/"), sizeof(GET("/")) - 1);
    cr_assert_eq(e2e_read_response(fds[i], out, sizeof(out), 0), 200);
  }
  int six = e2e_connect(&s);
  e2e_send_some(six, GET("/"), sizeof(GET("/")) - 1);
  long ms = e2e_wait_close(six, 2000);
  cr_assert(ms >= 0 && ms < 1000, "6th connection closed after %ld ms", ms);
  close(six);
  for (int i = 0; i < 5; i++) {
    e2e_send(fds[i], GET("/"), sizeof(GET("/")) - 1);
    cr_assert_eq(e2e_read_response(fds[i], out, sizeof(out), 0), 200, "conn %d", i);
    close(fds[i]);
  }
  e2e_stop(&s);
}

Test(http_more, no_body_statuses_and_head_keep_the_stream_in_step) {
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

static size_t header_sink(char *p, size_t sz, size_t n, void *ud) {
  return buf_write(p, sz, n, ud);
}

Test(http_more, streamed_chunked_response_read_by_curl) {
  enum { K = 300 };
  buf_t down = {0}, heads = {0};
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  CURL *c = curl_for(&s, "/stream?n=300", &down);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_sink);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &heads);
  cr_assert_eq(curl_easy_perform(c), CURLE_OK);
  buf_write("", 1, 1, &heads);
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
Test(http_more, head_of_streamed_response_has_no_chunk_bytes) {
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

/* Bodies end exactly where their framing says: the next request follows. */
Test(http_more, pipelined_bodies_keep_request_boundaries) {
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
Test(http_more, body_limit_exact_fits_one_more_is_413) {
  enum { N = 1024 * 1024 };
  buf_t down = {0};
  char *body = malloc(N + 1), out[1024];
  fill_pattern(body, N + 1);
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  CURL *c = curl_for(&s, "/echo", &down);
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

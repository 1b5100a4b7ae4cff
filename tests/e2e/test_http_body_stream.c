/*
 * Streamed request bodies end to end: the on-head hook takes the body as
 * it arrives (on_data/on_end) with pause/resume and a bounded read buffer,
 * keeps the body limit, and decides Expect: 100-continue.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eddy/http.h"
#include "http/conn.h" /* white box: the read buffer's size */
#include "support/body_helpers.h"
#include "support/e2e_helpers.h"
#include "support/httpsrv_helpers.h"

TestSuite(http_body_stream, .timeout = 60, .fini = e2e_kill_leftover);

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + (i >> 10)); }

#define UPLOAD (8u * 1024u * 1024u)

static struct {
  eddy_timer_t timer;
  eddy_http_res_t *res;
  uint64_t bytes, sum, next_pause;
  size_t max_cap;
  int paused, data_while_paused, pauses;
} up;

static uint64_t mix(uint64_t h, const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
  return h;
}

static void on_resume(eddy_timer_t *t) {
  up.paused = 0;
  if (!up.res) return;
  eddy_http_req_resume(eddy_http_res_req(up.res));
}

static void up_data(eddy_http_request_t *req, const char *p, size_t n) {
  eddy_http_res_t *res = EDDY_CONTAINER_OF(req, eddy_http_res_t, req);
  size_t cap = res->conn->busy->read_buf->cap;
  if (cap > up.max_cap) up.max_cap = cap;
  if (up.paused) up.data_while_paused++;
  up.bytes += n;
  up.sum = mix(up.sum, p, n);
  if (up.bytes >= up.next_pause) { /* every MiB the handler falls behind */
    up.next_pause += 1024 * 1024;
    up.paused = 1;
    up.pauses++;
    cr_assert_eq(eddy_http_req_pause(req), 0);
    eddy_timer_start(&up.timer, on_resume, 50, 0);
  }
}

static void up_end(eddy_http_request_t *req, int status) {
  char body[128];
  eddy_http_res_t *res = EDDY_CONTAINER_OF(req, eddy_http_res_t, req);
  up.res = NULL;
  eddy_timer_stop(&up.timer);
  if (status) {
    eddy_http_res_status(res, status);
    eddy_http_res_end(res, NULL, 0);
    return;
  }
  int n = snprintf(body, sizeof(body), "%llu %016llx %zu %d %d",
                   (unsigned long long)up.bytes, (unsigned long long)up.sum,
                   up.max_cap, up.pauses, up.data_while_paused);
  eddy_http_res_end(res, body, (size_t)n);
}

static int path_is(const eddy_http_request_t *q, const char *p) {
  return q->path.len == strlen(p) && !memcmp(q->path.base, p, q->path.len);
}

/* The client went away: release the response, forget it. */
static void up_gone(eddy_http_res_t *res) {
  up.res = NULL;
  eddy_timer_stop(&up.timer);
  eddy_http_res_end(res, NULL, 0);
}

static void up_head(eddy_http_server_t *s, eddy_http_request_t *q,
                    eddy_http_res_t *res) {
  if (path_is(q, "/reject")) {
    eddy_http_res_status(res, 417);
    eddy_http_res_end(res, "no", 2);
    return;
  }
  if (path_is(q, "/buffered")) return;
  up.res = res;
  up.sum = 1469598103934665603ull;
  up.bytes = 0;
  up.next_pause = 1024 * 1024;
  eddy_http_res_on_close(res, up_gone);
  if (path_is(q, "/upload"))
    cr_assert_eq(eddy_http_req_set_max_body(q, 16u * 1024u * 1024u), 0);
  cr_assert_eq(eddy_http_req_on_data(q, up_data, up_end), 0);
}

static void up_handler(eddy_http_server_t *s, eddy_http_request_t *q,
                       eddy_http_res_t *res) {
  char body[32];
  size_t len;
  eddy_http_req_body(q, &len);
  int n = snprintf(body, sizeof(body), "buffered %zu", len);
  eddy_http_res_end(res, body, (size_t)n);
}

static void up_start(tsrv_t *t) {
  memset(&up, 0, sizeof(up));
  tsrv_init(t, NULL, up_handler);
  eddy_http_server_on_head(&t->server, up_head);
  eddy_timer_init(&t->loop, &up.timer);
  tsrv_run(t);
}

typedef struct {
  size_t sent, total;
  uint64_t sum;
} src_t;

static size_t produce(char *buf, size_t sz, size_t nitems, void *ud) {
  src_t *s = ud;
  size_t n = sz * nitems;
  if (n > s->total - s->sent) n = s->total - s->sent;
  for (size_t i = 0; i < n; i++) buf[i] = (char)pattern(s->sent + i);
  s->sum = mix(s->sum, buf, n);
  s->sent += n;
  return n;
}

static long upload(int port, const char *path, size_t total, grow_t *g,
                   uint64_t *sum) {
  char url[128];
  long code = 0;
  src_t src = {0, total, 1469598103934665603ull};
  snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
  CURL *c = curl_easy_init();
  struct curl_slist *h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, produce);
  curl_easy_setopt(c, CURLOPT_READDATA, &src);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, g);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  if (sum) *sum = src.sum;
  return rc == CURLE_OK ? code : -(long)rc;
}

Test(http_body_stream, chunked_upload_streams_with_pauses_and_bounded_buffer) {
  tsrv_t t;
  up_start(&t);
  grow_t g = {0};
  uint64_t sum;
  cr_assert_eq(upload(t.port, "/upload", UPLOAD, &g, &sum), 200);
  g.p = realloc(g.p, g.len + 1);
  g.p[g.len] = 0;
  unsigned long long bytes, got_sum;
  size_t cap;
  int pauses, while_paused;
  cr_assert_eq(sscanf(g.p, "%llu %llx %zu %d %d", &bytes, &got_sum, &cap,
                      &pauses, &while_paused), 5, "%s", g.p);
  cr_assert_eq(bytes, UPLOAD);
  cr_assert_eq(got_sum, sum);
  cr_assert_eq(pauses, 8);
  cr_assert_eq(while_paused, 0, "on_data ran while paused");
  cr_assert(cap <= 64 * 1024, "read buffer grew to %zu bytes", cap);
  free(g.p);
  tsrv_stop(&t);
}

Test(http_body_stream, streamed_body_keeps_the_default_limit) {
  tsrv_t t;
  up_start(&t);
  grow_t g = {0};
  /* 2 MiB against the default 1 MiB limit: on_end(413), then close. */
  long code = upload(t.port, "/limited", 2u * 1024u * 1024u, &g, NULL);
  cr_assert(code == 413 || code == -(long)CURLE_SEND_ERROR, "got %ld", code);
  g.len = 0;
  cr_assert_eq(upload(t.port, "/buffered", 1000, &g, NULL), 200);
  cr_assert(g.len == 13 && !memcmp(g.p, "buffered 1000", 13));
  free(g.p);
  tsrv_stop(&t);
}

/* ------------------------------------------------ Expect: 100-continue */

Test(http_body_stream, expect_continue_is_decided_by_the_head_hook) {
  tsrv_t t;
  up_start(&t);
  static char out[4096];
  e2e_server_t s = {.pid = 0, .port = t.port};
  int eof;
  /* Refused by the hook: 417, no 100 Continue, connection closed. */
  static const char rej[] = "POST /reject HTTP/1.1\r\nHost: x\r\n"
                            "Content-Length: 100\r\nExpect: 100-continue\r\n\r\n";
  int fd = e2e_connect(&s);
  e2e_send(fd, rej, sizeof(rej) - 1);
  e2e_recv_all(fd, out, sizeof(out), &eof);
  close(fd);
  cr_assert(eof, "the connection stayed open");
  cr_assert(!strncmp(out, "HTTP/1.1 417 Expectation Failed\r\n", 33), "%s", out);
  cr_assert_null(strstr(out, "100 Continue"), "%s", out);
  cr_assert(strstr(out, "Connection: close\r\n"), "%s", out);
  /* Over the limit: 413 without 100 Continue, as before. */
  static const char big_req[] = "POST /buffered HTTP/1.1\r\nHost: x\r\n"
                                "Content-Length: 2000000\r\nExpect: 100-continue\r\n\r\n";
  tsrv_exchange(t.port, big_req, sizeof(big_req) - 1, out, sizeof(out));
  cr_assert(!strncmp(out, "HTTP/1.1 413 ", 13), "%s", out);
  cr_assert_null(strstr(out, "100 Continue"), "%s", out);
  /* Accepted (streamed): 100 Continue first, then the body is read. */
  static const char ok[] = "POST /stream HTTP/1.1\r\nHost: x\r\n"
                           "Content-Length: 5\r\nExpect: 100-continue\r\n"
                           "Connection: close\r\n\r\n";
  fd = e2e_connect(&s);
  e2e_send(fd, ok, sizeof(ok) - 1);
  ssize_t n = recv(fd, out, sizeof(out) - 1, 0);
  cr_assert(n > 0);
  out[n] = 0;
  cr_assert_str_eq(out, "HTTP/1.1 100 Continue\r\n\r\n");
  e2e_send(fd, "hello", 5);
  e2e_recv_all(fd, out, sizeof(out), &eof);
  close(fd);
  cr_assert(!strncmp(out, "HTTP/1.1 200 OK\r\n", 17), "%s", out);
  cr_assert(strstr(out, "\r\n\r\n5 "), "%s", out);
  tsrv_stop(&t);
}

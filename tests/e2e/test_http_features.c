/*
 * HTTP server features end to end: file responses (sendfile), the
 * http-static example, streaming request bodies with backpressure, and
 * Expect: 100-continue decided by the handler.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "eddy/http.h"
#include "support/e2e_helpers.h"
#include "support/httpsrv_helpers.h"

TestSuite(http_features, .timeout = 60, .fini = e2e_kill_leftover);

#define BIG (5u * 1024u * 1024u)

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + (i >> 10)); }

/* A temporary directory holding big.bin (BIG bytes) and hello.txt. */
static char dir[64];
static char *big;

static void make_files(void) {
  char p[128];
  snprintf(dir, sizeof(dir), "/tmp/eddy-static-XXXXXX");
  cr_assert(mkdtemp(dir));
  big = malloc(BIG);
  for (size_t i = 0; i < BIG; i++) big[i] = (char)pattern(i);
  snprintf(p, sizeof(p), "%s/big.bin", dir);
  FILE *f = fopen(p, "wb");
  cr_assert(f && fwrite(big, 1, BIG, f) == BIG);
  fclose(f);
  snprintf(p, sizeof(p), "%s/hello.txt", dir);
  f = fopen(p, "wb");
  cr_assert(f && fwrite("hello\n", 1, 6, f) == 6);
  fclose(f);
}

static void remove_files(void) {
  char p[128];
  snprintf(p, sizeof(p), "%s/big.bin", dir);
  unlink(p);
  snprintf(p, sizeof(p), "%s/hello.txt", dir);
  unlink(p);
  rmdir(dir);
  free(big);
  big = NULL;
}

static int open_big(void) {
  char p[128];
  snprintf(p, sizeof(p), "%s/big.bin", dir);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  cr_assert(fd >= 0);
  return fd;
}

/* ------------------------------------------------------- send_file */

typedef struct {
  char *p;
  size_t len, cap;
} grow_t;

static size_t collect(char *p, size_t sz, size_t n, void *ud) {
  grow_t *g = ud;
  size_t k = sz * n;
  if (g->len + k > g->cap) {
    g->cap = (g->len + k) * 2;
    g->p = realloc(g->p, g->cap);
  }
  memcpy(g->p + g->len, p, k);
  g->len += k;
  return k;
}

static long curl_get(int port, const char *path, grow_t *g, char *ctype) {
  char url[256];
  long code = 0;
  snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, g);
  cr_assert_eq(curl_easy_perform(c), CURLE_OK);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  char *ct = NULL;
  curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
  if (ctype) snprintf(ctype, 64, "%s", ct ? ct : "");
  curl_easy_cleanup(c);
  return code;
}

static int file_fd = -1; /* the test's open big.bin; handlers dup it */

/* Bytes the server's connections still hold for the kernel (white box). */
static size_t server_queued(eddy_http_server_t *s);

static void file_handler(eddy_http_server_t *s, eddy_http_request_t *q,
                         eddy_http_res_t *res) {
  char num[32];
  if (q->path.len == 7 && !memcmp(q->path.base, "/queued", 7)) {
    int n = snprintf(num, sizeof(num), "%zu", server_queued(s));
    eddy_http_res_end(res, num, (size_t)n);
  } else if (q->path.len == 5 && !memcmp(q->path.base, "/file", 5)) {
    eddy_http_res_send_file(res, dup(file_fd), 10, 100);
  } else if (q->path.len == 4 && !memcmp(q->path.base, "/big", 4)) {
    eddy_http_res_send_file(res, dup(file_fd), 0, -1);
  } else {
    eddy_http_res_end(res, q->path.base, q->path.len);
  }
}

Test(http_features, send_file_range_in_pipeline_order_and_head) {
  make_files();
  file_fd = open_big();
  tsrv_t t;
  tsrv_init(&t, NULL, file_handler);
  tsrv_run(&t);
  static const char req[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /file HTTP/1.1\r\nHost: x\r\n\r\n"
                            "HEAD /file HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  static char out[4096];
  size_t n = tsrv_exchange(t.port, req, sizeof(req) - 1, out, sizeof(out));
  cr_assert_eq(e2e_count(out, "HTTP/1.1 200 OK"), 4, "%s", out);
  const char *a = strstr(out, "\r\n\r\n/a");
  const char *f = strstr(out, "Content-Length: 100\r\n");
  const char *h = f ? strstr(f + 1, "Content-Length: 100\r\n") : NULL;
  const char *b = strstr(out, "\r\n\r\n/b");
  cr_assert(a && f && h && b && a < f && f < h && h < b, "%s", out);
  const char *body = strstr(f, "\r\n\r\n") + 4;
  cr_assert_eq(memcmp(body, big + 10, 100), 0);
  cr_assert(!strncmp(body + 100, "HTTP/1.1 200 OK", 15), "HEAD had a body");
  cr_assert(!strncmp(strstr(h, "\r\n\r\n") + 4, "HTTP/1.1 200 OK", 15));
  cr_assert(n > 0);
  tsrv_stop(&t);
  close(file_fd);
  remove_files();
}

/* Mid-transfer: the loop still answers another connection at once. */
static int probed;
static void probe_midway(void *arg) {
  tsrv_t *t = arg;
  static const char p[] = "GET /p HTTP/1.1\r\nHost: x\r\n"
                          "Connection: close\r\n\r\n";
  static char out[512];
  tsrv_exchange(t->port, p, sizeof(p) - 1, out, sizeof(out));
  cr_assert(strstr(out, "\r\n\r\n/p"), "%s", out);
  probed = 1;
}

/* Reads the response to GET /big slowly through a small receive buffer
 * while another connection checks that the loop still answers at once. */
Test(http_features, send_file_to_slow_reader_keeps_loop_free) {
  make_files();
  file_fd = open_big();
  tsrv_t t;
  tsrv_init(&t, NULL, file_handler);
  tsrv_run(&t);
  e2e_server_t s = {.pid = 0, .port = t.port};
  int fd = e2e_connect(&s);
  int small = 65536;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  static const char req[] = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
  e2e_send(fd, req, sizeof(req) - 1);
  usleep(100000); /* the reader is stalled: the server must hit EAGAIN */
  static const char qreq[] = "GET /queued HTTP/1.1\r\nHost: x\r\n"
                             "Connection: close\r\n\r\n";
  static char qout[512];
  tsrv_exchange(t.port, qreq, sizeof(qreq) - 1, qout, sizeof(qout));
  const char *qb = strstr(qout, "\r\n\r\n");
  cr_assert(qb && strtoul(qb + 4, NULL, 10) > 0, "nothing queued: %s", qout);
  size_t body_at;
  probed = 0;
  char *got = e2e_read_slowly(fd, BIG, 256 * 1024, 5000, probe_midway, &t,
                              &body_at);
  cr_assert(probed);
  cr_assert(strstr(got, "Content-Length: 5242880\r\n"));
  cr_assert_eq(memcmp(got + body_at, big, BIG), 0);
  free(got);
  close(fd);
  tsrv_stop(&t);
  close(file_fd);
  remove_files();
}

#include "http/conn.h" /* white box: connections and their buffers */

static size_t server_queued(eddy_http_server_t *s) {
  size_t n = 0;
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &s->_conns) {
    eddy__http_conn_t *c = EDDY_CONTAINER_OF(q, eddy__http_conn_t, node);
    n += eddy_stream_queued(EDDY_STREAM(&c->tcp));
  }
  return n;
}

/* ------------------------------------------------ http-static example */

Test(http_features, static_example_serves_files_and_never_escapes) {
  make_files();
  e2e_server_t srv;
  const char *const args[] = {dir, NULL};
  e2e_start_example(&srv, "http-static", args);
  int port = srv.port;
  grow_t g = {0};
  char ct[64];
  cr_assert_eq(curl_get(port, "/big.bin", &g, ct), 200);
  cr_assert_eq(g.len, BIG);
  cr_assert_eq(memcmp(g.p, big, BIG), 0);
  cr_assert_str_eq(ct, "application/octet-stream");
  g.len = 0;
  cr_assert_eq(curl_get(port, "/hello.txt", &g, ct), 200);
  cr_assert(g.len == 6 && !memcmp(g.p, "hello\n", 6));
  cr_assert_str_eq(ct, "text/plain; charset=utf-8");
  g.len = 0;
  cr_assert_eq(curl_get(port, "/missing.txt", &g, NULL), 404);
  const char *escapes[] = {"/../etc/passwd", "/../../../../etc/passwd",
                           "/%2e%2e/%2e%2e/etc/passwd", "/a/../../etc/passwd"};
  for (size_t i = 0; i < 4; i++) {
    char req[256], out[2048];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                     escapes[i]);
    tsrv_exchange(port, req, (size_t)n, out, sizeof(out));
    cr_assert(!strncmp(out, "HTTP/1.1 404 ", 13), "%s: %s", escapes[i], out);
    cr_assert_null(strstr(out, "root:"), "%s escaped", escapes[i]);
  }
  free(g.p);
  e2e_stop(&srv);
  remove_files();
}

/* ---------------------------------------------- streamed request bodies */


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
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, g);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  if (sum) *sum = src.sum;
  return rc == CURLE_OK ? code : -(long)rc;
}

Test(http_features, chunked_upload_streams_with_pauses_and_bounded_buffer) {
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

Test(http_features, streamed_body_keeps_the_default_limit) {
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

Test(http_features, expect_continue_is_decided_by_the_head_hook) {
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

/*
 * File responses end to end: send_file (sendfile(2)) in pipeline order,
 * with ranges and HEAD, to a slow reader while the loop stays free, and
 * the http-static example serving a directory it never escapes.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/http.h"
#include "support/body_helpers.h"
#include "support/e2e_helpers.h"
#include "support/httpsrv_helpers.h"

TestSuite(http_files, .timeout = 60, .fini = e2e_kill_leftover);

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

static long curl_get(int port, const char *path, grow_t *g, char *ctype) {
  char url[256];
  long code = 0;
  snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
  CURL *c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow_write);
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
  } else if (q->path.len == 7 && !memcmp(q->path.base, "/filecl", 7)) {
    /* The handler's Content-Length frames the body: a file of another
     * length is refused, the response left open for another answer. */
    eddy_http_res_set_header(res, "Content-Length", "99");
    int bad = eddy_http_res_send_file(res, dup(file_fd), 10, 100);
    eddy_http_res_set_header(res, "X-Refused", bad == -EINVAL ? "yes" : "no");
    eddy_http_res_set_header(res, "Content-Length", "100");
    eddy_http_res_send_file(res, dup(file_fd), 10, 100);
  } else if (q->path.len == 7 && !memcmp(q->path.base, "/pathcl", 7)) {
    char p[128]; /* 6 bytes, not 5: send_path answers 500 */
    snprintf(p, sizeof(p), "%s/hello.txt", dir);
    eddy_http_res_set_header(res, "Content-Length", "5");
    eddy_http_res_send_path(res, p);
  } else if (q->path.len == 4 && !memcmp(q->path.base, "/big", 4)) {
    eddy_http_res_send_file(res, dup(file_fd), 0, -1);
  } else {
    eddy_http_res_end(res, q->path.base, q->path.len);
  }
}

Test(http_files, send_file_range_in_pipeline_order_and_head) {
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

/* A Content-Length set by the handler must be the file's length. */
Test(http_files, send_file_holds_to_the_handler_content_length) {
  make_files();
  file_fd = open_big();
  tsrv_t t;
  tsrv_init(&t, NULL, file_handler);
  tsrv_run(&t);
  static const char req[] = "GET /filecl HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /pathcl HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  static char out[4096];
  tsrv_exchange(t.port, req, sizeof(req) - 1, out, sizeof(out));
  const char *f = strstr(out, "X-Refused: yes\r\nContent-Length: 100\r\n");
  cr_assert(f, "%s", out);
  const char *body = strstr(f, "\r\n\r\n") + 4;
  cr_assert_eq(memcmp(body, big + 10, 100), 0);
  cr_assert(!strncmp(body + 100, "HTTP/1.1 500 ", 13), "%s", body + 100);
  cr_assert_null(strstr(out, "Content-Length: 5\r\n"), "%s", out);
  cr_assert(strstr(out, "\r\n\r\nInternal Server Error"), "%s", out);
  cr_assert(strstr(out, "\r\n\r\n/b"), "%s", out);
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
Test(http_files, send_file_to_slow_reader_keeps_loop_free) {
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

Test(http_files, static_example_serves_files_and_never_escapes) {
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


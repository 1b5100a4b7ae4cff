/*
 * Oversized everything against `eddy serve`: one header line, the header
 * section, a Content-Length body, a chunked body, one chunk size, a chunk
 * extension, the trailer section. Each gets its status, then the close,
 * and the server serves the next client. (The request line, 101 headers
 * and an overflowing chunk size are in test_http_attack.c.)
 *
 * And http-static's confinement: a symlink inside ROOT that leads out of
 * it is refused (openat2 RESOLVE_BENEATH), one that stays inside works, a
 * FIFO is refused at once.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/e2e_helpers.h"

TestSuite(hostile_limits, .timeout = 30, .fini = e2e_kill_leftover);

#define HELLO "GET / HTTP/1.1\r\nHost: x\r\n\r\n"

/* On one server: `req` gets `status`, Connection: close, the close; then a
 * fresh client is served. */
static void refused(const e2e_server_t *s, const char *req, size_t len,
                    int status) {
  char out[4096];
  int fd = e2e_connect(s);
  e2e_send_some(fd, req, len);
  int st = e2e_read_response(fd, out, sizeof(out), 0);
  cr_assert_eq(st, status, "want %d, got:\n%s", status, out);
  cr_assert(strstr(out, "\r\nConnection: close\r\n"), "%s", out);
  cr_assert_neq(e2e_wait_close(fd, 3000), -1, "connection left open");
  close(fd);
  cr_assert_eq(e2e_fresh_request(s, HELLO, out, sizeof(out)), 200, "%s", out);
}

/* A request head with `n` bytes of filler in one header value. */
static char *big_header(size_t n, size_t *len) {
  char *p = malloc(n + 128);
  size_t k = (size_t)sprintf(p, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
  memset(p + k, 'a', n);
  k += n;
  k += (size_t)sprintf(p + k, "\r\n\r\n");
  *len = k;
  return p;
}

Test(hostile_limits, one_header_over_16k_is_431) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  size_t len;
  char *req = big_header(17 * 1024, &len);
  refused(&s, req, len, 431);
  free(req);
  e2e_stop(&s);
}

Test(hostile_limits, header_section_over_16k_is_431) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  char *req = malloc(40 * 1024);
  size_t k = (size_t)sprintf(req, "GET / HTTP/1.1\r\nHost: x\r\n");
  for (int i = 0; i < 90; i++) /* 90 lines of 200 bytes: under 100 lines */
    k += (size_t)sprintf(req + k, "X-%02d: %0195d\r\n", i, 0);
  k += (size_t)sprintf(req + k, "\r\n");
  refused(&s, req, k, 431);
  free(req);
  e2e_stop(&s);
}

Test(hostile_limits, content_length_over_1mib_is_413) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  static const char req[] =
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\nabc";
  refused(&s, req, sizeof(req) - 1, 413);
  e2e_stop(&s);
}

Test(hostile_limits, chunked_body_over_1mib_is_413) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  /* 17 chunks of 64 KiB: the 17th crosses 1 MiB. */
  size_t chunk = 64 * 1024, cap = 18 * (chunk + 16) + 128;
  char *req = malloc(cap);
  size_t k = (size_t)sprintf(req, "POST / HTTP/1.1\r\nHost: x\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 17; i++) {
    k += (size_t)sprintf(req + k, "%zx\r\n", chunk);
    memset(req + k, 'b', chunk);
    k += chunk;
    k += (size_t)sprintf(req + k, "\r\n");
  }
  refused(&s, req, k, 413);
  free(req);
  e2e_stop(&s);
}

Test(hostile_limits, one_chunk_size_over_the_limit_is_413) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  static const char req[] = "POST / HTTP/1.1\r\nHost: x\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n"
                            "7fffffffffffffff\r\nabc";
  refused(&s, req, sizeof(req) - 1, 413);
  e2e_stop(&s);
}

Test(hostile_limits, endless_leading_zeros_are_400) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  char req[4096];
  size_t k = (size_t)sprintf(req, "POST / HTTP/1.1\r\nHost: x\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n");
  memset(req + k, '0', 2000);
  refused(&s, req, k + 2000, 400);
  e2e_stop(&s);
}

Test(hostile_limits, chunk_extension_over_1k_is_400) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  char req[4096];
  size_t k = (size_t)sprintf(req, "POST / HTTP/1.1\r\nHost: x\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n1;a=");
  memset(req + k, 'e', 1100);
  k += 1100;
  k += (size_t)sprintf(req + k, "\r\nx\r\n0\r\n\r\n");
  refused(&s, req, k, 400);
  e2e_stop(&s);
}

Test(hostile_limits, trailer_section_over_4k_is_400) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  char req[8192];
  size_t k = (size_t)sprintf(req, "POST / HTTP/1.1\r\nHost: x\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n"
                                  "1\r\nx\r\n0\r\nX-T: ");
  memset(req + k, 't', 4200);
  k += 4200;
  k += (size_t)sprintf(req + k, "\r\n\r\n");
  refused(&s, req, k, 400);
  e2e_stop(&s);
}

/* ------------------------------------------------ http-static confinement */

static char root[64], outside[64];

static void put_file(const char *dir, const char *name, const char *text) {
  char p[256];
  snprintf(p, sizeof(p), "%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

static void make_tree(void) {
  char p[256], t[256];
  snprintf(root, sizeof(root), "/tmp/eddy-root-XXXXXX");
  snprintf(outside, sizeof(outside), "/tmp/eddy-out-XXXXXX");
  cr_assert_not_null(mkdtemp(root));
  cr_assert_not_null(mkdtemp(outside));
  put_file(root, "in.txt", "inside\n");
  put_file(outside, "secret.txt", "secret\n");
  snprintf(p, sizeof(p), "%s/leak.txt", root);
  snprintf(t, sizeof(t), "%s/secret.txt", outside);
  cr_assert_eq(symlink(t, p), 0);
  snprintf(p, sizeof(p), "%s/out", root);
  cr_assert_eq(symlink(outside, p), 0);
  snprintf(p, sizeof(p), "%s/alias.txt", root);
  cr_assert_eq(symlink("in.txt", p), 0);
  snprintf(p, sizeof(p), "%s/fifo", root);
  cr_assert_eq(mkfifo(p, 0644), 0);
}

static void remove_tree(void) {
  const char *names[] = {"in.txt", "leak.txt", "out", "alias.txt", "fifo"};
  char p[256];
  for (int i = 0; i < 5; i++) {
    snprintf(p, sizeof(p), "%s/%s", root, names[i]);
    unlink(p);
  }
  snprintf(p, sizeof(p), "%s/secret.txt", outside);
  unlink(p);
  rmdir(root);
  rmdir(outside);
}

static int get(const e2e_server_t *s, const char *path, char *out, size_t max) {
  char req[256];
  snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
  return e2e_fresh_request(s, req, out, max);
}

Test(hostile_limits, static_symlinks_out_of_root_and_fifos_are_refused) {
  make_tree();
  e2e_server_t s;
  const char *const args[] = {root, NULL};
  e2e_start_example(&s, "http-static", args);
  char out[4096];
  cr_assert_eq(get(&s, "/in.txt", out, sizeof(out)), 200, "%s", out);
  cr_assert_eq(get(&s, "/alias.txt", out, sizeof(out)), 200, "%s", out);
  cr_assert(strstr(out, "\r\n\r\ninside\n"), "%s", out);
  cr_assert_eq(get(&s, "/leak.txt", out, sizeof(out)), 403, "%s", out);
  cr_assert_null(strstr(out, "secret"), "%s", out);
  cr_assert_eq(get(&s, "/out/secret.txt", out, sizeof(out)), 403, "%s", out);
  cr_assert_null(strstr(out, "secret"), "%s", out);
  /* More FIFO requests than pool threads: each refused, none blocks. */
  for (int i = 0; i < 6; i++)
    cr_assert_eq(get(&s, "/fifo", out, sizeof(out)), 403, "%s", out);
  cr_assert_eq(get(&s, "/in.txt", out, sizeof(out)), 200, "%s", out);
  e2e_stop(&s);
  remove_tree();
}

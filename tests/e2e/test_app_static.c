/*
 * Static files through `eddy serve --root`: validators, conditionals,
 * ranges, directories, and every way out of the root refused (raw
 * sockets for what a client would normalise away).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/e2e_helpers.h"
#include "support/fs_helpers.h"
#include "support/serve_helpers.h"

static void fini(void) { e2e_kill_leftover(); }
TestSuite(static_e2e, .fini = fini);

static char root[512], big[300000];

/* root/: a.txt, page.html, big.bin, dir/index.html, empty/, .secret,
 * in -> a.txt, out -> ../outside.txt, abs -> /etc/passwd, fifo. */
static void make_site(e2e_server_t *s) {
  const char *dir = scratch_dir();
  snprintf(root, sizeof(root), "%s/root", dir);
  char p[700];
  cr_assert_eq(mkdir(root, 0755), 0);
#define AT(name) (snprintf(p, sizeof(p), "%s/%s", root, name), p)
  write_file_sync(AT("a.txt"), "0123456789abcdef", 16);
  write_file_sync(AT("page.html"), "<p>hi</p>", 9);
  for (size_t i = 0; i < sizeof(big); i++) big[i] = (char)('a' + i % 23);
  write_file_sync(AT("big.bin"), big, sizeof(big));
  cr_assert_eq(mkdir(AT("dir"), 0755), 0);
  write_file_sync(AT("dir/index.html"), "<p>index</p>", 12);
  cr_assert_eq(mkdir(AT("empty"), 0755), 0);
  write_file_sync(AT(".secret"), "secret", 6);
  cr_assert_eq(symlink("a.txt", AT("in")), 0);
  write_file_sync(scratch_path("outside.txt"), "outside", 7);
  cr_assert_eq(symlink("../outside.txt", AT("out")), 0);
  cr_assert_eq(symlink("/etc/passwd", AT("abs")), 0);
  cr_assert_eq(mkfifo(AT("fifo"), 0644), 0);
#undef AT
  static const char *extra[] = {"--root", NULL, NULL};
  extra[1] = root;
  e2e_start(s, extra);
}

static void done(e2e_server_t *s) {
  e2e_stop(s);
  scratch_remove();
}

Test(static_e2e, file_with_validators_head_and_conditionals) {
  e2e_server_t s;
  make_site(&s);
  served_t r;
  serve_request(&s, "GET", "/a.txt", NULL, &r);
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(r.body, "0123456789abcdef");
  cr_assert_str_eq(served_header(&r, "Content-Type"),
                   "text/plain; charset=utf-8");
  cr_assert_str_eq(served_header(&r, "Accept-Ranges"), "bytes");
  cr_assert_str_eq(served_header(&r, "Cache-Control"), "public, max-age=0");
  char etag[64], lm[64];
  snprintf(etag, sizeof(etag), "%s", served_header(&r, "ETag"));
  snprintf(lm, sizeof(lm), "%s", served_header(&r, "Last-Modified"));
  cr_assert(etag[0] == '"' && strlen(lm) == 29, "%s / %s", etag, lm);
  served_free(&r);
  serve_request(&s, "HEAD", "/a.txt", NULL, &r);
  cr_assert(r.status == 200 && r.body_len == 0);
  cr_assert_str_eq(served_header(&r, "Content-Length"), "16");
  served_free(&r);
  char h1[128], h2[128];
  snprintf(h1, sizeof(h1), "If-None-Match: \"x\", %s", etag);
  const char *inm[] = {h1, NULL};
  serve_request(&s, "GET", "/a.txt", inm, &r);
  cr_assert(r.status == 304 && r.body_len == 0);
  cr_assert_str_eq(served_header(&r, "ETag"), etag);
  served_free(&r);
  snprintf(h2, sizeof(h2), "If-Modified-Since: %s", lm);
  const char *ims[] = {h2, NULL};
  serve_request(&s, "GET", "/a.txt", ims, &r);
  cr_assert_eq(r.status, 304);
  served_free(&r);
  /* If-None-Match decides over If-Modified-Since. */
  const char *both[] = {"If-None-Match: \"other\"", h2, NULL};
  serve_request(&s, "GET", "/a.txt", both, &r);
  cr_assert(r.status == 200 && r.body_len == 16);
  served_free(&r);
  serve_request(&s, "GET", "/page.html", NULL, &r);
  cr_assert_str_eq(served_header(&r, "Content-Type"),
                   "text/html; charset=utf-8");
  served_free(&r);
  done(&s);
}

Test(static_e2e, ranges) {
  e2e_server_t s;
  make_site(&s);
  served_t r;
  const char *first[] = {"Range: bytes=0-3", NULL};
  serve_request(&s, "GET", "/a.txt", first, &r);
  cr_assert_eq(r.status, 206);
  cr_assert_str_eq(r.body, "0123");
  cr_assert_str_eq(served_header(&r, "Content-Range"), "bytes 0-3/16");
  served_free(&r);
  const char *suffix[] = {"Range: bytes=-4", NULL};
  serve_request(&s, "GET", "/a.txt", suffix, &r);
  cr_assert(r.status == 206 && !strcmp(r.body, "cdef"));
  served_free(&r);
  const char *mid[] = {"Range: bytes=100000-199999", NULL};
  serve_request(&s, "GET", "/big.bin", mid, &r);
  cr_assert(r.status == 206 && r.body_len == 100000);
  cr_assert_eq(memcmp(r.body, big + 100000, 100000), 0);
  cr_assert_str_eq(served_header(&r, "Content-Range"),
                   "bytes 100000-199999/300000");
  served_free(&r);
  const char *past[] = {"Range: bytes=16-", NULL};
  serve_request(&s, "GET", "/a.txt", past, &r);
  cr_assert_eq(r.status, 416);
  cr_assert_str_eq(served_header(&r, "Content-Range"), "bytes */16");
  served_free(&r);
  /* Several ranges, or an If-Range that does not match: the whole file. */
  const char *multi[] = {"Range: bytes=0-1,4-5", NULL};
  serve_request(&s, "GET", "/a.txt", multi, &r);
  cr_assert(r.status == 200 && r.body_len == 16);
  served_free(&r);
  const char *ifr[] = {"Range: bytes=0-1", "If-Range: \"stale\"", NULL};
  serve_request(&s, "GET", "/a.txt", ifr, &r);
  cr_assert(r.status == 200 && r.body_len == 16);
  served_free(&r);
  serve_request(&s, "GET", "/big.bin", NULL, &r); /* whole, by sendfile */
  cr_assert(r.status == 200 && r.body_len == sizeof(big));
  cr_assert_eq(memcmp(r.body, big, sizeof(big)), 0);
  served_free(&r);
  done(&s);
}

Test(static_e2e, directories) {
  e2e_server_t s;
  make_site(&s);
  served_t r;
  serve_request(&s, "GET", "/dir", NULL, &r);
  cr_assert_eq(r.status, 301);
  cr_assert_str_eq(served_header(&r, "Location"), "/dir/");
  served_free(&r);
  serve_request(&s, "GET", "/dir?q=1", NULL, &r);
  cr_assert_str_eq(served_header(&r, "Location"), "/dir/?q=1");
  served_free(&r);
  serve_request(&s, "GET", "//dir", NULL, &r); /* never "//dir/" */
  cr_assert_str_eq(served_header(&r, "Location"), "/dir/");
  served_free(&r);
  serve_request(&s, "GET", "/dir/", NULL, &r);
  cr_assert(r.status == 200 && !strcmp(r.body, "<p>index</p>"));
  served_free(&r);
  serve_request(&s, "GET", "/empty/", NULL, &r); /* no index: not ours */
  cr_assert_eq(r.status, 404);
  served_free(&r);
  serve_request(&s, "GET", "/a.txt/", NULL, &r);
  cr_assert_eq(r.status, 404);
  served_free(&r);
  serve_request(&s, "GET", "/in", NULL, &r); /* a link inside the root */
  cr_assert(r.status == 200 && !strcmp(r.body, "0123456789abcdef"));
  served_free(&r);
  serve_request(&s, "POST", "/a.txt", NULL, &r); /* GET and HEAD only */
  cr_assert_eq(r.status, 404);
  served_free(&r);
  done(&s);
}

/* Raw bytes on the wire: curl would normalise "..". */
static int raw_status(const e2e_server_t *s, const char *path, char *out,
                      size_t max) {
  char req[512];
  snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
  return e2e_fresh_request(s, req, out, max);
}

Test(static_e2e, nothing_escapes_the_root) {
  e2e_server_t s;
  make_site(&s);
  static const struct {
    const char *path;
    int status;
  } cases[] = {
      {"/../outside.txt", 403},      {"/a/../../outside.txt", 403},
      {"/%2e%2e/outside.txt", 403},  {"/%2E%2E/outside.txt", 403},
      {"/.%2e/outside.txt", 403},    {"/%2e%2e%2foutside.txt", 400},
      {"/..%2foutside.txt", 400},    {"/dir%2f..%2f..%2fx", 400},
      {"/a.txt%00.html", 400},       {"/a%5c..%5cx", 400},
      {"/.secret", 404},             {"/%2esecret", 404},
      {"/out", 404},                 {"/abs", 404},
      {"/fifo", 404},
  };
  char out[4096];
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int st = raw_status(&s, cases[i].path, out, sizeof(out));
    cr_assert_eq(st, cases[i].status, "%s -> %d", cases[i].path, st);
    cr_assert_null(strstr(out, "outside"), "%s leaked", cases[i].path);
    cr_assert_null(strstr(out, "secret\r"), "%s", cases[i].path);
    cr_assert_null(strstr(out, "root:"), "%s", cases[i].path);
  }
  /* The FIFO blocked nothing: the server still answers at once. */
  cr_assert_eq(raw_status(&s, "/a.txt", out, sizeof(out)), 200);
  done(&s);
}

/* The descriptor cache notices a file replaced by a rename (deploys). */
Test(static_e2e, a_replaced_file_is_served_fresh) {
  e2e_server_t s;
  make_site(&s);
  served_t r;
  serve_request(&s, "GET", "/a.txt", NULL, &r);
  served_free(&r);
  char tmp[700], dst[700];
  snprintf(tmp, sizeof(tmp), "%s/a.new", root);
  snprintf(dst, sizeof(dst), "%s/a.txt", root);
  write_file_sync(tmp, "new content", 11);
  cr_assert_eq(rename(tmp, dst), 0);
  serve_request(&s, "GET", "/a.txt", NULL, &r);
  cr_assert_str_eq(r.body, "new content");
  served_free(&r);
  write_file_sync(dst, "rewritten in place!", 19); /* same inode */
  serve_request(&s, "GET", "/a.txt", NULL, &r);
  cr_assert_str_eq(r.body, "rewritten in place!");
  served_free(&r);
  done(&s);
}

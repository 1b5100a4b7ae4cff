/* Static files: the path resolver against every escape form, the kernel
 * wall (symlinks out, FIFO), validators, conditionals, ranges, MIME. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/static.h"
#include "app/static_job.h"
#include "support/fs_helpers.h"

static void resolves(const char *url, const char *want) {
  char out[256];
  ssize_t n = eddy_static_path(url, strlen(url), out, sizeof(out),
                               EDDY_STATIC_DOT_IGNORE);
  cr_assert_geq(n, 0, "%s -> %zd", url, n);
  cr_assert_str_eq(out, want, "%s", url);
  cr_assert_eq((size_t)n, strlen(want));
}

static void refused(const char *url, ssize_t status) {
  char out[256];
  ssize_t n = eddy_static_path(url, strlen(url), out, sizeof(out),
                               EDDY_STATIC_DOT_IGNORE);
  cr_assert_eq(n, status, "%s -> %zd, want %zd", url, n, status);
}

Test(static_path, plain_paths) {
  resolves("/", "");
  resolves("", "");
  resolves("/index.html", "index.html");
  resolves("/a/b/c.css", "a/b/c.css");
  resolves("/a/b/", "a/b/");
  resolves("//a///b", "a/b");
  resolves("/a/./b/.", "a/b");
  resolves("/hello%20world.txt", "hello world.txt");
  resolves("/caf%C3%A9", "caf\xc3\xa9");
  resolves("/a..b/c...", "a..b/c...");
}

Test(static_path, every_escape_form) {
  refused("/..", -403);
  refused("/../etc/passwd", -403);
  refused("/a/../../etc/passwd", -403);
  refused("/a/..", -403);
  refused("/%2e%2e/etc/passwd", -403);
  refused("/%2E%2E/etc/passwd", -403);
  refused("/.%2e/x", -403);
  refused("/a/%2e%2e/", -403);
  refused("/%2f/etc/passwd", -400);
  refused("/..%2fetc%2fpasswd", -400);
  refused("/a%2F..%2F..%2Fetc", -400);
  refused("/a%5c..%5cb", -400);
  refused("/a%00.html", -400);
  refused("/a%0", -400);
  refused("/a%zz", -400);
}

Test(static_path, dotfiles) {
  refused("/.env", -404);
  refused("/.git/config", -404);
  refused("/a/.hidden/b", -404);
  refused("/%2eenv", -404);
  char out[64];
  cr_assert_eq(eddy_static_path("/.env", 5, out, sizeof(out),
                                EDDY_STATIC_DOT_DENY), -403);
  cr_assert_eq(eddy_static_path("/.env", 5, out, sizeof(out),
                                EDDY_STATIC_DOT_ALLOW), 4);
  cr_assert_str_eq(out, ".env");
  /* ".." stays refused even when dotfiles are allowed. */
  cr_assert_eq(eddy_static_path("/..", 3, out, sizeof(out),
                                EDDY_STATIC_DOT_ALLOW), -403);
}

Test(static_path, too_long) {
  char out[8];
  cr_assert_eq(eddy_static_path("/abcdefgh", 9, out, sizeof(out), 0), -414);
  cr_assert_eq(eddy_static_path("/abcdef", 7, out, sizeof(out), 0), 6);
  cr_assert_eq(eddy_static_path("/a", 2, out, 0, 0), -414);
}

/* The kernel wall: openat2 below a root refuses what leads outside. */
Test(static_path, openat2_beneath_root) {
  const char *dir = scratch_dir();
  char root[512], outside[512], path[600];
  snprintf(root, sizeof(root), "%s/root", dir);
  snprintf(outside, sizeof(outside), "%s/secret.txt", dir);
  cr_assert_eq(mkdir(root, 0755), 0);
  write_file_sync(outside, "secret", 6);
  snprintf(path, sizeof(path), "%s/ok.txt", root);
  write_file_sync(path, "ok", 2);
  snprintf(path, sizeof(path), "%s/abs", root);
  cr_assert_eq(symlink(outside, path), 0);
  snprintf(path, sizeof(path), "%s/rel", root);
  cr_assert_eq(symlink("../secret.txt", path), 0);
  snprintf(path, sizeof(path), "%s/inside", root);
  cr_assert_eq(symlink("ok.txt", path), 0);
  snprintf(path, sizeof(path), "%s/fifo", root);
  cr_assert_eq(mkfifo(path, 0644), 0);
  int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cr_assert_geq(rfd, 0);
  int fd = eddy__static_openat(rfd, "ok.txt");
  cr_assert_geq(fd, 0);
  close(fd);
  fd = eddy__static_openat(rfd, "inside"); /* a link within the root */
  cr_assert_geq(fd, 0);
  close(fd);
  cr_assert_eq(eddy__static_openat(rfd, "abs"), -EXDEV);
  cr_assert_eq(eddy__static_openat(rfd, "rel"), -EXDEV);
  cr_assert_eq(eddy__static_openat(rfd, "../secret.txt"), -EXDEV);
  cr_assert_eq(eddy__static_openat(rfd, "/etc/passwd"), -EXDEV);
  /* A FIFO with no writer opens at once (O_NONBLOCK), never blocking. */
  fd = eddy__static_openat(rfd, "fifo");
  cr_assert_geq(fd, 0);
  struct stat sb;
  fstat(fd, &sb);
  cr_assert(S_ISFIFO(sb.st_mode));
  close(fd);
  close(rfd);
  scratch_remove();
}

Test(static_cond, etag_and_dates) {
  char tag[40];
  cr_assert_eq(eddy_static_etag(4096, 0x10, tag), strlen("\"1000-10\""));
  cr_assert_str_eq(tag, "\"1000-10\"");
  cr_assert_eq(eddy_static_parse_date("Sun, 06 Nov 1994 08:49:37 GMT", 29),
               784111777);
  cr_assert_eq(eddy_static_parse_date("Thu, 01 Jan 1970 00:00:00 GMT", 29), 0);
  cr_assert_eq(eddy_static_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", 30),
               -1);
  cr_assert_eq(eddy_static_parse_date("Sun, 06 Nov 1994 08:49:37 UTC", 29),
               -1);
  cr_assert_eq(eddy_static_parse_date("Sun, 06 Xyz 1994 08:49:37 GMT", 29),
               -1);
  char back[30];
  eddy_http_date(1700000000, back);
  cr_assert_eq(eddy_static_parse_date(back, 29), 1700000000);
}

static eddy_http_slice_t sl(const char *s) {
  eddy_http_slice_t v = {s, strlen(s)};
  return v;
}

Test(static_cond, if_none_match_and_since) {
  const char *tag = "\"a-1\"";
  eddy_http_slice_t v = sl("\"a-1\"");
  cr_assert_eq(eddy_static_fresh(&v, NULL, tag, 100), 1);
  v = sl("W/\"a-1\"");
  cr_assert_eq(eddy_static_fresh(&v, NULL, tag, 100), 1); /* weak compare */
  v = sl("\"x\", \"a-1\"");
  cr_assert_eq(eddy_static_fresh(&v, NULL, tag, 100), 1);
  v = sl("*");
  cr_assert_eq(eddy_static_fresh(&v, NULL, tag, 100), 1);
  v = sl("\"a-2\"");
  eddy_http_slice_t ims = sl("Thu, 01 Jan 2099 00:00:00 GMT");
  /* If-None-Match decides: If-Modified-Since is not looked at. */
  cr_assert_eq(eddy_static_fresh(&v, &ims, tag, 100), 0);
  cr_assert_eq(eddy_static_fresh(NULL, &ims, tag, 100), 1);
  ims = sl("Thu, 01 Jan 1970 00:00:50 GMT");
  cr_assert_eq(eddy_static_fresh(NULL, &ims, tag, 100), 0);
  ims = sl("Thu, 01 Jan 1970 00:01:40 GMT"); /* == mtime */
  cr_assert_eq(eddy_static_fresh(NULL, &ims, tag, 100), 1);
  ims = sl("garbage");
  cr_assert_eq(eddy_static_fresh(NULL, &ims, tag, 100), 0);
  cr_assert_eq(eddy_static_fresh(NULL, NULL, tag, 100), 0);
}

static int rng(const char *r, const char *ifr, int64_t size, int64_t *off,
               int64_t *n) {
  eddy_http_slice_t v = sl(r), i = sl(ifr ? ifr : "");
  *off = *n = -7;
  return eddy_static_range(&v, ifr ? &i : NULL, "\"t\"", 100, size, off, n);
}

Test(static_cond, ranges) {
  int64_t off, n;
  cr_assert_eq(rng("bytes=0-99", NULL, 1000, &off, &n), 206);
  cr_assert(off == 0 && n == 100);
  cr_assert_eq(rng("bytes=900-", NULL, 1000, &off, &n), 206);
  cr_assert(off == 900 && n == 100);
  cr_assert_eq(rng("bytes=990-5000", NULL, 1000, &off, &n), 206);
  cr_assert(off == 990 && n == 10);
  cr_assert_eq(rng("bytes=-10", NULL, 1000, &off, &n), 206);
  cr_assert(off == 990 && n == 10);
  cr_assert_eq(rng("bytes=-5000", NULL, 1000, &off, &n), 206);
  cr_assert(off == 0 && n == 1000);
  cr_assert_eq(rng("BYTES=5-5", NULL, 1000, &off, &n), 206);
  cr_assert(off == 5 && n == 1);
  /* Unsatisfiable. */
  cr_assert_eq(rng("bytes=1000-", NULL, 1000, &off, &n), 416);
  cr_assert_eq(rng("bytes=99999999999999999999999-", NULL, 1000, &off, &n),
               416);
  cr_assert_eq(rng("bytes=-0", NULL, 1000, &off, &n), 416);
  cr_assert_eq(rng("bytes=0-", NULL, 0, &off, &n), 416);
  /* Ignored: the whole file. */
  cr_assert_eq(rng("bytes=5-1", NULL, 1000, &off, &n), 0);
  cr_assert_eq(rng("bytes=0-1,5-6", NULL, 1000, &off, &n), 0);
  cr_assert_eq(rng("items=0-1", NULL, 1000, &off, &n), 0);
  cr_assert_eq(rng("bytes=-", NULL, 1000, &off, &n), 0);
  cr_assert_eq(rng("bytes=a-b", NULL, 1000, &off, &n), 0);
  cr_assert_eq(rng("bytes=1-2x", NULL, 1000, &off, &n), 0);
  cr_assert_eq(off, -7);
  /* If-Range: a strong match or the exact date, else the whole file. */
  cr_assert_eq(rng("bytes=0-1", "\"t\"", 1000, &off, &n), 206);
  cr_assert_eq(rng("bytes=0-1", "\"u\"", 1000, &off, &n), 0);
  cr_assert_eq(rng("bytes=0-1", "W/\"t\"", 1000, &off, &n), 0);
  cr_assert_eq(rng("bytes=0-1", "Thu, 01 Jan 1970 00:01:40 GMT", 1000, &off,
                   &n), 206);
  cr_assert_eq(rng("bytes=0-1", "Thu, 01 Jan 1970 00:01:41 GMT", 1000, &off,
                   &n), 0);
}

/* Found by the fuzzer: a raw NUL (not %00) must not reach openat2. */
Test(static_path, raw_nul_refused) {
  char out[64];
  cr_assert_eq(eddy_static_path("/a\0/../x", 8, out, sizeof(out), 0), -400);
  cr_assert_eq(eddy_static_path("/.\0\016etc", 8, out, sizeof(out), 0), -400);
}

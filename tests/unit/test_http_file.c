/*
 * eddy_http_res_send_path: only regular files are sent; a FIFO or a device
 * is refused at once and never holds a thread-pool thread (the open used
 * to wait for a FIFO's writer forever: four such requests froze all file
 * I/O of the process).
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eddy/http.h"
#include "support/e2e_helpers.h"
#include "support/httpsrv_helpers.h"

TestSuite(http_file, .timeout = 20);

static char dir[64];
static tsrv_t srv;

/* "/<name>" -> dir/<name>; "/dev-null" -> /dev/null. */
static void handler(eddy_http_server_t *s, eddy_http_request_t *q,
                    eddy_http_res_t *res) {
  char path[256];
  if (q->path.len == 9 && !memcmp(q->path.base, "/dev-null", 9))
    snprintf(path, sizeof(path), "/dev/null");
  else
    snprintf(path, sizeof(path), "%s%.*s", dir, (int)q->path.len, q->path.base);
  if (eddy_http_res_send_path(res, path) < 0) eddy_http_res_end(res, NULL, 0);
}

static void make_dir(void) {
  snprintf(dir, sizeof(dir), "/tmp/eddy-file-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  char p[128];
  snprintf(p, sizeof(p), "%s/fifo", dir);
  cr_assert_eq(mkfifo(p, 0644), 0);
  snprintf(p, sizeof(p), "%s/sub", dir);
  cr_assert_eq(mkdir(p, 0755), 0);
  snprintf(p, sizeof(p), "%s/file.txt", dir);
  FILE *f = fopen(p, "w");
  cr_assert_not_null(f);
  fputs("regular\n", f);
  fclose(f);
}

static void remove_dir(void) {
  const char *names[] = {"fifo", "file.txt"};
  char p[128];
  for (int i = 0; i < 2; i++) {
    snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
    unlink(p);
  }
  snprintf(p, sizeof(p), "%s/sub", dir);
  rmdir(p);
  rmdir(dir);
}

static int status_of(const char *path, char *out, size_t max) {
  char req[256];
  int n = snprintf(req, sizeof(req),
                   "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
  tsrv_exchange(srv.port, req, (size_t)n, out, max);
  int status = 0;
  sscanf(out, "HTTP/1.1 %d", &status);
  return status;
}

Test(http_file, fifo_device_and_directory_are_refused_without_blocking) {
  char out[4096];
  make_dir();
  tsrv_init(&srv, NULL, handler);
  tsrv_run(&srv);
  /* More FIFO requests than the pool has threads (4 by default). */
  for (int i = 0; i < 8; i++)
    cr_assert_eq(status_of("/fifo", out, sizeof(out)), 403, "%s", out);
  cr_assert_eq(status_of("/dev-null", out, sizeof(out)), 403, "%s", out);
  cr_assert_eq(status_of("/sub", out, sizeof(out)), 404, "%s", out);
  cr_assert_eq(status_of("/missing", out, sizeof(out)), 404, "%s", out);
  /* File I/O still works: no pool thread is stuck on a FIFO. */
  cr_assert_eq(status_of("/file.txt", out, sizeof(out)), 200, "%s", out);
  cr_assert(strstr(out, "\r\n\r\nregular\n"), "%s", out);
  tsrv_stop(&srv);
  remove_dir();
}

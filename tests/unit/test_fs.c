/* Async file system: every operation, its errors, whole-file helpers,
 * readdir, path copies, cancellation, misuse, and getaddrinfo. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "eddy/dns.h"
#include "eddy/fs.h"
#include "support/fs_helpers.h"
#include "support/loop_helpers.h"

static eddy_loop_t loop;
static eddy_fs_t req;
static int called, off_thread;
static pthread_t loop_thread;

static void on_fs(eddy_fs_t *r) {
  called++;
  if (!pthread_equal(pthread_self(), loop_thread)) off_thread++;
}

static void setup(void) {
  bound_test_time(30);
  cr_assert_eq(eddy_loop_init(&loop), 0);
  loop_thread = pthread_self();
  called = off_thread = 0;
  scratch_dir();
}

static void teardown(void) {
  scratch_remove();
  close_loop(&loop);
}

/* Submits one fs call, checks it did not call back inline, runs the loop
 * and checks the callback ran once, on the loop thread. */
#define RUN(call)                                                             \
  do {                                                                        \
    eddy_fs_req_cleanup(&req);                                                \
    called = 0;                                                               \
    cr_assert_eq((call), 0, "%s", #call);                                     \
    cr_assert_eq(called, 0, "no callback inside the submitting call");       \
    eddy_run(&loop, EDDY_RUN_DEFAULT);                                        \
    cr_assert_eq(called, 1, "%s: one callback", #call);                      \
    cr_assert_eq(off_thread, 0);                                              \
  } while (0)

TestSuite(fs, .init = setup, .fini = teardown);

Test(fs, open_write_read_fstat_close) {
  const char *p = scratch_path("a.txt");
  RUN(eddy_fs_open(&loop, &req, p, O_CREAT | O_WRONLY | O_TRUNC, 0644, on_fs));
  cr_assert_geq(req.result, 0);
  int fd = (int)req.result;
  RUN(eddy_fs_write(&loop, &req, fd, "hello world", 11, -1, on_fs));
  cr_assert_eq(req.result, 11);
  RUN(eddy_fs_write(&loop, &req, fd, "W", 1, 6, on_fs));
  cr_assert_eq(req.result, 1);
  RUN(eddy_fs_close(&loop, &req, fd, on_fs));
  cr_assert_eq(req.result, 0);

  RUN(eddy_fs_open(&loop, &req, p, O_RDONLY, 0, on_fs));
  fd = (int)req.result;
  cr_assert_geq(fd, 0);
  char buf[32] = {0};
  RUN(eddy_fs_read(&loop, &req, fd, buf, 5, 6, on_fs));
  cr_assert_eq(req.result, 5);
  cr_assert_str_eq(buf, "World", "pread at offset 6");
  RUN(eddy_fs_read(&loop, &req, fd, buf, 5, -1, on_fs));
  cr_assert_eq(req.result, 5);
  cr_assert_str_eq(buf, "hello", "-1 reads at the file position (0)");
  RUN(eddy_fs_read(&loop, &req, fd, buf, 32, -1, on_fs));
  cr_assert_eq(req.result, 6, "the position moved on to 5");
  RUN(eddy_fs_read(&loop, &req, fd, buf, 32, -1, on_fs));
  cr_assert_eq(req.result, 0, "end of file");
  RUN(eddy_fs_fstat(&loop, &req, fd, on_fs));
  cr_assert_eq(req.result, 0);
  cr_assert_eq(req.statbuf.st_size, 11);
  RUN(eddy_fs_close(&loop, &req, fd, on_fs));
  eddy_fs_req_cleanup(&req);
}

Test(fs, stat_mkdir_rename_unlink) {
  const char *d = scratch_path("dir");
  RUN(eddy_fs_mkdir(&loop, &req, d, 0755, on_fs));
  cr_assert_eq(req.result, 0);
  RUN(eddy_fs_stat(&loop, &req, d, on_fs));
  cr_assert_eq(req.result, 0);
  cr_assert(S_ISDIR(req.statbuf.st_mode));
  cr_assert_str_eq(req.path, d);
  write_file_sync(scratch_path("x"), "abc", 3);
  RUN(eddy_fs_rename(&loop, &req, scratch_path("x"), scratch_path("y"),
                     on_fs));
  cr_assert_eq(req.result, 0);
  RUN(eddy_fs_stat(&loop, &req, scratch_path("y"), on_fs));
  cr_assert_eq(req.statbuf.st_size, 3);
  RUN(eddy_fs_unlink(&loop, &req, scratch_path("y"), on_fs));
  cr_assert_eq(req.result, 0);
  RUN(eddy_fs_stat(&loop, &req, scratch_path("y"), on_fs));
  cr_assert_eq(req.result, -ENOENT);
  eddy_fs_req_cleanup(&req);
}

Test(fs, errors_come_back_as_negative_errno) {
  const char *missing = scratch_path("missing");
  const char *file = scratch_path("file");
  write_file_sync(file, "x", 1);
  char under_file[300];
  snprintf(under_file, sizeof(under_file), "%s/sub", file);
  RUN(eddy_fs_stat(&loop, &req, missing, on_fs));
  cr_assert_eq(req.result, -ENOENT);
  RUN(eddy_fs_open(&loop, &req, missing, O_RDONLY, 0, on_fs));
  cr_assert_eq(req.result, -ENOENT);
  RUN(eddy_fs_open(&loop, &req, file, O_CREAT | O_EXCL | O_WRONLY, 0644,
                   on_fs));
  cr_assert_eq(req.result, -EEXIST);
  RUN(eddy_fs_mkdir(&loop, &req, file, 0755, on_fs));
  cr_assert_eq(req.result, -EEXIST);
  RUN(eddy_fs_stat(&loop, &req, under_file, on_fs));
  cr_assert_eq(req.result, -ENOTDIR);
  RUN(eddy_fs_readdir(&loop, &req, file, on_fs));
  cr_assert_eq(req.result, -ENOTDIR);
  RUN(eddy_fs_unlink(&loop, &req, missing, on_fs));
  cr_assert_eq(req.result, -ENOENT);
  RUN(eddy_fs_rename(&loop, &req, missing, file, on_fs));
  cr_assert_eq(req.result, -ENOENT);
  RUN(eddy_fs_read_file(&loop, &req, missing, on_fs));
  cr_assert_eq(req.result, -ENOENT);
  cr_assert_null(req.buf);
  RUN(eddy_fs_read_file(&loop, &req, scratch_path("."), on_fs));
  cr_assert_eq(req.result, -EISDIR);
  RUN(eddy_fs_write_file(&loop, &req, scratch_path("no/such/dir"), "x", 1,
                         on_fs));
  cr_assert_eq(req.result, -ENOENT);
  RUN(eddy_fs_close(&loop, &req, -1, on_fs));
  cr_assert_eq(req.result, -EBADF);
  char buf[4];
  RUN(eddy_fs_read(&loop, &req, -1, buf, sizeof(buf), -1, on_fs));
  cr_assert_eq(req.result, -EBADF);
  RUN(eddy_fs_write(&loop, &req, -1, "x", 1, 0, on_fs));
  cr_assert_eq(req.result, -EBADF);
  RUN(eddy_fs_fstat(&loop, &req, -1, on_fs));
  cr_assert_eq(req.result, -EBADF);
  eddy_fs_req_cleanup(&req);
}

Test(fs, read_file_of_an_empty_file) {
  write_file_sync(scratch_path("empty"), "", 0);
  RUN(eddy_fs_read_file(&loop, &req, scratch_path("empty"), on_fs));
  cr_assert_eq(req.result, 0);
  cr_assert_not_null(req.buf, "an empty file still gets a buffer");
  cr_assert_eq(req.buf[0], '\0');
  eddy_fs_req_cleanup(&req);
  cr_assert_null(req.buf);
  eddy_fs_req_cleanup(&req); /* idempotent */
}

Test(fs, write_file_then_read_file_large) {
  size_t n = 3 * 1024 * 1024 + 17;
  char *data = malloc(n);
  for (size_t i = 0; i < n; i++) data[i] = (char)(i * 7 + i / 4096);
  RUN(eddy_fs_write_file(&loop, &req, scratch_path("big"), data, n, on_fs));
  cr_assert_eq(req.result, (ssize_t)n);
  RUN(eddy_fs_read_file(&loop, &req, scratch_path("big"), on_fs));
  cr_assert_eq(req.result, (ssize_t)n);
  cr_assert_eq(memcmp(req.buf, data, n), 0);
  cr_assert_eq(req.buf[n], '\0');
  size_t len = 0;
  char *mine = eddy_fs_take_buffer(&req, &len);
  cr_assert_eq(len, n);
  cr_assert_null(req.buf, "the request gave the buffer away");
  eddy_fs_req_cleanup(&req);
  cr_assert_eq(mine[n - 1], data[n - 1], "still ours after cleanup");
  free(mine);
  /* write_file truncates */
  RUN(eddy_fs_write_file(&loop, &req, scratch_path("big"), "short", 5,
                         on_fs));
  RUN(eddy_fs_read_file(&loop, &req, scratch_path("big"), on_fs));
  cr_assert_eq(req.result, 5);
  cr_assert_str_eq(req.buf, "short");
  eddy_fs_req_cleanup(&req);
  free(data);
}

Test(fs, read_file_of_a_proc_file_that_reports_size_zero) {
  RUN(eddy_fs_read_file(&loop, &req, "/proc/self/status", on_fs));
  cr_assert_gt(req.result, 0);
  cr_assert_not_null(strstr(req.buf, "Pid:"));
  eddy_fs_req_cleanup(&req);
}

Test(fs, readdir_lists_sorted_entries_with_types) {
  write_file_sync(scratch_path("b"), "1", 1);
  write_file_sync(scratch_path("a"), "1", 1);
  write_file_sync(scratch_path("c"), "1", 1);
  cr_assert_eq(mkdir(scratch_path("d"), 0755), 0);
  RUN(eddy_fs_readdir(&loop, &req, scratch_path("."), on_fs));
  cr_assert_eq(req.result, 4, "no . or ..");
  const char *want[] = {"a", "b", "c", "d"};
  for (int i = 0; i < 4; i++) cr_assert_str_eq(req.dirents[i].name, want[i]);
  if (req.dirents[0].type != EDDY_DIRENT_UNKNOWN) {
    cr_assert_eq(req.dirents[0].type, EDDY_DIRENT_FILE);
    cr_assert_eq(req.dirents[3].type, EDDY_DIRENT_DIR);
  }
  RUN(eddy_fs_readdir(&loop, &req, scratch_path("d"), on_fs));
  cr_assert_eq(req.result, 0, "empty directory");
  eddy_fs_req_cleanup(&req);
  cr_assert_null(req.dirents);
}

Test(fs, paths_are_copied_at_submit) {
  write_file_sync(scratch_path("real"), "12345", 5);
  char path[256];
  snprintf(path, sizeof(path), "%s", scratch_path("real"));
  cr_assert_eq(eddy_fs_stat(&loop, &req, path, on_fs), 0);
  memset(path, 'z', sizeof(path) - 1); /* the caller's string dies */
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(req.result, 0);
  cr_assert_eq(req.statbuf.st_size, 5);
  cr_assert_str_eq(req.path, scratch_path("real"));
  eddy_fs_req_cleanup(&req);
}

Test(fs, misuse_returns_einval_and_never_calls_back) {
  char buf[4];
  cr_assert_eq(eddy_fs_stat(&loop, &req, "x", NULL), -EINVAL);
  cr_assert_eq(eddy_fs_stat(&loop, &req, NULL, on_fs), -EINVAL);
  cr_assert_eq(eddy_fs_stat(NULL, &req, "x", on_fs), -EINVAL);
  cr_assert_eq(eddy_fs_open(&loop, NULL, "x", O_RDONLY, 0, on_fs), -EINVAL);
  cr_assert_eq(eddy_fs_read(&loop, &req, 0, buf, 4, -2, on_fs), -EINVAL);
  cr_assert_eq(eddy_fs_read(&loop, &req, 0, NULL, 4, 0, on_fs), -EINVAL);
  cr_assert_eq(eddy_fs_rename(&loop, &req, "a", NULL, on_fs), -EINVAL);
  cr_assert_eq(eddy_fs_write_file(&loop, &req, "a", NULL, 3, on_fs), -EINVAL);
  cr_assert_not(eddy_loop_alive(&loop));
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(called, 0);
}

Test(fs, cancel_a_queued_request) {
  unsigned n = eddy_threadpool_size();
  eddy_work_t *blockers = calloc(n, sizeof(*blockers));
  for (unsigned i = 0; i < n; i++)
    eddy_queue_work(&loop, &blockers[i], work_gate_work, NULL);
  cr_assert_eq(work_gate_wait_started((int)n), (int)n);
  cr_assert_eq(eddy_fs_stat(&loop, &req, "/", on_fs), 0);
  cr_assert_eq(eddy_fs_cancel(&req), 0);
  cr_assert_eq(called, 0);
  work_gate_open();
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(called, 1);
  cr_assert_eq(req.result, -ECANCELED);
  eddy_fs_req_cleanup(&req);
  free(blockers);
}

static int many_ok;
static void count_ok(eddy_fs_t *r) {
  if (r->result == 6 && strcmp(r->buf, "abcdef") == 0) many_ok++;
  eddy_fs_req_cleanup(r);
}

Test(fs, many_reads_in_flight_at_once) {
  enum { N = 500 };
  eddy_fs_t *reqs = calloc(N, sizeof(*reqs));
  write_file_sync(scratch_path("f"), "abcdef", 6);
  many_ok = 0;
  for (int i = 0; i < N; i++)
    cr_assert_eq(eddy_fs_read_file(&loop, &reqs[i], scratch_path("f"),
                                   count_ok), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(many_ok, N);
  free(reqs);
}

/* ------------------------------------------------------------- dns */

static int gai_calls, gai_status;
static eddy_getaddrinfo_t gai;

static void on_gai(eddy_getaddrinfo_t *r, int status) {
  gai_calls++;
  gai_status = status;
  if (!pthread_equal(pthread_self(), loop_thread)) off_thread++;
}

static int has_loopback_v4(const struct addrinfo *ai) {
  for (; ai; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET) continue;
    const struct sockaddr_in *sin = (const void *)ai->ai_addr;
    if (sin->sin_addr.s_addr == htonl(INADDR_LOOPBACK)) return 1;
  }
  return 0;
}

Test(fs, getaddrinfo_numeric_and_localhost) {
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
  cr_assert_eq(eddy_getaddrinfo(&loop, &gai, "127.0.0.1", "80", &hints,
                                on_gai), 0);
  cr_assert_eq(gai_calls, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(gai_calls, 1);
  cr_assert_eq(gai_status, 0);
  cr_assert(has_loopback_v4(gai.addrinfo));
  const struct sockaddr_in *sin = (const void *)gai.addrinfo->ai_addr;
  cr_assert_eq(ntohs(sin->sin_port), 80);
  eddy_getaddrinfo_cleanup(&gai);
  cr_assert_null(gai.addrinfo);

  cr_assert_eq(eddy_getaddrinfo(&loop, &gai, "localhost", NULL, &hints,
                                on_gai), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(gai_calls, 2);
  cr_assert_eq(gai_status, 0);
  cr_assert(has_loopback_v4(gai.addrinfo));
  struct addrinfo *ai = eddy_getaddrinfo_take(&gai);
  cr_assert_null(gai.addrinfo);
  eddy_getaddrinfo_cleanup(&gai);
  eddy_freeaddrinfo(ai);
  cr_assert_eq(off_thread, 0);
}

Test(fs, getaddrinfo_errors) {
  struct addrinfo hints = {.ai_family = AF_INET, .ai_flags = AI_NUMERICHOST};
  cr_assert_eq(eddy_getaddrinfo(&loop, &gai, "not-a-number", NULL, &hints,
                                on_gai), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(gai_calls, 1);
  cr_assert_eq(gai_status, -ENOENT, "EAI_NONAME -> -ENOENT");
  cr_assert_null(gai.addrinfo);
  struct addrinfo bad = {.ai_family = 12345};
  cr_assert_eq(eddy_getaddrinfo(&loop, &gai, "127.0.0.1", NULL, &bad,
                                on_gai), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(gai_status, -EAFNOSUPPORT);
  cr_assert_eq(eddy_getaddrinfo(&loop, &gai, NULL, NULL, NULL, on_gai),
               -EINVAL);
  cr_assert_eq(eddy_getaddrinfo(&loop, &gai, "x", NULL, NULL, NULL), -EINVAL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(gai_calls, 2);
  eddy_getaddrinfo_cleanup(&gai);
}

/* The access log: combined format, escaping, the writer thread. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "eddy/observe.h"
#include "support/fs_helpers.h"

static size_t parse(const char *raw, eddy_http_request_t *req,
                    eddy_http_header_t *h) {
  int n = eddy_http_parse_request(raw, strlen(raw), req, h, 16, 0, NULL);
  cr_assert_gt(n, 0);
  return (size_t)n;
}

Test(access_log, combined_format) {
  eddy_http_request_t req;
  eddy_http_header_t h[16];
  parse("GET /a?b=1 HTTP/1.1\r\nHost: x\r\nReferer: http://r/\r\n"
        "User-Agent: curl/7.88 \"q\"\r\n\r\n", &req, h);
  char line[512];
  size_t n = eddy_access_log_format(line, sizeof(line), "127.0.0.1", &req,
                                    200, 2326, 971186136);
  cr_assert_str_eq(line, "127.0.0.1 - - [10/Oct/2000:13:55:36 +0000] "
                         "\"GET /a?b=1 HTTP/1.1\" 200 2326 \"http://r/\" "
                         "\"curl/7.88 \\x22q\\x22\"");
  cr_assert_eq(n, strlen(line));
  parse("HEAD / HTTP/1.0\r\n\r\n", &req, h);
  eddy_access_log_format(line, sizeof(line), NULL, &req, 304, 0, 0);
  cr_assert_str_eq(line, "- - - [01/Jan/1970:00:00:00 +0000] "
                         "\"HEAD / HTTP/1.0\" 304 - \"-\" \"-\"");
  /* Cut, never overrun. */
  char small[16];
  cr_assert_eq(eddy_access_log_format(small, sizeof(small), "1.2.3.4", &req,
                                      200, 1, 0), 15);
  cr_assert_eq(strlen(small), 15);
}

Test(access_log, writer_thread_writes_every_line) {
  scratch_dir();
  const char *path = scratch_path("access.log");
  eddy_access_log_t *log;
  cr_assert_eq(eddy_access_log_open(path, &log), 0);
  for (int i = 0; i < 1000; i++) {
    char l[32];
    int n = snprintf(l, sizeof(l), "line %d\n", i);
    eddy_access_log_write(log, l, (size_t)n);
  }
  cr_assert_eq(eddy_access_log_dropped(log), 0);
  eddy_access_log_close(log);
  char buf[16384];
  int fd = open(path, O_RDONLY);
  ssize_t got = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  cr_assert_gt(got, 0);
  buf[got] = '\0';
  cr_assert(strstr(buf, "line 0\nline 1\n") == buf);
  cr_assert_not_null(strstr(buf, "line 999\n"));
  int lines = 0;
  for (char *p = buf; *p; p++) lines += *p == '\n';
  cr_assert_eq(lines, 1000);
  cr_assert_eq(eddy_access_log_open("/nonexistent/dir/x.log", &log), -ENOENT);
  scratch_remove();
}

/*
 * Half-close after a complete request (issue 16): the answer still
 * arrives. Fails today for a handler that answers later (http-static):
 * on EOF with a response pending, the connection closes instead of
 * finishing it (src/http/conn.c, the coordinator's fix).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/e2e_helpers.h"

TestSuite(hostile_halfclose, .timeout = 30, .fini = e2e_kill_leftover);

#define HELLO "GET / HTTP/1.1\r\nHost: x\r\n\r\n"

/* `printf 'GET /x HTTP/1.1\r\nHost: a\r\n\r\n' | nc -N`: the client sends a
 * complete request and half-closes; the answer must still come, whether
 * the handler answers at once (eddy serve) or later (http-static opens the
 * file on the thread pool). */
static void half_close_gets_answer(const e2e_server_t *s, const char *req,
                                   int status) {
  char out[4096];
  int fd = e2e_connect(s);
  e2e_send(fd, req, strlen(req));
  shutdown(fd, SHUT_WR);
  int st = e2e_read_response(fd, out, sizeof(out), 0);
  cr_assert_eq(st, status, "after a half-close, got %d for %s:\n%s", st, req, out);
  cr_assert_neq(e2e_wait_close(fd, 3000), -1, "left open after the answer");
  close(fd);
}

Test(hostile_halfclose, half_close_after_a_complete_request_is_answered) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  half_close_gets_answer(&s, HELLO, 200);
  half_close_gets_answer(&s, HELLO HELLO, 200);
  e2e_stop(&s);
  char dir[64], path[128];
  snprintf(dir, sizeof(dir), "/tmp/eddy-half-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/index.html", dir);
  FILE *f = fopen(path, "w");
  fputs("<p>hi</p>\n", f);
  fclose(f);
  const char *const args[] = {dir, NULL};
  e2e_start_example(&s, "http-static", args);
  half_close_gets_answer(&s, "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n", 200);
  e2e_stop(&s);
  unlink(path);
  rmdir(dir);
}

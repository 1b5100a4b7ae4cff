/*
 * Connection lifetime end to end (eddy serve): HTTP/1.0 closes unless it
 * asks for keep-alive, an idle keep-alive connection is closed after its
 * timeout, and the connection limit refuses one more while the others work.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/body_helpers.h"
#include "support/e2e_helpers.h"

TestSuite(http_connections, .timeout = 20, .fini = e2e_kill_leftover);

#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"

Test(http_connections, http10_closes_unless_keep_alive) {
  char out[1024];
  e2e_server_t s;
  e2e_start(&s, NULL);
  int fd = e2e_connect(&s);
  e2e_send(fd, "GET / HTTP/1.0\r\n\r\n", 18);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200);
  cr_assert_str_eq(body_of(out), "Hello, World!");
  cr_assert_neq(e2e_wait_close(fd, 2000), -1, "HTTP/1.0 left open");
  close(fd);
  static const char ka[] = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
  fd = e2e_connect(&s);
  for (int i = 0; i < 3; i++) {
    e2e_send(fd, ka, sizeof(ka) - 1);
    cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200, "req %d", i);
    cr_assert(strstr(out, "\r\nConnection: keep-alive\r\n"), "%s", out);
  }
  cr_assert_eq(e2e_wait_close(fd, 200), -1, "keep-alive connection closed");
  close(fd);
  e2e_stop(&s);
}

Test(http_connections, idle_keep_alive_connection_closed_after_timeout) {
  static const char *const extra[] = {"--keep-alive-timeout-ms", "200", NULL};
  char out[1024];
  e2e_server_t s;
  e2e_start(&s, extra);
  int fd = e2e_connect(&s);
  e2e_send(fd, GET("/"), sizeof(GET("/")) - 1);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200);
  long ms = e2e_wait_close(fd, 3000);
  cr_assert(ms >= 150 && ms <= 1000, "closed after %ld ms", ms);
  close(fd);
  e2e_stop(&s);
}

Test(http_connections, sixth_connection_refused_while_five_still_work) {
  static const char *const extra[] = {"--max-connections", "5", NULL};
  char out[1024];
  int fds[5];
  e2e_server_t s;
  e2e_start(&s, extra);
  for (int i = 0; i < 5; i++) { /* an answer proves the accept */
    fds[i] = e2e_connect(&s);
    e2e_send(fds[i], GET("/"), sizeof(GET("/")) - 1);
    cr_assert_eq(e2e_read_response(fds[i], out, sizeof(out), 0), 200);
  }
  int six = e2e_connect(&s);
  e2e_send_some(six, GET("/"), sizeof(GET("/")) - 1);
  long ms = e2e_wait_close(six, 2000);
  cr_assert(ms >= 0 && ms < 1000, "6th connection closed after %ld ms", ms);
  close(six);
  for (int i = 0; i < 5; i++) {
    e2e_send(fds[i], GET("/"), sizeof(GET("/")) - 1);
    cr_assert_eq(e2e_read_response(fds[i], out, sizeof(out), 0), 200, "conn %d", i);
    close(fds[i]);
  }
  e2e_stop(&s);
}

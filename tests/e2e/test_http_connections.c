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

/* An answer 50 ms after the last moves the idle deadline by less than the
 * timer's slack (timeout / 16 = 100 ms): the server leaves its timer where
 * it was and re-arms it when it fires early. The close must still come no
 * sooner than the timeout after the last answer (the timer alone would
 * close it 50 ms early). */
Test(http_connections, idle_timeout_counts_from_the_last_answer) {
  static const char *const extra[] = {"--keep-alive-timeout-ms", "1600",
                                      NULL};
  char out[1024];
  e2e_server_t s;
  e2e_start(&s, extra);
  int fd = e2e_connect(&s);
  e2e_send(fd, GET("/"), sizeof(GET("/")) - 1); /* the first: armed */
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200);
  usleep(50 * 1000);
  e2e_send(fd, GET("/"), sizeof(GET("/")) - 1);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200);
  long ms = e2e_wait_close(fd, 4000);
  cr_assert(ms >= 1597 && ms <= 2300, "closed %ld ms after the last answer",
            ms);
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

/* The server's open descriptors once e2e_start's probe connection has
 * gone (the server closes it when it sees its EOF). */
static int idle_fds(const e2e_server_t *s) {
  usleep(200 * 1000);
  return e2e_fd_count(s->pid);
}

/* The server's open descriptors drop to `want` within `ms`; the count. */
static int fds_settle(const e2e_server_t *s, int want, long ms) {
  long t0 = e2e_now_ms();
  int n = e2e_fd_count(s->pid);
  while (n > want && e2e_now_ms() - t0 < ms) {
    usleep(5000);
    n = e2e_fd_count(s->pid);
  }
  return n;
}

/* A request read whole with nothing after it: the server closes its side
 * at once (nginx's rule), without lingering for the client's FIN. */
Test(http_connections, clean_connection_close_closes_at_once) {
  static const char req[] =
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  char out[1024];
  e2e_server_t s;
  e2e_start(&s, NULL);
  int idle = idle_fds(&s);
  int fd = e2e_connect(&s);
  e2e_send(fd, req, sizeof(req) - 1);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200);
  cr_assert_neq(e2e_wait_close(fd, 2000), -1, "not closed");
  /* our socket stays open and sends no FIN: a lingering server would
   * keep its descriptor for the linger time (2 s) */
  cr_assert_leq(fds_settle(&s, idle, 500), idle, "the server lingered");
  close(fd);
  e2e_stop(&s);
}

/* Bytes after a closing request: the server lingers and drains them, so
 * the kernel does not answer them with a RST that could destroy the
 * response in the client's buffers (RFC 9112 section 9.6). */
Test(http_connections, close_with_bytes_after_it_still_delivers) {
  static const char req[] =
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  static char junk[64 * 1024];
  memset(junk, 'x', sizeof(junk));
  char out[1024];
  e2e_server_t s;
  e2e_start(&s, NULL);
  int idle = idle_fds(&s);
  for (int i = 0; i < 5; i++) {
    int fd = e2e_connect(&s);
    char both[sizeof(req) - 1 + 512];
    memcpy(both, req, sizeof(req) - 1);
    memset(both + sizeof(req) - 1, 'y', 512); /* in the same segment */
    e2e_send(fd, both, sizeof(both));
    e2e_send_some(fd, junk, sizeof(junk));
    cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200, "try %d", i);
    cr_assert_str_eq(body_of(out), "Hello, World!");
    int open_now = fds_settle(&s, idle, 100);
    cr_assert_eq(open_now, idle + 1, "did not linger: %d open, %d idle", open_now, idle);
    close(fd);
  }
  cr_assert_leq(fds_settle(&s, idle, 3000), idle);
  e2e_stop(&s);
}

/*
 * The contrast servers of bench/model (examples/thread-per-connection, in
 * both modes) answer correctly, so that the benchmark measures working
 * servers: the hello on GET /hello and GET / over keep-alive connections,
 * pipelined requests, Connection: close, 404 elsewhere; and the limits the
 * benchmark reports are real: a fixed pool serves no more connections at
 * once than it has threads, and --max-threads refuses connections beyond
 * the cap instead of starting threads.
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "support/e2e_helpers.h"

TestSuite(model_servers, .timeout = 30, .fini = e2e_kill_leftover);

#define EXAMPLE "thread-per-connection"
#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"

/* Sends GET path on fd and asserts the 13-byte hello comes back. */
static void expect_hello(int fd, const char *req) {
  char resp[1024];
  e2e_send(fd, req, strlen(req));
  cr_assert_eq(e2e_read_response(fd, resp, sizeof(resp), 0), 200, "%s", resp);
  cr_assert(strstr(resp, "\r\nContent-Length: 13\r\n"), "%s", resp);
  cr_assert(strstr(resp, "\r\nContent-Type: text/plain\r\n"), "%s", resp);
  cr_assert_str_eq(strstr(resp, "\r\n\r\n") + 4, "Hello, World!");
}

/* The same connection: /hello, /, a 404, two pipelined, then close. */
static void check_keep_alive(const e2e_server_t *s) {
  char resp[1024];
  int fd = e2e_connect(s);
  for (int i = 0; i < 3; i++) {
    expect_hello(fd, GET("/hello"));
    expect_hello(fd, GET("/"));
  }
  e2e_send(fd, GET("/nope"), strlen(GET("/nope")));
  cr_assert_eq(e2e_read_response(fd, resp, sizeof(resp), 0), 404);
  const char two[] = GET("/hello") GET("/");
  e2e_send(fd, two, sizeof(two) - 1);
  cr_assert_eq(e2e_read_response(fd, resp, sizeof(resp), 0), 200);
  cr_assert_eq(e2e_read_response(fd, resp, sizeof(resp), 0), 200);
  expect_hello(fd, "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  cr_assert_geq(e2e_wait_close(fd, 2000), 0, "still open after Connection: close");
  close(fd);
}

/* Three connections open at once, requests taking turns between them. */
static void check_concurrent(const e2e_server_t *s) {
  int fds[3];
  for (int i = 0; i < 3; i++) fds[i] = e2e_connect(s);
  for (int round = 0; round < 3; round++)
    for (int i = 0; i < 3; i++) expect_hello(fds[i], GET("/hello"));
  for (int i = 0; i < 3; i++) close(fds[i]);
}

/* 1 if fd has bytes (or EOF) to read within ms. */
static int readable_within(int fd, int ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, ms) > 0;
}

Test(model_servers, thread_per_connection_answers) {
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  check_keep_alive(&s);
  check_concurrent(&s);
  e2e_stop(&s);
}

Test(model_servers, pool_answers) {
  e2e_server_t s;
  const char *const pool[] = {"--pool", "4", NULL};
  e2e_start_example(&s, EXAMPLE, pool);
  check_keep_alive(&s);
  check_concurrent(&s);
  e2e_stop(&s);
}

/* A keep-alive connection holds the pool's only thread: the next client
 * waits in the accept queue until it leaves. */
Test(model_servers, pool_serves_no_more_connections_than_threads) {
  e2e_server_t s;
  const char *const pool[] = {"--pool", "1", NULL};
  e2e_start_example(&s, EXAMPLE, pool);
  int a = e2e_connect(&s), b = e2e_connect(&s);
  expect_hello(a, GET("/hello"));
  e2e_send(b, GET("/hello"), strlen(GET("/hello")));
  cr_assert_not(readable_within(b, 300), "the second connection was served");
  expect_hello(a, GET("/"));
  close(a);
  cr_assert(readable_within(b, 5000), "not served after the first left");
  char resp[1024];
  cr_assert_eq(e2e_read_response(b, resp, sizeof(resp), 0), 200);
  close(b);
  e2e_stop(&s);
}

/* A connection that got its hello, retried for up to 2 s while the
 * server is refusing: the threads of connections that just closed (the
 * start-up probe's, say) end a moment after the close. */
static int served_connection(const e2e_server_t *s) {
  char resp[1024];
  for (int i = 0; i < 100; i++) {
    int fd = e2e_connect(s);
    e2e_send_some(fd, GET("/hello"), strlen(GET("/hello")));
    if (e2e_read_response(fd, resp, sizeof(resp), 0) == 200) return fd;
    close(fd);
    usleep(20000);
  }
  cr_assert_fail("no connection served in 2 s");
  return -1;
}

/* Beyond --max-threads live connection threads, a new connection is
 * closed unanswered; once one ends, connections are served again. */
Test(model_servers, thread_cap_refuses_beyond_it) {
  e2e_server_t s;
  const char *const cap[] = {"--max-threads", "2", NULL};
  e2e_start_example(&s, EXAMPLE, cap);
  int a = served_connection(&s), b = served_connection(&s);
  expect_hello(a, GET("/hello"));
  char resp[1024];
  int c = e2e_connect(&s);
  e2e_send_some(c, GET("/hello"), strlen(GET("/hello"))); /* may meet a reset */
  cr_assert_eq(e2e_read_response(c, resp, sizeof(resp), 0), -1,
               "a third connection was served: %s", resp);
  close(c);
  close(a);
  close(served_connection(&s)); /* a's thread ends: room for one again */
  close(b);
  e2e_stop(&s);
}

/*
 * Handlers that answer later, end to end (examples/http-async): answers
 * finishing out of order go out in request order, and clients that leave
 * while a handler waits do not hurt the server.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/body_helpers.h"
#include "support/e2e_helpers.h"

TestSuite(http_async, .timeout = 20, .fini = e2e_kill_leftover);

#define EXAMPLE "http-async"
#define GET(path) "GET " path " HTTP/1.1\r\nHost: x\r\n\r\n"

/* Closes a socket with a RST (SO_LINGER 0) instead of a FIN. */
static void reset_close(int fd) {
  struct linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

Test(http_async, slow_then_fast_pipelined_answers_in_request_order) {
  static const char req[] = GET("/delay?ms=200") GET("/delay?ms=1");
  char out[1024];
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  int fd = e2e_connect(&s);
  long t0 = e2e_now_ms();
  e2e_send(fd, req, sizeof(req) - 1);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200);
  long first = e2e_now_ms() - t0;
  cr_assert_str_eq(body_of(out), "200");
  cr_assert_geq(first, 190, "the 200 ms answer came after %ld ms", first);
  cr_assert_eq(e2e_read_response(fd, out, sizeof(out), 0), 200);
  cr_assert_str_eq(body_of(out), "1");
  close(fd);
  e2e_stop(&s);
}

Test(http_async, client_leaving_while_handler_waits_does_not_hurt_server) {
  static const char req[] = GET("/delay?ms=150");
  char out[1024];
  e2e_server_t s;
  e2e_start_example(&s, EXAMPLE, NULL);
  for (int i = 0; i < 4; i++) { /* two leave with FIN, two with RST */
    int fd = e2e_connect(&s);
    e2e_send(fd, req, sizeof(req) - 1);
    usleep(20000); /* the handler is now waiting on its timer */
    if (i % 2) reset_close(fd);
    else close(fd);
  }
  int stream = e2e_connect(&s); /* and one leaves mid-stream */
  e2e_send(stream, GET("/stream?n=100000"), sizeof(GET("/stream?n=100000")) - 1);
  usleep(50000);
  reset_close(stream);
  usleep(250000); /* every timer has fired or been stopped by now */
  cr_assert(e2e_alive(&s));
  cr_assert_eq(e2e_fresh_request(&s, GET("/delay?ms=5"), out, sizeof(out)), 200);
  cr_assert_str_eq(body_of(out), "5");
  e2e_stop(&s); /* exit status 0: no sanitizer report */
}

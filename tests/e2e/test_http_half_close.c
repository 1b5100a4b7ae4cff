/*
 * A client that sends its requests and then shuts down its write side
 * (`printf 'GET ...' | nc -N host port`) still gets every answer to what
 * it sent, in order, and then the close. A body cut short by the
 * half-close is answered 400.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eddy/http.h"
#include "support/e2e_helpers.h"
#include "support/httpsrv_helpers.h"

TestSuite(http_half_close, .timeout = 30, .fini = e2e_kill_leftover);

/* Sends `req`, half-closes, reads everything until the server closes. */
static size_t send_then_half_close(int port, const char *req, char *out,
                                   size_t max) {
  e2e_server_t s = {.pid = 0, .port = port};
  int fd = e2e_connect(&s);
  e2e_send(fd, req, strlen(req));
  shutdown(fd, SHUT_WR);
  int eof = 0;
  size_t n = e2e_recv_all(fd, out, max, &eof);
  cr_assert(eof, "the server did not close after its answers:\n%s", out);
  close(fd);
  return n;
}

/* Answers "<path>" from a timer a few ms later: after the EOF was read. */
typedef struct {
  eddy_timer_t timer;
  eddy_http_res_t *res;
} late_t;

static void free_late(eddy_handle_t *h) { free(h->data); }

static void late_answer(eddy_timer_t *t) {
  late_t *l = t->data;
  eddy_http_request_t *q = eddy_http_res_req(l->res);
  eddy_http_res_end(l->res, q->path.base, q->path.len);
  eddy_close(EDDY_HANDLE(&l->timer), free_late);
}

static void late_handler(eddy_http_server_t *s, eddy_http_request_t *q,
                         eddy_http_res_t *res) {
  late_t *l = calloc(1, sizeof(*l));
  l->res = res;
  eddy_timer_init(s->loop, &l->timer);
  l->timer.data = l;
  /* Later requests finish first: order must still hold. */
  uint64_t ms = q->path.len > 2 ? 60 : 20;
  eddy_timer_start(&l->timer, late_answer, ms, 0);
}

Test(http_half_close, pipelined_async_answers_all_arrive_in_order) {
  tsrv_t t;
  tsrv_init(&t, NULL, late_handler);
  tsrv_run(&t);
  char out[8192];
  send_then_half_close(t.port,
                       "GET /one HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /2 HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /three HTTP/1.1\r\nHost: x\r\n\r\n",
                       out, sizeof(out));
  cr_assert_eq(e2e_count(out, "HTTP/1.1 200 OK"), 3, "%s", out);
  const char *a = strstr(out, "\r\n\r\n/one"), *b = strstr(out, "\r\n\r\n/2"),
             *c = strstr(out, "\r\n\r\n/three");
  cr_assert(a && b && c && a < b && b < c, "out of order:\n%s", out);
  tsrv_stop(&t);
}

static void sync_handler(eddy_http_server_t *s, eddy_http_request_t *q,
                         eddy_http_res_t *res) {
  eddy_http_res_end(res, "ok", 2);
}

Test(http_half_close, body_cut_short_by_the_half_close_is_400) {
  tsrv_t t;
  tsrv_init(&t, NULL, sync_handler);
  tsrv_run(&t);
  char out[8192];
  send_then_half_close(t.port,
                       "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                       "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
                       "\r\nabc",
                       out, sizeof(out));
  const char *ok = strstr(out, "HTTP/1.1 200 OK"),
             *bad = strstr(out, "HTTP/1.1 400 Bad Request");
  cr_assert(ok && bad && ok < bad, "%s", out);
  tsrv_stop(&t);
}

/* The report as it came: http-static answered nothing to `nc -N`. */
Test(http_half_close, static_example_answers_a_half_closed_client) {
  char dir[] = "/tmp/eddy-halfclose-XXXXXX";
  cr_assert(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof(path), "%s/index.html", dir);
  FILE *f = fopen(path, "w");
  fputs("<h1>hi</h1>\n", f);
  fclose(f);
  e2e_server_t srv;
  const char *const args[] = {dir, NULL};
  e2e_start_example(&srv, "http-static", args);
  char out[4096];
  send_then_half_close(srv.port, "GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n",
                       out, sizeof(out));
  cr_assert(!strncmp(out, "HTTP/1.1 200 OK\r\n", 17), "%s", out);
  cr_assert(strstr(out, "\r\n\r\n<h1>hi</h1>\n"), "%s", out);
  e2e_stop(&srv);
  unlink(path);
  rmdir(dir);
}

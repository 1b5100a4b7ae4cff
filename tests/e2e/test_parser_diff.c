/*
 * Differential check of the request parser against Node.js's (llhttp, in
 * Node's default strict mode): every request of the corpus goes on a fresh
 * connection to an in-process eddy server and to `node
 * tests/diff/node_server.js`; both answer 200 to what they accept. eddy
 * must accept what Node accepts and refuse (4xx/5xx) what Node refuses,
 * except for the listed cases where RFC 9112 requires a refusal and Node
 * accepts (docs/RELIABILITY.md lists them): there eddy must refuse, and
 * Node must still accept, so that a change on either side is seen.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eddy/http.h"
#include "support/httpsrv_helpers.h"

#define H "Host: a\r\n"
#define R(s) s, sizeof(s) - 1

typedef struct {
  const char *name;
  const char *req;
  size_t len;
  const char *rfc; /* non-NULL: eddy refuses by RFC 9112, Node accepts */
} diff_case_t;

static const diff_case_t cases[] = {
    /* accepted by both */
    {"plain GET", R("GET / HTTP/1.1\r\n" H "\r\n"), NULL},
    {"HTTP/1.0 without Host", R("GET / HTTP/1.0\r\n\r\n"), NULL},
    {"query and fragment-free target", R("GET /a/b?x=1&y=%20 HTTP/1.1\r\n" H "\r\n"), NULL},
    {"absolute-form", R("GET http://a/x HTTP/1.1\r\n" H "\r\n"), NULL},
    {"OPTIONS *", R("OPTIONS * HTTP/1.1\r\n" H "\r\n"), NULL},
    {"CONNECT authority", R("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n"), NULL},
    {"POST Content-Length", R("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\n\r\nhello"), NULL},
    {"POST chunked", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), NULL},
    {"chunked with extension", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0\r\n\r\n"), NULL},
    {"chunked with trailer", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"), NULL},
    {"chunked size with leading zeros", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n0005\r\nhello\r\n0\r\n\r\n"), NULL},
    {"chunked uppercase hex", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n"), NULL},
    {"Transfer-Encoding: Chunked", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: Chunked\r\n\r\n0\r\n\r\n"), NULL},
    {"header value with tab and obs-text", R("GET / HTTP/1.1\r\n" H "X: a\tb \xc3\xa9\r\n\r\n"), NULL},
    {"empty header value", R("GET / HTTP/1.1\r\n" H "X:\r\n\r\n"), NULL},
    {"many headers", R("GET / HTTP/1.1\r\n" H "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n"), NULL},
    {"Connection: close", R("GET / HTTP/1.1\r\n" H "Connection: close\r\n\r\n"), NULL},
    {"Expect: 100-continue", R("POST / HTTP/1.1\r\n" H "Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi"), NULL},
    {"PATCH method", R("PATCH / HTTP/1.1\r\n" H "Content-Length: 0\r\n\r\n"), NULL},
    {"PURGE method", R("PURGE / HTTP/1.1\r\n" H "\r\n"), NULL},
    {"token chars in header name", R("GET / HTTP/1.1\r\n" H "X-!#$%&'*+.^_`|~: 1\r\n\r\n"), NULL},
    {"Content-Length: 0", R("POST / HTTP/1.1\r\n" H "Content-Length: 0\r\n\r\n"), NULL},
    {"Host with port", R("GET / HTTP/1.1\r\nHost: a:8080\r\n\r\n"), NULL},

    /* refused by both */
    {"missing Host in HTTP/1.1", R("GET / HTTP/1.1\r\n\r\n"), NULL},
    {"lowercase method", R("get / HTTP/1.1\r\n" H "\r\n"), NULL},
    {"unknown version HTTP/3.0", R("GET / HTTP/3.0\r\n" H "\r\n"), NULL},
    {"garbage version", R("GET / FOO/1.1\r\n" H "\r\n"), NULL},
    {"absolute-form without Host", R("GET http://a/ HTTP/1.1\r\n\r\n"), NULL},
    {"bare LF in header line", R("GET / HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n"), NULL},
    {"space in target", R("GET /a b HTTP/1.1\r\n" H "\r\n"), NULL},
    {"control byte in target", R("GET /a\x01 HTTP/1.1\r\n" H "\r\n"), NULL},
    {"space before colon", R("GET / HTTP/1.1\r\n" H "X : 1\r\n\r\n"), NULL},
    {"obs-fold", R("GET / HTTP/1.1\r\n" H "X: 1\r\n 2\r\n\r\n"), NULL},
    {"empty header name", R("GET / HTTP/1.1\r\n" H ": 1\r\n\r\n"), NULL},
    {"NUL in header value", R("GET / HTTP/1.1\r\n" H "X: a\x00b\r\n\r\n"), NULL},
    {"CR in header value", R("GET / HTTP/1.1\r\n" H "X: a\rb\r\n\r\n"), NULL},
    {"bad char in header name", R("GET / HTTP/1.1\r\n" H "X@Y: 1\r\n\r\n"), NULL},
    {"Content-Length and chunked", R("POST / HTTP/1.1\r\n" H "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), NULL},
    {"two different Content-Length", R("POST / HTTP/1.1\r\n" H "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab"), NULL},
    {"Content-Length not a number", R("POST / HTTP/1.1\r\n" H "Content-Length: abc\r\n\r\n"), NULL},
    {"Content-Length negative", R("POST / HTTP/1.1\r\n" H "Content-Length: -1\r\n\r\n"), NULL},
    {"Content-Length plus sign", R("POST / HTTP/1.1\r\n" H "Content-Length: +5\r\n\r\nhello"), NULL},
    {"chunked not last", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked, gzip\r\n\r\n"), NULL},
    {"chunk size not hex", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"), NULL},
    {"chunk size 0x prefix", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"), NULL},
    {"chunk data without CRLF", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n"), NULL},
    {"chunk size overflow", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n"), NULL},
    {"unknown expectation", R("GET / HTTP/1.1\r\n" H "Expect: foo\r\n\r\n"), NULL},
    {"request line only LF", R("GET / HTTP/1.1\n" H "\r\n"), NULL},
    {"header too big", NULL, 0, NULL}, /* filled at run time: 20 KiB */

    /* eddy refuses, Node accepts: RFC 9112 requires the refusal */
    {"two Host fields", R("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
     "RFC 9112 §3.2: a request with more than one Host field MUST get 400"},
    {"two spaces in request line", R("GET  / HTTP/1.1\r\n" H "\r\n"),
     "RFC 9112 §3: the request line's elements are separated by a single SP; "
     "parsing on whitespace is allowed but named a smuggling risk"},
    {"HTTP/2.0 in an HTTP/1 request line", R("GET / HTTP/2.0\r\n" H "\r\n"),
     "RFC 9112 §2.3 / RFC 9110 §6.2: a major version other than 1 is not "
     "HTTP/1.1 framing; eddy answers 505"},
    {"HTTP/1.0 with Transfer-Encoding", R("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
     "RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty "
     "framing; the server MUST close after it, eddy answers 400"},
    {"chunk size of 17 digits with leading zeros", R("POST / HTTP/1.1\r\n" H "Transfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n"),
     "not an RFC rule: eddy bounds a chunk size to 16 hex digits, zeros "
     "included, so a client cannot send zeros forever (issue 16)"},
};

static tsrv_t eddy_srv;
static pid_t node_pid;
static int node_port;

static void ok_handler(eddy_http_server_t *s, eddy_http_request_t *q,
                       eddy_http_res_t *res) {
  eddy_http_res_end(res, "ok", 2);
}

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
    close(fd);
    return -1;
  }
  struct timeval tv = {3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

static void start_node(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof(a);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  getsockname(fd, (struct sockaddr *)&a, &len);
  close(fd);
  node_port = ntohs(a.sin_port);
  cr_assert_eq(access("tests/diff/node_server.js", R_OK), 0,
               "run from the repository root");
  node_pid = fork();
  cr_assert(node_pid >= 0);
  if (node_pid == 0) {
    char port[16];
    snprintf(port, sizeof(port), "%d", node_port);
    execlp("node", "node", "tests/diff/node_server.js", port, (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 500; i++) {
    int c = connect_to(node_port);
    if (c >= 0) return (void)close(c);
    cr_assert_eq(waitpid(node_pid, NULL, WNOHANG), 0,
                 "node did not start (scripts/deps.sh installs nodejs)");
    usleep(20000);
  }
  cr_assert_fail("node did not listen on %d", node_port);
}

static void stop_node(void) {
  kill(node_pid, SIGTERM);
  waitpid(node_pid, NULL, 0);
}

/* The status of the answer to `req` on a fresh connection: 200..599, or
 * 0 if the connection closed (or timed out) without a status line. */
static int status_from(int port, const char *req, size_t n) {
  int fd = connect_to(port);
  cr_assert(fd >= 0);
  send(fd, req, n, MSG_NOSIGNAL);
  char buf[1024];
  size_t got = 0;
  int status = 0;
  const char *at = buf;
  for (;;) { /* the first final status: a 100 Continue may come first */
    buf[got] = '\0';
    while (at && sscanf(at, "HTTP/1.%*d %d", &status) == 1 && status < 200) {
      at = strstr(at, "\r\n\r\n");
      at = at ? at + 4 : NULL;
      status = 0;
    }
    if (status || !at || got == sizeof(buf) - 1) break;
    ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
    if (r <= 0) break;
    got += (size_t)r;
  }
  close(fd);
  return status;
}

static int accepted(int status) { return status >= 200 && status < 300; }

Test(parser_diff, eddy_agrees_with_node_but_where_rfc_9112_is_stricter) {
  char big[20 * 1024 + 64];
  int n = snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n" H "X: ");
  memset(big + n, 'a', 20 * 1024);
  memcpy(big + n + 20 * 1024, "\r\n\r\n", 4);
  start_node();
  tsrv_init(&eddy_srv, NULL, ok_handler);
  tsrv_run(&eddy_srv);
  int bad = 0;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    const diff_case_t *c = &cases[i];
    const char *req = c->req ? c->req : big;
    size_t len = c->req ? c->len : (size_t)n + 20 * 1024 + 4;
    int e = status_from(eddy_srv.port, req, len);
    int d = status_from(node_port, req, len);
    /* eddy always answers with a status; Node may just close (0). */
    int agree = e && accepted(e) == accepted(d);
    if (c->rfc) agree = e && !accepted(e) && accepted(d);
    if (!agree) {
      bad++;
      fprintf(stderr, "parser_diff: %s: eddy %d, node %d%s\n", c->name, e, d,
              c->rfc ? " (listed as an RFC exception)" : "");
    }
  }
  tsrv_stop(&eddy_srv);
  stop_node();
  cr_assert_eq(bad, 0, "%d cases differ (see above)", bad);
}

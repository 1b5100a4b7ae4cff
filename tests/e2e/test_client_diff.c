/*
 * Differential check of the HTTP client's response parsing against
 * Node.js's (llhttp, in Node's default strict mode): every response of
 * the corpus is served raw, byte for byte, by a one-shot loopback server
 * (a thread here for eddy's client, `node tests/diff/node_client.js` for
 * Node's, which runs its own), then the server closes. eddy must accept
 * what Node accepts — with the same status and body — and refuse what
 * Node refuses, except for the listed cases where RFC 9112 requires a
 * refusal and Node accepts (docs/RELIABILITY.md lists them): there eddy
 * must refuse and Node must still accept, so that a change on either
 * side is seen.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "support/client_helpers.h"
#include "support/loop_helpers.h"

#define R(s) s, sizeof(s) - 1
#define OK "HTTP/1.1 200 OK\r\n"
#define CHUNKED "Transfer-Encoding: chunked\r\n"

typedef struct {
  const char *name;
  const char *method;
  const char *resp;
  size_t len;
  const char *rfc; /* non-NULL: an exception, why (see `lenient`) */
  int lenient;     /* with rfc: 0, eddy refuses as RFC 9112 requires and
                      Node accepts; 1, eddy accepts as RFC 9112 allows and
                      Node refuses */
} diff_case_t;

static const diff_case_t cases[] = {
    /* accepted by both, same status and body */
    {"Content-Length", "GET", R(OK "Content-Length: 5\r\n\r\nhello"), NULL, 0},
    {"chunked", "GET", R(OK CHUNKED "\r\n5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n"), NULL, 0},
    {"chunked, extension", "GET", R(OK CHUNKED "\r\n5;a=b\r\nhello\r\n0\r\n\r\n"), NULL, 0},
    {"chunked, quoted extension", "GET", R(OK CHUNKED "\r\n5;a=\"b c\"\r\nhello\r\n0\r\n\r\n"), NULL, 0},
    {"chunked, trailer", "GET", R(OK CHUNKED "\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"), NULL, 0},
    {"chunked, uppercase hex and zeros", "GET", R(OK CHUNKED "\r\n00A\r\n0123456789\r\n0\r\n\r\n"), NULL, 0},
    {"Transfer-Encoding: Chunked", "GET", R(OK "Transfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"), NULL, 0},
    {"body until close", "GET", R(OK "\r\nhello"), NULL, 0},
    {"HTTP/1.0 body until close", "GET", R("HTTP/1.0 200 OK\r\n\r\nhello"), NULL, 0},
    {"Connection: close with length", "GET", R(OK "Connection: close\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"100 Continue first", "GET", R("HTTP/1.1 100 Continue\r\n\r\n" OK "Content-Length: 2\r\n\r\nok"), NULL, 0},
    {"103 Early Hints first", "GET", R("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" OK "Content-Length: 2\r\n\r\nok"), NULL, 0},
    {"two 1xx first", "GET", R("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n" OK "Content-Length: 2\r\n\r\nok"), NULL, 0},
    {"204 without body", "GET", R("HTTP/1.1 204 No Content\r\n\r\n"), NULL, 0},
    {"304 with Content-Length, no body", "GET", R("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n"), NULL, 0},
    {"HEAD with Content-Length", "HEAD", R(OK "Content-Length: 5\r\n\r\n"), NULL, 0},
    {"HEAD with chunked", "HEAD", R(OK CHUNKED "\r\n"), NULL, 0},
    {"empty reason", "GET", R("HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"unknown status 599", "GET", R("HTTP/1.1 599 Whatever\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"status 999", "GET", R("HTTP/1.1 999 X\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"reason with obs-text", "GET", R("HTTP/1.1 200 \xc3\xa9t\xc3\xa9\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"value with tab and obs-text", "GET", R(OK "X: a\tb \xc3\xa9\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"empty value", "GET", R(OK "X:\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"OWS around value", "GET", R(OK "Content-Length:   2  \r\n\r\nok"), NULL, 0},
    {"token chars in name", "GET", R(OK "X-!#$%&'*+.^_`|~: 1\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"Content-Length: 0", "GET", R(OK "Content-Length: 0\r\n\r\n"), NULL, 0},
    {"redirect status not followed", "GET", R("HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},

    /* refused by both */
    {"bare LF line ends", "GET", R("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"), NULL, 0},
    {"bare LF in one header line", "GET", R(OK "X: 1\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"status 99", "GET", R("HTTP/1.1 99 X\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"status 1000", "GET", R("HTTP/1.1 1000 X\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"status not digits", "GET", R("HTTP/1.1 2x0 X\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"lowercase version", "GET", R("http/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"version HTTP/2.0", "GET", R("HTTP/2.0 200 OK\r\nContent-Length: 2\r\n\r\nok"), 
     "RFC 9112 §2.3, RFC 9110 §6.2: a major version other than 1 is not HTTP/1.1 framing", 0},
    {"no status line", "GET", R("Content-Length: 2\r\n\r\nok"), NULL, 0},
    {"two different Content-Length", "GET", R(OK "Content-Length: 2\r\nContent-Length: 3\r\n\r\nok!"), NULL, 0},
    {"Content-Length not a number", "GET", R(OK "Content-Length: abc\r\n\r\nok"), NULL, 0},
    {"Content-Length negative", "GET", R(OK "Content-Length: -1\r\n\r\nok"), NULL, 0},
    {"Content-Length plus sign", "GET", R(OK "Content-Length: +2\r\n\r\nok"), NULL, 0},
    {"Content-Length too big", "GET", R(OK "Content-Length: 99999999999999999999999\r\n\r\nok"), NULL, 0},
    {"Content-Length and chunked", "GET", R(OK "Content-Length: 2\r\n" CHUNKED "\r\n2\r\nok\r\n0\r\n\r\n"), NULL, 0},
    {"chunked then Content-Length", "GET", R(OK CHUNKED "Content-Length: 2\r\n\r\n2\r\nok\r\n0\r\n\r\n"), NULL, 0},
    {"chunk size not hex", "GET", R(OK CHUNKED "\r\nzz\r\nhello\r\n0\r\n\r\n"), NULL, 0},
    {"chunk size 0x prefix", "GET", R(OK CHUNKED "\r\n0x5\r\nhello\r\n0\r\n\r\n"), NULL, 0},
    {"chunk size overflow", "GET", R(OK CHUNKED "\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n"), NULL, 0},
    {"chunk size with space", "GET", R(OK CHUNKED "\r\n5 \r\nhello\r\n0\r\n\r\n"), NULL, 0},
    {"chunk data without CRLF", "GET", R(OK CHUNKED "\r\n5\r\nhelloXX0\r\n\r\n"), NULL, 0},
    {"chunk extension with CTL", "GET", R(OK CHUNKED "\r\n5;a\x01\r\nhello\r\n0\r\n\r\n"), NULL, 0},
    {"chunked without the last chunk", "GET", R(OK CHUNKED "\r\n5\r\nhello\r\n"), NULL, 0},
    {"trailer with a bad name", "GET", R(OK CHUNKED "\r\n2\r\nok\r\n0\r\nX Y: 1\r\n\r\n"), NULL, 0},
    {"body shorter than Content-Length", "GET", R(OK "Content-Length: 10\r\n\r\nhello"), NULL, 0},
    {"NUL in a header value", "GET", R(OK "X: a\0b\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"CTL in a header value", "GET", R(OK "X: a\x01" "b\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"CR in a header value", "GET", R(OK "X: a\rb\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"space before colon", "GET", R(OK "X : 1\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"bad char in a header name", "GET", R(OK "X@Y: 1\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"empty header name", "GET", R(OK ": 1\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"header line without colon", "GET", R(OK "X\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"NUL in the reason", "GET", R("HTTP/1.1 200 O\0K\r\nContent-Length: 2\r\n\r\nok"), 
     "RFC 9112 §4: reason-phrase is HTAB, SP, VCHAR, obs-text; RFC 9110 §5.5: NUL is invalid and dangerous", 0},
    {"head cut by the close", "GET", R(OK "Content-Length: 2\r\n"), NULL, 0},
    {"nothing, then the close", "GET", R(""), NULL, 0},

    /* sorted by the first run: agreement, or an exception below */
    {"obs-fold", "GET", R(OK "X: a\r\n b\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"missing SP after status", "GET", R("HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"two equal Content-Length", "GET", R(OK "Content-Length: 2\r\nContent-Length: 2\r\n\r\nok"), 
     "RFC 9112 §6.3 rule 5, RFC 9110 §8.6: a list of one repeated valid value may be processed as that value", 1},
    {"Content-Length list 2, 2", "GET", R(OK "Content-Length: 2, 2\r\n\r\nok"), 
     "RFC 9112 §6.3 rule 5: a comma-separated list of equal valid values is that value", 1},
    {"Transfer-Encoding gzip (until close)", "GET", R(OK "Transfer-Encoding: gzip\r\n\r\nhello"), NULL, 0},
    {"chunked, gzip", "GET", R(OK "Transfer-Encoding: chunked, gzip\r\n\r\nhello"), NULL, 0},
    {"HTTP/1.0 with chunked", "GET", R("HTTP/1.0 200 OK\r\n" CHUNKED "\r\n2\r\nok\r\n0\r\n\r\n"), 
     "RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message MUST be treated as faulty framing", 0},
    {"204 with Content-Length and body", "GET", R("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello"), 
     "RFC 9112 §6.3: a complete response followed by extra bytes; the client MAY discard them (eddy does, and closes the connection); Node errors", 1},
    {"204 with chunked", "GET", R("HTTP/1.1 204 No Content\r\n" CHUNKED "\r\n0\r\n\r\n"), 
     "RFC 9112 §6.3: a complete response followed by extra bytes; the client MAY discard them (eddy does, and closes the connection); Node errors", 1},
    {"304 with body", "GET", R("HTTP/1.1 304 Not Modified\r\n\r\nhello"), 
     "RFC 9112 §6.3: a complete response followed by extra bytes; the client MAY discard them (eddy does, and closes the connection); Node errors", 1},
    {"HEAD answered with a body", "HEAD", R(OK "Content-Length: 5\r\n\r\nhello"), 
     "RFC 9112 §6.3: a complete response followed by extra bytes; the client MAY discard them (eddy does, and closes the connection); Node errors", 1},
    {"bytes after the body", "GET", R(OK "Content-Length: 2\r\n\r\nokEXTRA"), 
     "RFC 9112 §6.3: a complete response followed by extra bytes; the client MAY discard them (eddy does, and closes the connection); Node errors", 1},
    {"chunk extension without name", "GET", R(OK CHUNKED "\r\n5;\r\nhello\r\n0\r\n\r\n"), NULL, 0},
    {"chunk extension with spaces", "GET", R(OK CHUNKED "\r\n5 ; a=b\r\nhello\r\n0\r\n\r\n"), 
     "RFC 9112 §7.1.1: BWS before ';' is in the chunk-ext grammar, and RFC 9110 §5.6.3 says recipients MUST accept BWS", 1},
    {"trailer with obs-fold", "GET", R(OK CHUNKED "\r\n2\r\nok\r\n0\r\nX: a\r\n b\r\n\r\n"), NULL, 0},
    {"1xx with a body-length", "GET", R("HTTP/1.1 100 Continue\r\nContent-Length: 2\r\n\r\n" OK "Content-Length: 2\r\n\r\nok"), NULL, 0},
    {"101 without upgrade asked", "GET", R("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n"), NULL, 0},
    {"Content-Length with leading zeros", "GET", R(OK "Content-Length: 002\r\n\r\nok"), NULL, 0},
    {"status line with tab", "GET", R("HTTP/1.1\t200 OK\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"DEL in a header value", "GET", R(OK "X: a\x7f" "b\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
    {"HTTP/1.2 status line", "GET", R("HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok"), NULL, 0},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

typedef struct {
  int ok, status; /* ok: a complete response */
  char *body;     /* malloc'd, hex, "-" if empty; or the error's name */
} result_t;

/* ------------------------------------------------ the one-shot server */

typedef struct {
  int fd;
  const diff_case_t *c;
} oneshot_t;

static void *serve_once(void *arg) {
  oneshot_t *s = arg;
  int c = accept(s->fd, NULL, NULL);
  if (c < 0) return NULL;
  struct timeval tv = {3, 0};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  char buf[4096];
  size_t got = 0;
  while (got < sizeof(buf) - 1) { /* the request head */
    ssize_t r = recv(c, buf + got, sizeof(buf) - 1 - got, 0);
    if (r <= 0) break;
    got += (size_t)r;
    buf[got] = '\0';
    if (strstr(buf, "\r\n\r\n")) break;
  }
  /* Everything the client sent is read: the close is a FIN, not a reset
   * that could destroy the answer before the client reads it. */
  send(c, s->c->resp, s->c->len, MSG_NOSIGNAL);
  shutdown(c, SHUT_WR);
  close(c);
  return NULL;
}

static int listen_any(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof(a);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  cr_assert_eq(listen(fd, 4), 0);
  getsockname(fd, (struct sockaddr *)&a, &len);
  *port = ntohs(a.sin_port);
  return fd;
}

static char *hex(const char *p, size_t n) {
  char *h = malloc(2 * n + 2);
  for (size_t i = 0; i < n; i++)
    snprintf(h + 2 * i, 3, "%02x", (unsigned char)p[i]);
  if (!n) memcpy(h, "-", 2);
  return h;
}

/* eddy's client against the one-shot server. */
static result_t eddy_fetch(eddy_loop_t *loop, eddy_client_t *client,
                           const diff_case_t *c) {
  oneshot_t s = {.c = c};
  int port;
  s.fd = listen_any(&port);
  pthread_t t;
  pthread_create(&t, NULL, serve_once, &s);
  char url[64];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
  eddy_client_req_opts_t o;
  rec_t r;
  rec_opts(&o, &r, url);
  o.method = c->method;
  o.buffer_body = 1;
  cr_assert_eq(eddy_client_request(client, &o, NULL), 0);
  run_recs(loop, &r, 1, 8000);
  pthread_join(t, NULL);
  close(s.fd);
  result_t res = {.ok = r.ends == 1, .status = r.status};
  res.body = r.ends ? hex(r.body ? r.body : "", r.body_len)
                    : strdup(eddy_err_name(r.error));
  rec_free(&r);
  return res;
}

/* ------------------------------------------------------- Node's side */

static void node_fetch_all(result_t *out) {
  char dir[] = "/tmp/eddy-clientdiff-XXXXXX", path[64], cmd[160];
  cr_assert(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/cases", dir);
  FILE *f = fopen(path, "w");
  for (size_t i = 0; i < NCASES; i++) {
    char *h = hex(cases[i].resp, cases[i].len);
    fprintf(f, "%s %s\n", cases[i].method, cases[i].len ? h : "");
    free(h);
  }
  fclose(f);
  cr_assert_eq(access("tests/diff/node_client.js", R_OK), 0,
               "run from the repository root");
  snprintf(cmd, sizeof(cmd), "node tests/diff/node_client.js %s", path);
  FILE *p = popen(cmd, "r");
  cr_assert(p, "node (scripts/deps.sh installs nodejs)");
  char line[8192], word[8];
  size_t i;
  int status;
  while (fgets(line, sizeof(line), p)) {
    char *rest = malloc(sizeof(line));
    if (sscanf(line, "%zu %7s", &i, word) != 2 || i >= NCASES) continue;
    if (!strcmp(word, "ok") && sscanf(line, "%*u ok %d %s", &status, rest) == 2)
      out[i] = (result_t){1, status, rest};
    else if (sscanf(line, "%*u err %s", rest) == 1)
      out[i] = (result_t){0, 0, rest};
    else
      free(rest);
  }
  cr_assert_eq(pclose(p), 0, "node failed");
  unlink(path);
  rmdir(dir);
}

static int agree(const diff_case_t *c, const result_t *e, const result_t *n) {
  if (c->rfc && c->lenient) return e->ok && !n->ok;
  if (c->rfc) return !e->ok && n->ok;
  if (e->ok != n->ok) return 0;
  return !e->ok || (e->status == n->status && !strcmp(e->body, n->body));
}

Test(client_diff, eddy_agrees_with_node_but_where_rfc_9112_is_stricter,
     .timeout = 120) {
  static result_t node[NCASES], ours[NCASES];
  node_fetch_all(node);
  eddy_loop_t loop;
  eddy_client_t *client;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_client_create(&loop, NULL, &client), 0);
  int bad = 0;
  for (size_t i = 0; i < NCASES; i++) {
    cr_assert(node[i].body, "no answer from node for case %zu", i);
    ours[i] = eddy_fetch(&loop, client, &cases[i]);
    int same = agree(&cases[i], &ours[i], &node[i]);
    bad += !same;
    if (!same || getenv("EDDY_DIFF_VERBOSE"))
      fprintf(stderr, "client_diff: %s%s: eddy %s %d %.40s, node %s %d %.40s%s\n",
              same ? "" : "DIFFERS ", cases[i].name, ours[i].ok ? "ok" : "err",
              ours[i].status, ours[i].body, node[i].ok ? "ok" : "err",
              node[i].status, node[i].body,
              cases[i].rfc ? " (listed as an RFC exception)" : "");
    free(ours[i].body);
    free(node[i].body);
  }
  close_client(&loop, client);
  close_loop(&loop);
  cr_assert_eq(bad, 0, "%d cases differ (see above)", bad);
}

/*
 * Fuzzes the Cookie parser (eddy_app_parse_cookies) and the Set-Cookie
 * builder (eddy_app_res_set_cookie).
 *
 *   input[0]   flags: Set-Cookie options or none, HttpOnly, Secure, and
 *              where to cut the header for the split check;
 *   input[1]   Max-Age (0: none; high bit: negative);
 *   the rest   a Cookie header value for the parser, and, split at NUL
 *              bytes, name, value, Path, Domain and SameSite for
 *              Set-Cookie.
 *
 * Parser, asserted: every pair's name and value are bytes of the input,
 * in input order (they are copies: found at increasing offsets); a name
 * is not empty and holds no ';', '=', NUL or edge whitespace, a value no
 * ';'; no more pairs than ';'-separated parts; parsing the two sides of a
 * cut at a ';' gives the same pairs as the whole.
 *
 * Set-Cookie, through a real app server in this process (one server for
 * the whole run, on 127.0.0.1:0; each input is one keep-alive request):
 * a name that is not a token, a value with a CTL, space, '"', ',', ';' or
 * '\', or an attribute with a CTL or ';' is -EINVAL; so is a line of 4 KiB
 * or more; anything else is 0 and the client receives exactly the line
 * built here from the RFC 6265 §4.1.1 grammar, one Set-Cookie field per
 * accepted call, in a head with no bare CR or LF.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eddy/app.h"

/* ------------------------------------------------------------- parser */

typedef struct {
  void *blocks[8192];
  int n;
} pool_t;

static void *alloc(void *ctx, size_t size) {
  pool_t *p = ctx;
  if (p->n == 8192) return NULL;
  return p->blocks[p->n++] = malloc(size ? size : 1);
}

static void pool_free(pool_t *p) {
  for (int i = 0; i < p->n; i++) free(p->blocks[i]);
  p->n = 0;
}

static void check_pairs(const char *s, size_t len, const eddy_app_pair_t *p,
                        ssize_t n) {
  size_t parts = 1, at = 0;
  for (size_t i = 0; i < len; i++) parts += s[i] == ';';
  if (n < 0 || (size_t)n > parts) abort();
  for (ssize_t i = 0; i < n; i++) {
    const char *name = p[i].name, *value = p[i].value;
    size_t nl = strlen(name), vl = strlen(value);
    if (!nl || strpbrk(name, ";=") || strchr(value, ';')) abort();
    if (strchr(" \t", name[0]) || strchr(" \t", name[nl - 1])) abort();
    const char *f = memmem(s + at, len - at, name, nl);
    if (!f) abort(); /* not a slice of the input */
    at = (size_t)(f - s) + nl;
    f = memmem(s + at, len - at, value, vl);
    if (!f) abort();
    at = (size_t)(f - s) + vl;
  }
}

static int same_pairs(const eddy_app_pair_t *a, const eddy_app_pair_t *b,
                      ssize_t n) {
  for (ssize_t i = 0; i < n; i++)
    if (strcmp(a[i].name, b[i].name) || strcmp(a[i].value, b[i].value))
      return 0;
  return 1;
}

/* Whole, and cut at the cut-th ';' (the two sides parsed apart). */
static void fuzz_parser(const char *s, size_t len, unsigned cut) {
  pool_t *pool = calloc(1, sizeof(*pool));
  eddy_app_pair_t *whole, *l, *r;
  ssize_t n = eddy_app_parse_cookies(s, len, alloc, pool, &whole);
  check_pairs(s, len, whole, n);
  const char *semi = s;
  for (unsigned i = 0; semi && i <= cut; i++) {
    semi = memchr(i ? semi + 1 : s, ';', (size_t)(s + len - (i ? semi + 1 : s)));
  }
  if (semi) {
    size_t ll = (size_t)(semi - s);
    ssize_t nl = eddy_app_parse_cookies(s, ll, alloc, pool, &l);
    ssize_t nr = eddy_app_parse_cookies(semi + 1, len - ll - 1, alloc, pool, &r);
    if (nl + nr != n || !same_pairs(whole, l, nl) || !same_pairs(whole + nl, r, nr))
      abort();
  }
  pool_free(pool);
  free(pool);
}

/* ---------------------------------------------------- Set-Cookie model */

typedef struct {
  const char *name, *value;
  eddy_app_cookie_opts_t o;
  int use_opts;
} call_t;

static int tchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* RFC 6265 §4.1.1 cookie-octet: no CTL, whitespace, DQUOTE, ',', ';', '\'. */
static int octet(unsigned char c) {
  return c > 0x20 && c < 0x7f && !strchr("\",;\\", c);
}

static int attr(const char *v) {
  for (; v && *v; v++)
    if ((unsigned char)*v < 0x20 || *v == 0x7f || *v == ';') return 0;
  return 1;
}

/* The line the call must add, or NULL when it must be refused. */
static char *expected_line(const call_t *c) {
  if (!*c->name) return NULL;
  for (const char *p = c->name; *p; p++)
    if (!tchar((unsigned char)*p)) return NULL;
  for (const char *p = c->value; *p; p++)
    if (!octet((unsigned char)*p)) return NULL;
  const eddy_app_cookie_opts_t *o = c->use_opts ? &c->o : NULL;
  if (o && (!attr(o->path) || !attr(o->domain) || !attr(o->same_site)))
    return NULL;
  size_t cap = 3 * 4096 + 200, n;
  char *l = malloc(cap);
  n = (size_t)snprintf(l, cap, "%s=%s", c->name, c->value);
  if (o && o->path) n += (size_t)snprintf(l + n, cap - n, "; Path=%s", o->path);
  if (o && o->domain) n += (size_t)snprintf(l + n, cap - n, "; Domain=%s", o->domain);
  if (o && o->max_age)
    n += (size_t)snprintf(l + n, cap - n, "; Max-Age=%" PRId64,
                          o->max_age < 0 ? 0 : o->max_age);
  if (o && o->http_only) n += (size_t)snprintf(l + n, cap - n, "; HttpOnly");
  if (o && o->secure) n += (size_t)snprintf(l + n, cap - n, "; Secure");
  if (o && o->same_site)
    n += (size_t)snprintf(l + n, cap - n, "; SameSite=%s", o->same_site);
  if (n >= 4096) return free(l), NULL; /* the builder's line limit */
  return l;
}

/* Bytes the brief names: never in an accepted name or value. */
static int splitting(const char *s) {
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f || strchr(" ;,", *s)) return 1;
  return 0;
}

/* -------------------------------------------- the server (one per run) */

static struct {
  eddy_loop_t loop;
  eddy_http_server_t server;
  eddy_timer_t tick;
  eddy_app_t *app;
  int port, fd;
  call_t calls[2];
  int rc[2], answered;
  char in[65536];
  size_t in_len;
} S;

static void set_cookies(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  for (int i = 0; i < 2; i++)
    S.rc[i] = eddy_app_res_set_cookie(res, S.calls[i].name, S.calls[i].value,
                                      S.calls[i].use_opts ? &S.calls[i].o : NULL);
  S.answered = 1;
  eddy_app_res_end(res, "ok", 2);
}

static void on_tick(eddy_timer_t *t) {}

static void server_start(void) {
  if (eddy_loop_init(&S.loop) != 0) abort();
  S.app = eddy_app_create();
  if (!S.app || eddy_app_get(S.app, "/", set_cookies, NULL) != 0) abort();
  if (eddy_http_server_init(&S.loop, &S.server, NULL, eddy_app_http_handler))
    abort();
  S.server.data = S.app;
  if (eddy_http_server_listen(&S.server, "127.0.0.1", 0) != 0) abort();
  S.port = eddy_http_server_port(&S.server);
  eddy_timer_init(&S.loop, &S.tick);
  eddy_timer_start(&S.tick, on_tick, 1, 1);
  S.fd = -1;
}

static void client_connect(void) {
  S.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(S.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)S.port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (S.fd < 0) abort();
  fcntl(S.fd, F_SETFL, O_NONBLOCK);
  if (connect(S.fd, (struct sockaddr *)&a, sizeof(a)) != 0 && errno != EINPROGRESS)
    abort();
}

/* The whole response (head and its 2-byte body) is in S.in. */
static int complete(void) {
  const char *e = memmem(S.in, S.in_len, "\r\n\r\n", 4);
  return e && S.in_len == (size_t)(e - S.in) + 4 + 2;
}

/* One request; runs the loop until its response is in (bounded). */
static void exchange(void) {
  static const char req[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  if (S.fd < 0) client_connect();
  S.in_len = 0, S.answered = 0;
  int sent = 0;
  for (int i = 0; i < 20000 && !complete(); i++) {
    eddy_run(&S.loop, i < 100 ? EDDY_RUN_NOWAIT : EDDY_RUN_ONCE);
    if (!sent) sent = send(S.fd, req, sizeof(req) - 1, MSG_NOSIGNAL) > 0;
    ssize_t r = recv(S.fd, S.in + S.in_len, sizeof(S.in) - S.in_len, 0);
    if (r > 0) S.in_len += (size_t)r;
    if (r == 0 && S.in_len) abort(); /* closed in the middle of an answer */
    if (r == 0) { /* an idle keep-alive connection timed out: again */
      close(S.fd);
      client_connect();
      sent = 0;
    }
  }
  if (!complete()) abort();
}

/* Every Set-Cookie line of the head, in order, compared to want[]. */
static void check_head(char *const want[2]) {
  size_t head = (size_t)((char *)memmem(S.in, S.in_len, "\r\n\r\n", 4) - S.in) + 2;
  for (size_t i = 0; i < head; i++)
    if ((S.in[i] == '\n') != (i > 0 && S.in[i - 1] == '\r')) abort();
  int w = 0;
  while (w < 2 && !want[w]) w++;
  for (const char *p = S.in; p < S.in + head;) {
    const char *eol = memmem(p, (size_t)(S.in + head - p), "\r\n", 2);
    size_t n = (size_t)(eol - p);
    if (n >= 12 && !memcmp(p, "Set-Cookie: ", 12)) {
      if (w == 2 || n - 12 != strlen(want[w]) || memcmp(p + 12, want[w], n - 12))
        abort(); /* not the line built from the grammar */
      for (w++; w < 2 && !want[w]; w++) {
      }
    }
    p = eol + 2;
  }
  if (w != 2) abort(); /* a line missing */
}

/* Name, value, Path, Domain, SameSite: NUL-terminated fields of s (its
 * last byte is a NUL). */
static int split_fields(const char *s, size_t len, const char *f[5]) {
  int n = 0;
  for (const char *p = s; n < 5 && p < s + len; n++) {
    f[n] = p;
    p = (const char *)memchr(p, '\0', (size_t)(s + len - p)) + 1;
  }
  return n;
}

static void fuzz_set_cookie(const uint8_t *d, const char *s, size_t len) {
  const char *f[5] = {0};
  int n = split_fields(s, len, f);
  if (n < 2) return;
  eddy_app_cookie_opts_t o = {
      .path = n > 2 ? f[2] : NULL, .domain = n > 3 ? f[3] : NULL,
      .same_site = n > 4 ? f[4] : NULL, .http_only = d[0] & 2,
      .secure = d[0] & 4,
      .max_age = d[1] & 0x80 ? -1 : (int64_t)d[1] * 1000003};
  S.calls[0] = (call_t){f[0], f[1], o, d[0] & 1};
  S.calls[1] = (call_t){f[1], f[0], o, 0};
  if (!S.port) server_start();
  exchange();
  char *want[2];
  for (int i = 0; i < 2; i++) {
    want[i] = expected_line(&S.calls[i]);
    if (S.rc[i] != (want[i] ? 0 : -EINVAL)) abort();
    if (!S.rc[i] && (splitting(S.calls[i].name) || splitting(S.calls[i].value)))
      abort();
  }
  check_head(want);
  free(want[0]), free(want[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2 || size > 8192) return 0;
  const char *s = (const char *)data + 2;
  size_t len = size - 2;
  fuzz_parser(s, len, data[0] >> 3);
  /* The fields must be C strings: copy them with a final NUL. */
  char *copy = malloc(len + 1);
  memcpy(copy, s, len);
  copy[len] = '\0';
  if (len) fuzz_set_cookie(data, copy, len + 1);
  free(copy);
  return 0;
}

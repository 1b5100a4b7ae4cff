/*
 * Fuzzes the HTTP response writer through the public server API: an
 * eddy_http_server on 127.0.0.1:0 in this process and one raw client
 * socket that pipelines up to eight requests at once. The input is a
 * script:
 *
 *   input[0]      options: a Server name, which requests are HTTP/1.0;
 *   input[1]      the number of requests (1..8); input[2..9] their
 *                 methods (GET, HEAD, POST with a body, HTTP/1.0 with or
 *                 without keep-alive);
 *   then ops      one byte (kind, and the request it acts on) and its
 *                 arguments: status, set / append / remove a header
 *                 (names and values from a table or raw input bytes: CR,
 *                 LF, CTL, spaces, empty), write, end, run the loop,
 *                 huge header names and values, a response with its own
 *                 Content-Length.
 *
 * The handlers keep every response and the ops drive them in any order,
 * so later responses finish first and wait behind earlier ones (held
 * output). Every response not ended by the script is ended at the end.
 *
 * Asserted: each call returns what http.h promises for it (0, or -EINVAL
 * for a bad status, a name that is not a token, a value with CR/LF/CTL,
 * anything after the head was written; -ECANCELED once the client is
 * gone); the bytes the client receives are, parsed by the strict checker
 * below (not eddy's parser), well-framed HTTP/1.1 responses in request
 * order: the status line, header fields with no CR/LF injection, exactly
 * the fields the script set (set / append / remove semantics), one valid
 * framing (Content-Length equal to the body, or valid terminated chunked,
 * or the close for HTTP/1.0), no body for HEAD, 204 and 304, no
 * Content-Length or Transfer-Encoding on a 204, the body bytes written in
 * their order, Connection: close exactly when the response closes, and
 * nothing after it. No crash, no leak (ASan/LSan), the loop closes with
 * no handle left.
 *
 * Framing fields set by the script (http.h): Transfer-Encoding is refused
 * (-EINVAL); a Content-Length must be 1..18 digits and single (-EINVAL),
 * and the body is held to it: a write or end past it is -EMSGSIZE and
 * sends nothing of it, an end short of it cuts the response, which is
 * the last on the connection (-EMSGSIZE), HEAD and 304 carry it with no
 * body, a 204 never. Both are on by default (they found the desync before
 * it was fixed); EDDY_FUZZ_USER_CL=0 / EDDY_FUZZ_USER_TE=0 keep the
 * script off those fields.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eddy/http.h"

#define NREQ 8
#define MAXHDR 48
#define INCAP (8u << 20)

typedef struct {
  char *name, *value;
} hdr_t;

enum { M_GET, M_HEAD, M_POST, M_GET10, M_GET10_KA, M_KINDS };

typedef struct {
  eddy_http_res_t *res; /* NULL until dispatched, and after the end */
  int method, dispatched, ended, aborted, head_sent;
  int status, close_wish, user_cl, writes;
  uint64_t cl;     /* the script's Content-Length (user_cl) */
  int cut;         /* ended short of it: the last on the connection */
  int cut_head;    /* ...and its head went with the end (Connection: close) */
  int64_t end_len; /* the length end() gave when it wrote the head */
  hdr_t hdrs[MAXHDR];
  int nhdrs;
  char *body;
  size_t body_len, body_cap;
} job_t;

static struct {
  eddy_loop_t loop;
  eddy_http_server_t server;
  eddy_timer_t tick;
  job_t jobs[NREQ];
  int nreq, port, fd, eof, activity, server_name;
  size_t in_len, budget; /* bytes received; bytes the script may add */
} F;

static char in_buf[INCAP]; /* the bytes the client received */

static void fail(const char *what, int k) {
  if (getenv("EDDY_FUZZ_TRACE")) /* what the client got */
    fprintf(stderr, "%.*s\n", (int)(F.in_len < 8192 ? F.in_len : 8192), in_buf);
  fprintf(stderr, "fuzz_response: response %d: %s\n", k, what);
  abort();
}

/* A switch: on unless set to "0". */
static int env_on(const char *name) {
  const char *v = getenv(name);
  return !v || v[0] != '0';
}

/* ------------------------------------------------------------ the model */

static int is_tchar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
         (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_vbyte(unsigned char c) { /* HTAB, SP, VCHAR, obs-text */
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int valid_name(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (!is_tchar((unsigned char)*s)) return 0;
  return 1;
}

static int valid_value(const char *s) {
  for (; *s; s++)
    if (!is_vbyte((unsigned char)*s)) return 0;
  return 1;
}

static int no_body_status(int s) { return s < 200 || s == 204 || s == 304; }

/* A Content-Length the server takes from a handler: 1..18 digits. */
static int valid_cl(const char *s, uint64_t *v) {
  size_t n = strlen(s);
  if (n == 0 || n > 18) return 0;
  *v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
    *v = *v * 10 + (uint64_t)(s[i] - '0');
  }
  return 1;
}

/* Body bytes go out for this response (not HEAD, 1xx, 204, 304). */
static int sends_body(const job_t *j) {
  return j->method != M_HEAD && !no_body_status(j->status);
}

/* What a res call must return before it does anything: -ECANCELED once
 * the client is gone, -EINVAL after the head. */
static int gate(const job_t *j) {
  if (j->aborted) return -ECANCELED;
  return j->head_sent ? -EINVAL : 0;
}

static void model_remove(job_t *j, const char *name) {
  int w = 0;
  if (strcasecmp(name, "content-length") == 0) j->user_cl = 0;
  for (int i = 0; i < j->nhdrs; i++) {
    if (strcasecmp(j->hdrs[i].name, name) == 0) {
      free(j->hdrs[i].name), free(j->hdrs[i].value);
      continue;
    }
    j->hdrs[w++] = j->hdrs[i];
  }
  j->nhdrs = w;
}

/* The result append must give, and the model after it. */
static int model_append(job_t *j, const char *name, const char *value) {
  int g = gate(j);
  if (g) return g;
  if (!valid_name(name) || !valid_value(value)) return -EINVAL;
  if (strcasecmp(name, "transfer-encoding") == 0) return -EINVAL;
  if (strcasecmp(name, "connection") == 0) { /* the server's own field */
    if (strcasecmp(value, "close") == 0) j->close_wish = 1;
    return 0;
  }
  if (strcasecmp(name, "content-length") == 0) {
    uint64_t v;
    if (j->user_cl || !valid_cl(value, &v)) return -EINVAL;
    j->user_cl = 1, j->cl = v;
  }
  j->hdrs[j->nhdrs].name = strdup(name);
  j->hdrs[j->nhdrs++].value = strdup(value);
  return 0;
}

static void body_add(job_t *j, const char *p, size_t n) {
  if (!n) return;
  if (j->body_len + n > j->body_cap) {
    j->body_cap = (j->body_len + n) * 2;
    j->body = realloc(j->body, j->body_cap);
    if (!j->body) abort();
  }
  memcpy(j->body + j->body_len, p, n);
  j->body_len += n;
}

static void job_free(job_t *j) {
  for (int i = 0; i < j->nhdrs; i++) free(j->hdrs[i].name), free(j->hdrs[i].value);
  free(j->body);
}

/* ---------------------------------------------------------- res calls */

static void expect(int got, int want, const char *call, int k) {
  if (got == want || (want == 0 && got == 1 && !strcmp(call, "write"))) return;
  fprintf(stderr, "fuzz_response: response %d: %s returned %d, want %d\n", k,
          call, got, want);
  abort();
}

static void do_status(job_t *j, int k, int v) {
  int want = gate(j);
  if (!want && (v < 200 || v > 999)) want = -EINVAL; /* 1xx: interim */
  expect(eddy_http_res_status(j->res, v), want, "status", k);
  if (!want) j->status = v;
}

static void do_header(job_t *j, int k, int kind, const char *n, const char *v) {
  if (kind == 3) { /* remove */
    int want = gate(j);
    expect(eddy_http_res_remove_header(j->res, n), want, "remove", k);
    if (!want) model_remove(j, n);
    return;
  }
  if (j->nhdrs == MAXHDR) return;
  int want;
  if (kind == 1) { /* set: all or nothing */
    uint64_t cl;
    want = gate(j);
    if (!want && (!valid_name(n) || !valid_value(v))) want = -EINVAL;
    if (!want && !strcasecmp(n, "transfer-encoding")) want = -EINVAL;
    if (!want && !strcasecmp(n, "content-length") && !valid_cl(v, &cl))
      want = -EINVAL;
    if (!want) model_remove(j, n), model_append(j, n, v);
    expect(eddy_http_res_set_header(j->res, n, v), want, "set", k);
  } else {
    want = model_append(j, n, v);
    expect(eddy_http_res_append_header(j->res, n, v), want, "append", k);
  }
}

/* Body bytes of response k at offset o: a pattern that shows a byte out
 * of place or in another response. */
static void pattern(int k, size_t off, char *p, size_t n) {
  for (size_t i = 0; i < n; i++) p[i] = (char)('a' + (k * 7 + off + i) % 26);
}

static void do_write(job_t *j, int k, size_t n) {
  static char buf[65536];
  pattern(k, j->body_len, buf, n);
  int want = j->aborted ? -ECANCELED : 0;
  if (!want && j->user_cl && n > j->cl - j->body_len) want = -EMSGSIZE;
  expect(eddy_http_res_write(j->res, buf, n), want, "write", k);
  if (want) return;
  j->head_sent = 1, j->writes++;
  body_add(j, buf, n);
}

/* What end(n) must return against the script's Content-Length; the
 * bytes it sends in *n. */
static int end_length(job_t *j, size_t *n) {
  int want = 0;
  if (j->aborted || !j->user_cl) return j->aborted ? -ECANCELED : 0;
  if (*n > j->cl - j->body_len) *n = 0, want = -EMSGSIZE;
  if (j->body_len + *n < j->cl && sends_body(j)) {
    j->cut = 1, j->cut_head = !j->head_sent;
    want = -EMSGSIZE;
  }
  return want;
}

static void do_end(job_t *j, int k, size_t n) {
  static char buf[65536];
  pattern(k, j->body_len, buf, n);
  size_t sent = n;
  int want = end_length(j, &sent);
  eddy_http_res_t *res = j->res;
  j->res = NULL, j->ended = 1; /* released by the call */
  if (!j->head_sent) j->end_len = (int64_t)sent;
  j->head_sent = 1;
  body_add(j, buf, sent);
  expect(eddy_http_res_end(res, buf, n), want, "end", k);
}

/* ------------------------------------------------------ server, client */

static void on_res_close(eddy_http_res_t *res) {
  job_t *j = *eddy_http_res_data(res);
  j->aborted = 1;
}

static void on_drain(eddy_http_res_t *res) { F.activity = 1; }

static void handler(eddy_http_server_t *s, eddy_http_request_t *req,
                    eddy_http_res_t *res) {
  F.activity = 1;
  int k = req->path.len == 2 ? req->path.base[1] - '0' : -1;
  if (k < 0 || k >= F.nreq || F.jobs[k].dispatched) fail("unexpected request", k);
  job_t *j = &F.jobs[k];
  j->res = res, j->dispatched = 1, j->status = 200, j->end_len = -1;
  *eddy_http_res_data(res) = j;
  eddy_http_res_on_close(res, on_res_close);
  eddy_http_res_on_drain(res, on_drain);
}

static void client_read(void) {
  while (!F.eof) {
    if (F.in_len + 65536 > INCAP) fail("more output than the script made", -1);
    ssize_t n = recv(F.fd, in_buf + F.in_len, 65536, 0);
    if (n > 0) {
      F.in_len += (size_t)n, F.activity = 1;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0 || errno != EAGAIN) F.eof = 1, F.activity = 1;
    return;
  }
}

static void client_open(const uint8_t *methods, int half_close) {
  static const char *const fmt[M_KINDS] = {
      "GET /%d HTTP/1.1\r\nHost: h\r\n\r\n",
      "HEAD /%d HTTP/1.1\r\nHost: h\r\n\r\n",
      "POST /%d HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc",
      "GET /%d HTTP/1.0\r\n\r\n",
      "GET /%d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"};
  char out[NREQ * 80];
  size_t len = 0;
  for (int k = 0; k < F.nreq; k++) {
    F.jobs[k].method = methods[k] % M_KINDS;
    len += (size_t)snprintf(out + len, sizeof(out) - len, fmt[F.jobs[k].method], k);
  }
  F.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(F.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F.port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (F.fd < 0 || connect(F.fd, (struct sockaddr *)&a, sizeof(a)) != 0) abort();
  if (send(F.fd, out, len, MSG_NOSIGNAL) != (ssize_t)len) abort();
  if (half_close && shutdown(F.fd, SHUT_WR) != 0) abort();
  fcntl(F.fd, F_SETFL, fcntl(F.fd, F_GETFL) | O_NONBLOCK);
}

/* ---------------------------------------------------- the strict checker */

typedef struct {
  const char *name, *value;
  size_t nlen, vlen;
} field_t;

typedef struct {
  int status, nfields;
  field_t f[MAXHDR + 8];
} head_t;

/* A CRLF-terminated line at *pos: its length, -1 if the bytes end first.
 * A CR or LF that is not part of the CRLF ends the run. */
static long line_at(size_t pos, int k) {
  for (size_t i = pos; i < F.in_len; i++) {
    if (in_buf[i] == '\n') fail("bare LF", k);
    if (in_buf[i] != '\r') continue;
    if (i + 1 == F.in_len) return -1;
    if (in_buf[i + 1] != '\n') fail("bare CR", k);
    return (long)(i - pos);
  }
  return -1;
}

static void parse_status(const char *s, long n, head_t *h, int k) {
  if (n < 13 || memcmp(s, "HTTP/1.1 ", 9) || s[12] != ' ')
    fail("bad status line", k);
  for (int i = 9; i < 12; i++)
    if (s[i] < '0' || s[i] > '9') fail("bad status code", k);
  for (long i = 13; i < n; i++)
    if (!is_vbyte((unsigned char)s[i])) fail("bad reason byte", k);
  h->status = atoi(s + 9);
}

static void parse_field(const char *s, long n, head_t *h, int k) {
  const char *colon = memchr(s, ':', (size_t)n);
  if (!colon || colon == s) fail("field without a name", k);
  for (const char *p = s; p < colon; p++)
    if (!is_tchar((unsigned char)*p)) fail("bad byte in a field name", k);
  const char *v = colon + 1, *e = s + n;
  while (v < e && (*v == ' ' || *v == '\t')) v++;
  while (e > v && (e[-1] == ' ' || e[-1] == '\t')) e--;
  for (const char *p = v; p < e; p++)
    if (!is_vbyte((unsigned char)*p)) fail("bad byte in a field value", k);
  if (h->nfields == MAXHDR + 8) fail("too many fields", k);
  field_t *f = &h->f[h->nfields++];
  f->name = s, f->nlen = (size_t)(colon - s), f->value = v, f->vlen = (size_t)(e - v);
}

/* The head at *pos; 0, or -1 if it is not all there. */
static int parse_head(size_t *pos, head_t *h, int k) {
  long n = line_at(*pos, k);
  if (n < 0) return -1;
  parse_status(in_buf + *pos, n, h, k);
  *pos += (size_t)n + 2;
  h->nfields = 0;
  while ((n = line_at(*pos, k)) > 0) {
    parse_field(in_buf + *pos, n, h, k);
    *pos += (size_t)n + 2;
  }
  if (n < 0) return -1;
  *pos += 2;
  return 0;
}

static int is(const field_t *f, const char *name) {
  return f->nlen == strlen(name) && strncasecmp(f->name, name, f->nlen) == 0;
}

static int value_is(const field_t *f, const char *v) {
  return f->vlen == strlen(v) && strncasecmp(f->value, v, f->vlen) == 0;
}

/* A chunked body at *pos into out (the model's size at most); 0, -1 if
 * not all there. Sizes are hex without extensions; no trailer. */
static int parse_chunked(size_t *pos, char *out, size_t *olen, size_t cap,
                         int k) {
  for (;;) {
    long n = line_at(*pos, k);
    if (n < 0) return -1;
    if (n == 0 || n > 16) fail("bad chunk size line", k);
    uint64_t size = 0;
    for (long i = 0; i < n; i++) {
      char c = in_buf[*pos + (size_t)i];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) fail("bad chunk size", k);
      size = size * 16 + (uint64_t)d;
    }
    *pos += (size_t)n + 2;
    if (size == 0) {
      if (line_at(*pos, k) < 0) return -1;
      if (line_at(*pos, k) != 0) fail("trailer after the last chunk", k);
      return *pos += 2, 0;
    }
    if (size > cap - *olen) fail("more body than written", k);
    if (F.in_len - *pos < size + 2) return -1;
    memcpy(out + *olen, in_buf + *pos, size);
    *olen += size, *pos += size;
    if (memcmp(in_buf + *pos, "\r\n", 2)) fail("chunk data not followed by CRLF", k);
    *pos += 2;
  }
}

typedef struct {
  int ncl, nte, nconn, close, keep_alive, date, server;
  uint64_t cl;
} framing_t;

static int framing_field(const field_t *f, framing_t *fr, int k) {
  if (is(f, "content-length")) {
    if (!f->vlen || f->vlen > 18) fail("bad Content-Length", k);
    fr->cl = 0;
    for (size_t i = 0; i < f->vlen; i++) {
      if (f->value[i] < '0' || f->value[i] > '9') fail("bad Content-Length", k);
      fr->cl = fr->cl * 10 + (uint64_t)(f->value[i] - '0');
    }
    return ++fr->ncl;
  }
  if (is(f, "transfer-encoding")) {
    if (!value_is(f, "chunked")) fail("Transfer-Encoding other than chunked", k);
    return ++fr->nte;
  }
  if (!is(f, "connection")) return 0;
  fr->close += value_is(f, "close");
  fr->keep_alive += value_is(f, "keep-alive");
  if (fr->close + fr->keep_alive != ++fr->nconn) fail("bad Connection", k);
  return 1;
}

/* The server's own Date and Server, where the handler set none. */
static int own_field(const field_t *f, const job_t *j, framing_t *fr, int k) {
  int user_date = 0, user_server = 0;
  for (int i = 0; i < j->nhdrs; i++) {
    user_date += strcasecmp(j->hdrs[i].name, "date") == 0;
    user_server += strcasecmp(j->hdrs[i].name, "server") == 0;
  }
  if (is(f, "date") && !user_date && !fr->date) {
    if (f->vlen != 29 || memcmp(f->value + 26, "GMT", 3)) fail("bad Date", k);
    return fr->date = 1;
  }
  if (is(f, "server") && F.server_name && !user_server && !fr->server) {
    if (!value_is(f, "fuzz-srv")) fail("bad Server", k);
    return fr->server = 1;
  }
  return 0;
}

static int framing_name(const char *n) {
  return !strcasecmp(n, "content-length") || !strcasecmp(n, "transfer-encoding");
}

static int model_next(const job_t *j, int m) {
  while (m < j->nhdrs && framing_name(j->hdrs[m].name)) m++;
  return m;
}

/* The fields are the server's (Date, Server, framing, Connection) and
 * exactly the model's other fields, in order, values without OWS. */
static void check_fields(const head_t *h, const job_t *j, framing_t *fr, int k) {
  int m = 0, user_date = 0;
  for (int i = 0; i < h->nfields; i++) {
    const field_t *f = &h->f[i];
    if (framing_field(f, fr, k) || own_field(f, j, fr, k)) continue;
    m = model_next(j, m);
    if (m == j->nhdrs) fail("a field the handler did not set", k);
    const char *v = j->hdrs[m].value, *e = v + strlen(v);
    while (*v == ' ' || *v == '\t') v++;
    while (e > v && (e[-1] == ' ' || e[-1] == '\t')) e--;
    if (f->nlen != strlen(j->hdrs[m].name) || memcmp(f->name, j->hdrs[m].name, f->nlen) ||
        f->vlen != (size_t)(e - v) || memcmp(f->value, v, f->vlen))
      fail("a field differs from the one set", k);
    m++;
  }
  if (model_next(j, m) != j->nhdrs) fail("a field the handler set is missing", k);
  for (int i = 0; i < j->nhdrs; i++) user_date += !strcasecmp(j->hdrs[i].name, "date");
  if (!user_date && !fr->date) fail("no Date", k);
}

/* Framing and Connection as the writer must choose them; 1 if the
 * response closes the connection. */
static int check_framing(const head_t *h, const job_t *j, const framing_t *fr, int k) {
  int minor = j->method == M_GET10 || j->method == M_GET10_KA ? 0 : 1;
  int nbs = no_body_status(h->status);
  if (h->status != j->status) fail("not the status set", k);
  /* A 1xx is interim (RFC 9110 §15.2): the client would wait for another
   * head and take the next response for this request's. */
  if (h->status < 200) fail("1xx as the final response", k);
  int want_te = !j->user_cl && !nbs && j->writes && minor == 1;
  /* The script's Content-Length goes as given but on a 204 (§8.6). */
  int want_cl = j->user_cl ? h->status != 204 : !nbs && !j->writes;
  int delim = !j->user_cl && !nbs && j->writes && minor == 0;
  if (fr->ncl && fr->nte) fail("Content-Length and Transfer-Encoding", k);
  if (fr->ncl > 1 || fr->nte > 1 || fr->nconn > 1) fail("a framing field twice", k);
  if (fr->nte != want_te) fail("chunked or not, not as it should", k);
  if (fr->ncl != want_cl) fail("Content-Length or not, not as it should", k);
  uint64_t want_len = j->user_cl ? j->cl : j->body_len;
  if (want_cl && fr->cl != want_len) fail("Content-Length is not the body length", k);
  int want_close = j->close_wish || j->method == M_GET10 || delim || j->cut_head;
  if (fr->close != want_close) fail("Connection: close or not, not as it should", k);
  if (!want_close && fr->keep_alive != (minor == 0)) fail("Connection: keep-alive", k);
  return want_close || j->cut; /* a cut response is the last */
}

/* The body after the head at *pos; 0, or -1 if not all there yet. */
static int check_body(size_t *pos, const head_t *h, const job_t *j,
                      const framing_t *fr, int k) {
  if (j->method == M_HEAD || no_body_status(h->status)) return 0;
  size_t got = 0, want = j->body_len;
  char *b = malloc(want + 1);
  int r = 0;
  if (fr->nte) {
    r = parse_chunked(pos, b, &got, want, k);
  } else if (fr->ncl) { /* cut short: what was written, then the close */
    uint64_t len = j->cut ? want : fr->cl;
    if (F.in_len - *pos < len) r = -1;
    else memcpy(b, in_buf + *pos, len), got = len, *pos += len;
  } else { /* until the close */
    if (!F.eof) r = -1;
    else if (F.in_len - *pos > want) fail("more body than written", k);
    else got = F.in_len - *pos, memcpy(b, in_buf + *pos, got), *pos = F.in_len;
  }
  if (!r && (got != want || (want && memcmp(b, j->body, want)))) fail("not the body written", k);
  free(b);
  return r;
}

/* Every response, in request order; -1 if bytes may still be on their way
 * (final: they are not, fail). */
static int check_all(int final) {
  size_t pos = 0;
  for (int k = 0; k < F.nreq; k++) {
    const job_t *j = &F.jobs[k];
    head_t h;
    framing_t fr = {0};
    if (pos == F.in_len || parse_head(&pos, &h, k) < 0) {
      if (final) fail(pos == F.in_len ? "no response" : "head cut", k);
      return -1;
    }
    if (!j->ended) fail("a response to a request never ended", k);
    check_fields(&h, j, &fr, k);
    int closes = check_framing(&h, j, &fr, k);
    if (check_body(&pos, &h, j, &fr, k) < 0) {
      if (final) fail("body cut", k);
      return -1;
    }
    if (!closes) continue;
    if (pos != F.in_len) fail("bytes after Connection: close", k);
    if (!F.eof && final) fail("not closed after Connection: close", k);
    return F.eof ? 0 : -1;
  }
  if (pos != F.in_len) fail("bytes after the last response", -1);
  return 0;
}

/* ---------------------------------------------------------- the script */

static const char *const names[] = {
    "X-A", "x-a", "X-B", "Content-Type", "Cache-Control", "Set-Cookie",
    "Date", "Server", "Connection", "Vary", "Bad Name", "Bad:Name", "",
    "X\r\nInjected", "X\xff", "Content-Length", "Transfer-Encoding",
    "connection", "DATE", "X-\x7f"};
static const char *const values[] = {
    "v", "text/plain", "close", "keep-alive", "", "  padded  ", "a\tb",
    "obs\xe9text", "bad\r\nX-Injected: 1", "bad\nlf", "bad\rcr", "\x7f",
    "a\x01", "Sun, 06 Nov 1994 08:49:37 GMT", "CLOSE", "a, b", "chunked",
    "5", "\t"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* A string from the table (one byte below 0xc0) or up to 63 raw bytes
 * (NUL ends it early); the bytes used. */
static size_t take(const uint8_t *p, size_t n, const char *const *table,
                   size_t nt, char out[64]) {
  out[0] = '\0';
  if (!n) return 0;
  if (p[0] < 0xc0) {
    snprintf(out, 64, "%s", table[p[0] % nt]);
    return 1;
  }
  size_t len = p[0] & 0x3f;
  if (len > n - 1) len = n - 1;
  memcpy(out, p + 1, len);
  out[len] = '\0';
  return 1 + len;
}

static int status_of(unsigned a, unsigned b) {
  static const int pick[] = {200, 201, 204, 304, 404, 500, 100, 101,
                             199, 99,  1000, 0,  -1,  999, 600, 302};
  if (a & 0x80) return pick[b % COUNT(pick)];
  return (int)(((a << 8) | b) % 1100);
}

/* A header op (1 set, 2 append, 3 remove); the bytes used. Framing fields
 * are the writer's unless a switch hands them to the script. */
static size_t header_op(job_t *j, int k, int kind, const uint8_t *p, size_t n) {
  char name[64], value[64];
  size_t used = take(p, n, names, COUNT(names), name);
  if (kind != 3) used += take(p + used, n - used, values, COUNT(values), value);
  int framing = !strcasecmp(name, "content-length") ? !env_on("EDDY_FUZZ_USER_CL")
              : !strcasecmp(name, "transfer-encoding") ? !env_on("EDDY_FUZZ_USER_TE")
              : 0;
  if (j->res && !framing) do_header(j, k, kind, name, kind == 3 ? NULL : value);
  return used;
}

static void huge_field(job_t *j, int k, unsigned a, unsigned b) {
  size_t len = 1 + (size_t)b * 256;
  if (len * 2 > F.budget) return;
  F.budget -= len * 2;
  char *s = malloc(len + 1);
  memset(s, a & 1 ? 'N' : 'v', len);
  s[len] = '\0';
  if ((a & 8) && len > 2) memcpy(s + len / 2, "\r\n", 2);
  if (a & 1) do_header(j, k, 2, s, "1");
  else do_header(j, k, 2, "X-Huge", s);
  free(s);
}

/* The handler's own Content-Length, then its body in two writes:
 * matching unless EDDY_FUZZ_USER_CL lets the script get it wrong. */
static void fixed_length(job_t *j, int k, unsigned a, unsigned b, int wrong) {
  if (j->aborted || j->head_sent || no_body_status(j->status)) return;
  char cl[24];
  snprintf(cl, sizeof(cl), "%u", b);
  do_header(j, k, 1, "Content-Length", cl);
  size_t n = wrong ? (a & 8 ? b + 1 : b / 2) : b;
  do_write(j, k, n / 2);
  do_write(j, k, n - n / 2);
  do_end(j, k, 0);
}

static void iterate(int wait) {
  eddy_run(&F.loop, wait ? EDDY_RUN_ONCE : EDDY_RUN_NOWAIT);
  client_read();
}

static void special(job_t *j, int k, unsigned a, unsigned b) {
  switch (a % 8) {
  case 0:
  case 1: huge_field(j, k, a, b); return;
  case 2: fixed_length(j, k, a, b, 0); return;
  case 3: if (env_on("EDDY_FUZZ_USER_CL")) fixed_length(j, k, a, b, 1); return;
  case 4:
    if (!env_on("EDDY_FUZZ_USER_TE") || j->aborted || j->head_sent) return;
    do_header(j, k, 1, "Transfer-Encoding", "chunked");
    do_end(j, k, 3);
    return;
  case 5: do_write(j, k, b); do_end(j, k, b); return;
  case 6:
    do_header(j, k, 1, "Date", "Sun, 06 Nov 1994 08:49:37 GMT");
    do_header(j, k, 3, "date", NULL);
    return;
  default:
    do_status(j, k, b & 1 ? 304 : 204);
    do_end(j, k, b);
  }
}

/* One op; the bytes it used. */
static size_t op(const uint8_t *p, size_t n) {
  int k = (p[0] >> 3) % F.nreq;
  job_t *j = &F.jobs[k];
  unsigned a = n > 1 ? p[1] : 0, b = n > 2 ? p[2] : 0;
  size_t len = a | (b & 0xf) << 8;
  if ((p[0] & 7) >= 4 && (p[0] & 7) != 6 && len > F.budget) return 3;
  switch (p[0] & 7) {
  case 0: if (j->res) do_status(j, k, status_of(a, b)); return 3;
  case 1:
  case 2:
  case 3: return 1 + header_op(j, k, p[0] & 7, p + 1, n - 1);
  case 4: if (j->res) F.budget -= len, do_write(j, k, len); return 3;
  case 5: if (j->res) F.budget -= len, do_end(j, k, len); return 3;
  case 6:
    for (unsigned i = 0; i < 1 + a % 4; i++) iterate(0);
    return 2;
  default: if (j->res) special(j, k, a, b); return 3;
  }
}

/* ---------------------------------------------------------- the driver */

static void on_tick(eddy_timer_t *t) {}

static void settle(int max) {
  int quiet = 0;
  for (int i = 0; i < max && quiet < 3; i++) {
    F.activity = 0;
    iterate(0);
    quiet = F.activity ? 0 : quiet + 1;
  }
}

static void setup(unsigned opt) {
  eddy_http_server_opts_t o = {0};
  F.server_name = opt & 1;
  if (F.server_name) o.server_name = "fuzz-srv";
  if (eddy_loop_init(&F.loop) != 0) abort();
  if (eddy_http_server_init(&F.loop, &F.server, &o, handler) != 0) abort();
  if (eddy_http_server_listen(&F.server, "127.0.0.1", 0) != 0) abort();
  F.port = eddy_http_server_port(&F.server);
  eddy_timer_init(&F.loop, &F.tick);
  eddy_timer_start(&F.tick, on_tick, 1, 1);
}

static void teardown(void) {
  struct linger l = {1, 0}; /* RST: no TIME_WAIT left for each input */
  setsockopt(F.fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(F.fd);
  eddy_http_server_close(&F.server, 0, NULL);
  settle(50);
  eddy_close((eddy_handle_t *)&F.tick, NULL);
  for (int i = 0; i < 100 && eddy_run(&F.loop, EDDY_RUN_NOWAIT); i++) {
  }
  if (eddy_loop_close(&F.loop) != 0) {
    fprintf(stderr, "fuzz_response: the loop still has handles after close\n");
    abort();
  }
  for (int k = 0; k < F.nreq; k++) job_free(&F.jobs[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 10 || size > 4096) return 0;
  memset(&F, 0, sizeof(F));
  F.budget = 2u << 20;
  F.nreq = 1 + data[1] % NREQ;
  setup(data[0]);
  client_open(data + 2, data[0] & 2);
  settle(100);
  for (size_t i = 10; i < size;) i += op(data + i, size - i);
  for (int k = 0; k < F.nreq; k++) /* what the script left open */
    if (F.jobs[k].res) do_end(&F.jobs[k], k, 0);
  settle(400);
  /* Loopback bytes can lag on a loaded machine: wait up to ~300 ms. */
  for (int round = 0; round < 300 && check_all(0) < 0; round++) iterate(1);
  check_all(1);
  teardown();
  return 0;
}

/*
 * The request head: checked once when the request starts (method and
 * field names must be tokens, values free of CR, LF and NUL, so nothing
 * the caller passes can split the request), and composed again for each
 * hop of a redirect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/client_int.h"

/* A growing string; `failed` sticks after an allocation failure. */
typedef struct {
  char *s;
  size_t len, cap;
  int failed;
} sb_t;

static void sb_add(sb_t *b, const char *p, size_t n) {
  if (b->failed) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = (b->cap ? b->cap * 2 : 256) + n;
    char *s = realloc(b->s, cap);
    if (!s) {
      b->failed = 1;
      return;
    }
    b->s = s;
    b->cap = cap;
  }
  memcpy(b->s + b->len, p, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static void sb_str(sb_t *b, const char *s) { sb_add(b, s, strlen(s)); }

static int is_token(const char *s) {
  if (!*s) return 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    int alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (!alnum && !strchr("!#$%&'*+-.^_`|~", c)) return 0;
  }
  return 1;
}

static int is_value(const char *s) {
  for (; *s; s++)
    if (*s == '\r' || *s == '\n') return 0;
  return 1;
}

static int bodied_method(const char *m) {
  return !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH");
}

/* The caller's fields; framing fields are eddy's to write. */
static int add_fields(creq_t *r, const eddy_client_req_opts_t *o, sb_t *b) {
  for (size_t i = 0; i < o->nheaders; i++) {
    const char *n = o->headers[i].name, *v = o->headers[i].value;
    if (!n || !v || !is_token(n) || !is_value(v)) return -EINVAL;
    if (!strcasecmp(n, "content-length") || !strcasecmp(n, "transfer-encoding") ||
        !strcasecmp(n, "expect"))
      return -EINVAL;
    if (!strcasecmp(n, "host")) r->user_host = 1;
    if (!strcasecmp(n, "connection") && strcasestr(v, "close")) r->conn_close = 1;
    sb_str(b, n);
    sb_add(b, ": ", 2);
    sb_str(b, v);
    sb_add(b, "\r\n", 2);
  }
  return 0;
}

static void add_framing(creq_t *r, const eddy_client_req_opts_t *o, sb_t *b) {
  char line[64];
  int has_body = o->stream_body || o->body_len > 0;
  if (o->stream_body && o->body_length < 0) {
    sb_str(b, "Transfer-Encoding: chunked\r\n");
  } else if (has_body || bodied_method(r->method_name)) {
    uint64_t n = o->stream_body ? (uint64_t)o->body_length : o->body_len;
    snprintf(line, sizeof line, "Content-Length: %llu\r\n",
             (unsigned long long)n);
    sb_str(b, line);
  }
  if (o->expect_continue && has_body) {
    sb_str(b, "Expect: 100-continue\r\n");
    r->wants_continue = 1;
  }
}

int eddy__req_prepare_head(creq_t *r, const eddy_client_req_opts_t *o) {
  const char *m = o->method ? o->method : "GET";
  sb_t b = {0};
  if (!is_token(m) || (o->body_len && o->stream_body)) return -EINVAL;
  if (!(r->method_name = strdup(m))) return -ENOMEM;
  r->method = eddy_http_method_lookup(m, strlen(m));
  int rc = add_fields(r, o, &b);
  if (rc == 0) add_framing(r, o, &b);
  if (rc == 0 && b.failed) rc = -ENOMEM;
  if (rc == 0 && !b.s) rc = (b.s = strdup("")) ? 0 : -ENOMEM;
  if (rc < 0) {
    free(b.s);
    return rc;
  }
  r->extra = b.s;
  return 0;
}

int eddy__req_compose_head(creq_t *r) {
  sb_t b = {0};
  sb_str(&b, r->method_name);
  sb_add(&b, " ", 1);
  sb_add(&b, r->u.target.base, r->u.target.len);
  sb_str(&b, " HTTP/1.1\r\n");
  if (!r->user_host) {
    sb_str(&b, "Host: ");
    sb_str(&b, r->host->authority);
    sb_add(&b, "\r\n", 2);
  }
  sb_str(&b, r->extra);
  sb_add(&b, "\r\n", 2);
  if (b.failed) {
    free(b.s);
    return -ENOMEM;
  }
  free(r->head);
  r->head = b.s;
  r->head_len = b.len;
  return 0;
}

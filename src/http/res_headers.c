/*
 * Response header fields a handler stages: set, append, remove, checked
 * as Node checks them (no response splitting, no control bytes), and the
 * framing rules: Transfer-Encoding is the server's alone (refused, as
 * nginx and h2o drop an upstream's and frame the body themselves), and a
 * handler's Content-Length must be 1*DIGIT (RFC 9110 §8.6) and single.
 */
#include <string.h>
#include <strings.h>

#include "http/conn.h"
#include "http/parser.h"

/* Digits of a Content-Length a handler may set: < 10^18 needs no
 * overflow check and is more than any body (the client checker in
 * tests/fuzz/fuzz_response.c uses the same bound). */
#define CL_MAX_DIGITS 18

/* own_header() of Transfer-Encoding: not a flag, a refusal. */
#define OWN_TE 0x80000000u

/* Bytes of class `cls` only, at least one if `nonempty` (as Node checks
 * header names and values: no response splitting, no control bytes). */
static int all_of(const char *s, int cls, int nonempty) {
  if (nonempty && !*s) return 0;
  for (; *s; s++)
    if (!EDDY__HC(*s, cls)) return 0;
  return 1;
}

/* Removes every "name: ..." line from the staged headers. */
static void drop(eddy__http_buf_t *h, const char *name, size_t nlen) {
  size_t i = 0;
  while (i < h->len) {
    char *eol = memchr(h->base + i, '\n', h->len - i);
    size_t end = (size_t)(eol - h->base) + 1;
    if (end - i > nlen && h->base[i + nlen] == ':' &&
        strncasecmp(h->base + i, name, nlen) == 0) {
      memmove(h->base + i, h->base + end, h->len - end);
      h->len -= end - i;
    } else {
      i = end;
    }
  }
}

/* A 204 carries no Content-Length (RFC 9110 §8.6 MUST NOT), not even the
 * handler's: dropped when the head is written. */
void eddy__http_res_drop_length(eddy_http_res_t *res) {
  drop(&res->staged_headers, "content-length", 14);
}

/* The header names the server writes itself unless the handler does, as
 * the flag that says the handler did (Connection: EDDY__RES_CLOSE, by value;
 * Transfer-Encoding: OWN_TE, refused). One length test and at most one
 * strcasecmp per call: set_header is hot. */
static unsigned own_header(const char *name) {
  switch (strlen(name)) {
  case 4: return strcasecmp(name, "date") == 0 ? EDDY__RES_USER_DATE : 0;
  case 6: return strcasecmp(name, "server") == 0 ? EDDY__RES_USER_SERVER : 0;
  case 10: return strcasecmp(name, "connection") == 0 ? EDDY__RES_CLOSE : 0;
  case 14:
    return strcasecmp(name, "content-length") == 0 ? EDDY__RES_USER_CL : 0;
  case 17: return strcasecmp(name, "transfer-encoding") == 0 ? OWN_TE : 0;
  default: return 0;
  }
}

/* A Content-Length value: 1 to CL_MAX_DIGITS digits, nothing else (no
 * OWS, no sign, no list); its value in *out. -EINVAL otherwise. */
static int parse_length(const char *v, uint64_t *out) {
  size_t n = strlen(v);
  if (n == 0 || n > CL_MAX_DIGITS) return -EINVAL;
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9') return -EINVAL;
    x = x * 10 + (uint64_t)(v[i] - '0');
  }
  *out = x;
  return 0;
}

static void note(eddy_http_res_t *res, unsigned own, const char *value) {
  if (own != EDDY__RES_CLOSE)
    res->flags |= own;
  else if (strcasecmp(value, "close") == 0)
    res->flags |= EDDY__RES_CLOSE;
}

/* 0 if name: value may be staged (a second Content-Length may not). */
static int field_ok(eddy_http_res_t *res, const char *name, const char *value,
                    unsigned own, int replacing) {
  uint64_t cl;
  if (!name || !value || !all_of(name, EDDY__HC_TCHAR, 1) ||
      !all_of(value, EDDY__HC_VALUE, 0) || own == OWN_TE)
    return -EINVAL;
  if (own != EDDY__RES_USER_CL) return 0;
  if (!replacing && (res->flags & EDDY__RES_USER_CL)) return -EINVAL;
  return parse_length(value, &cl);
}

static int stage(eddy_http_res_t *res, const char *name, const char *value,
                 unsigned own) {
  /* Connection is ours to write (keep-alive/close); record the wish. */
  if (own == EDDY__RES_CLOSE) {
    note(res, own, value);
    return 0;
  }
  eddy__http_buf_t *h = &res->staged_headers;
  size_t nl = strlen(name), vl = strlen(value);
  if (eddy__http_buf_reserve(h, nl + vl + 4)) return -ENOMEM;
  eddy__http_buf_put(h, name, nl);
  eddy__http_buf_put(h, ": ", 2);
  eddy__http_buf_put(h, value, vl);
  eddy__http_buf_put(h, "\r\n", 2);
  if (own == EDDY__RES_USER_CL) parse_length(value, &res->user_cl);
  note(res, own, value);
  return 0;
}

static int usable(eddy_http_res_t *res) {
  if (res->flags & EDDY__RES_ABORTED) return -ECANCELED;
  if (res->flags & (EDDY__RES_HEAD_SENT | EDDY__RES_ENDED)) return -EINVAL;
  return 0;
}

int eddy_http_res_append_header(eddy_http_res_t *res, const char *name,
                                const char *value) {
  int r = usable(res);
  if (r) return r;
  unsigned own = name ? own_header(name) : 0;
  r = field_ok(res, name, value, own, 0);
  return r ? r : stage(res, name, value, own);
}

int eddy_http_res_remove_header(eddy_http_res_t *res, const char *name) {
  int r = usable(res);
  if (r) return r;
  if (!name) return -EINVAL;
  drop(&res->staged_headers, name, strlen(name));
  res->flags &= ~(own_header(name) & (EDDY__RES_USER_CL | EDDY__RES_USER_DATE |
                                      EDDY__RES_USER_SERVER));
  return 0;
}

int eddy_http_res_set_header(eddy_http_res_t *res, const char *name,
                             const char *value) {
  /* Checked first: a refused field leaves the old ones in place. */
  int r = usable(res);
  if (r) return r;
  unsigned own = name ? own_header(name) : 0;
  r = field_ok(res, name, value, own, 1);
  if (r) return r;
  eddy_http_res_remove_header(res, name);
  return stage(res, name, value, own);
}

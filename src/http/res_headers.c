/*
 * Response header fields a handler stages: set, append, remove, checked
 * as Node checks them (no response splitting, no control bytes), and the
 * framing rules: Transfer-Encoding is the server's alone (refused, as
 * nginx and h2o drop an upstream's and frame the body themselves), and a
 * handler's Content-Length must be 1*DIGIT (RFC 9110 §8.6) and single.
 */
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "http/conn.h"
#include "http/parser.h"
#include "http/res_known.h"

/* Digits of a Content-Length a handler may set: < 10^18 needs no
 * overflow check and is more than any body (the client checker in
 * tests/fuzz/fuzz_response.c uses the same bound). */
#define CL_MAX_DIGITS 18

/* own_header() of Transfer-Encoding: not a flag, a refusal. */
#define OWN_TE 0x80000000u

/* The length of `s` if its bytes are all of class `cls` (at least one if
 * `nonempty`), else -1: the check and the strlen in one pass, since NUL is
 * in no class. As Node checks header names and values: no response
 * splitting, no control bytes. */
static ssize_t class_len(const char *s, int cls, int nonempty) {
  const char *p = s;
  while (EDDY__HC(*p, cls)) p++;
  if (*p || (nonempty && p == s)) return -1;
  return p - s;
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
static unsigned own_header(const char *name, size_t len) {
  switch (len) {
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

/* A header line, checked: its name and value lengths and own_header. */
typedef struct {
  const char *name, *value;
  size_t nl, vl;
  unsigned own;
} line_t;

/* 0 if name: value may be staged (a second Content-Length may not be
 * appended, Transfer-Encoding never), with `l` filled. */
static int check_line(eddy_http_res_t *res, const char *name, const char *value,
                      int replacing, line_t *l) {
  if (!name || !value) return -EINVAL;
  ssize_t nl = class_len(name, EDDY__HC_TCHAR, 1);
  ssize_t vl = class_len(value, EDDY__HC_VALUE, 0);
  if (nl < 0 || vl < 0) return -EINVAL;
  *l = (line_t){name, value, (size_t)nl, (size_t)vl,
                own_header(name, (size_t)nl)};
  if (l->own == OWN_TE) return -EINVAL;
  if (l->own != EDDY__RES_USER_CL) return 0;
  if (!replacing && (res->flags & EDDY__RES_USER_CL)) return -EINVAL;
  uint64_t cl;
  return parse_length(value, &cl);
}

/* Appends "name: value\r\n" with one reserve. Connection is ours to
 * write (keep-alive/close): only the wish is recorded. */
static int stage(eddy_http_res_t *res, const line_t *l) {
  if (l->own != EDDY__RES_CLOSE) {
    eddy__http_buf_t *h = &res->staged_headers;
    if (eddy__http_buf_reserve(h, l->nl + l->vl + 4)) return -ENOMEM;
    char *o = h->base + h->len; /* reserved just above */
    memcpy(o, l->name, l->nl);
    o += l->nl;
    *o++ = ':';
    *o++ = ' ';
    memcpy(o, l->value, l->vl);
    o += l->vl;
    *o++ = '\r';
    *o++ = '\n';
    h->len = (size_t)(o - h->base);
  }
  if (l->own == EDDY__RES_USER_CL) parse_length(l->value, &res->user_cl);
  note(res, l->own, l->value);
  return 0;
}

/* What removing a header undoes of the flags. */
#define UNDO_OWN \
  (EDDY__RES_USER_CL | EDDY__RES_USER_DATE | EDDY__RES_USER_SERVER)

static int usable(eddy_http_res_t *res) {
  if (res->flags & EDDY__RES_ABORTED) return -ECANCELED;
  if (res->flags & (EDDY__RES_HEAD_SENT | EDDY__RES_ENDED)) return -EINVAL;
  return 0;
}

int eddy_http_res_append_header(eddy_http_res_t *res, const char *name,
                                const char *value) {
  line_t l;
  int r = usable(res);
  if (!r) r = check_line(res, name, value, 0, &l);
  return r ? r : stage(res, &l);
}

int eddy_http_res_remove_header(eddy_http_res_t *res, const char *name) {
  int r = usable(res);
  if (r) return r;
  if (!name) return -EINVAL;
  size_t n = strlen(name);
  drop(&res->staged_headers, name, n);
  res->flags &= ~(own_header(name, n) & UNDO_OWN);
  return 0;
}

/* Checked before anything is removed: a refused set changes nothing. */
int eddy_http_res_set_header(eddy_http_res_t *res, const char *name,
                             const char *value) {
  line_t l;
  int r = usable(res);
  if (!r) r = check_line(res, name, value, 1, &l);
  if (r) return r;
  if (res->staged_headers.len) drop(&res->staged_headers, name, l.nl);
  res->flags &= ~(l.own & UNDO_OWN);
  return stage(res, &l);
}

int eddy__http_res_set_known(eddy_http_res_t *res, const char *name,
                             size_t nlen, const char *value, size_t vlen) {
  int r = usable(res);
  if (r) return r;
  if (res->staged_headers.len) drop(&res->staged_headers, name, nlen);
  return stage(res, &(line_t){name, value, nlen, vlen, 0});
}

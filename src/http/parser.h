/* Private to src/http: byte classes shared by the request parser, the
 * chunked decoder and the URL helpers. */
#ifndef EDDY_HTTP_PARSER_PRIV_H
#define EDDY_HTTP_PARSER_PRIV_H

#include <stddef.h>
#include <stdint.h>

enum {
  EDDY__HC_TCHAR = 1,   /* token character (RFC 9110 §5.6.2) */
  EDDY__HC_VALUE = 2,   /* field-value byte: HTAB, SP, VCHAR, obs-text */
  EDDY__HC_PATH = 4,    /* literal in a path: pchar without '%', and '/' */
  EDDY__HC_QUERY = 8,   /* literal in a query: PATH and '?' */
  EDDY__HC_HEX = 16,    /* HEXDIG */
  EDDY__HC_SCHEME = 32, /* ALPHA DIGIT "+" "-" "." */
  EDDY__HC_REGNAME = 64 /* unreserved / sub-delims: reg-name without '%' */
};

/* eddy__http_class[b] is the set of EDDY__HC_* classes byte b is in. */
extern const uint8_t eddy__http_class[256];

#define EDDY__HC(b, cls) (eddy__http_class[(uint8_t)(b)] & (cls))

/* Value of hex digit `c` (caller checked EDDY__HC_HEX). */
static inline unsigned eddy__hexval(unsigned char c) {
  return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Case-insensitive compare of `n` bytes of token `s` with the lower-case
 * literal `lit`. Exact for tokens: no tchar folds onto a letter but its own
 * capital. */
static inline int eddy__token_ieq(const char *s, size_t n, const char *lit,
                                  size_t litlen) {
  if (n != litlen) return 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] | 0x20) != (unsigned char)lit[i]) return 0;
  return 1;
}

/* Next element of the comma list v[*i, n), OWS trimmed; empty elements are
 * skipped (RFC 9110 §5.6.1). Returns 0 at the end of the list. Shared by
 * the request parser and the client's response parser. */
static inline int eddy__http_list_next(const char *v, size_t n, size_t *i,
                                       const char **tok, size_t *len) {
  size_t k = *i;
  while (k < n && (v[k] == ',' || v[k] == ' ' || v[k] == '\t')) k++;
  if (k == n) return *i = k, 0;
  size_t s = k;
  while (k < n && v[k] != ',') k++;
  size_t e = k;
  while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) e--;
  *tok = v + s;
  *len = e - s;
  *i = k;
  return 1;
}

/* A Content-Length value: 1*DIGIT, or a list of one repeated value (RFC
 * 9110 §8.6). Signs, inner spaces, empty list elements ("1,") and values
 * past 2^63-1 are refused: -1. Shared by the request and response
 * parsers. */
static inline int64_t eddy__http_content_length(const char *v, size_t n) {
  const char *t;
  size_t tl, i = 0, elems = 0, commas = 0;
  int64_t value = -1;
  for (size_t k = 0; k < n; k++) commas += v[k] == ',';
  while (eddy__http_list_next(v, n, &i, &t, &tl)) {
    int64_t x = 0;
    for (size_t k = 0; k < tl; k++) {
      if (t[k] < '0' || t[k] > '9') return -1;
      if (x > (INT64_MAX - (t[k] - '0')) / 10) return -1;
      x = x * 10 + (t[k] - '0');
    }
    if (tl == 0 || (value >= 0 && x != value)) return -1;
    value = x;
    elems++;
  }
  return elems == commas + 1 ? value : -1;
}

#endif

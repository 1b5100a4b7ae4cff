/*
 * Query strings, form bodies and Cookie headers into name/value pairs.
 * Pure functions (any thread); the memory comes from the caller's
 * allocator (the request's arena).
 */
#include <string.h>

#include "app/app_int.h"

static size_t count_of(const char *s, size_t len, char sep) {
  size_t n = 1;
  for (const char *p = s; (p = memchr(p, sep, (size_t)(s + len - p)));
       p++)
    n++;
  return n;
}

/* Decodes `n` bytes into fresh memory; raw copy on a bad escape unless
 * strict. NULL with *bad set for a bad escape in strict mode. */
static char *decode(const char *s, size_t n, int strict, int *bad,
                    void *(*alloc)(void *, size_t), void *ctx) {
  char *d = alloc(ctx, n + 1);
  if (!d) return NULL;
  ssize_t m = eddy_http_url_decode(s, n, d, 1);
  if (m < 0) {
    if (strict) return *bad = 1, NULL;
    memcpy(d, s, n);
    m = (ssize_t)n;
  }
  d[m] = '\0';
  return d;
}

ssize_t eddy_app_parse_query(const char *s, size_t len, int strict,
                             void *(*alloc)(void *, size_t), void *ctx,
                             eddy_app_pair_t **out) {
  *out = NULL;
  if (len == 0) return 0;
  eddy_app_pair_t *pairs = alloc(ctx, count_of(s, len, '&') * sizeof(*pairs));
  if (!pairs) return -ENOMEM;
  ssize_t n = 0;
  const char *p = s, *end = s + len;
  while (p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *e = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(e - p));
    const char *name_end = eq ? eq : e;
    /* A raw NUL (a form body may hold one) would cut the C strings. */
    int nul = memchr(p, '\0', (size_t)(e - p)) != NULL;
    if (nul && strict) return -EINVAL;
    if (name_end > p && !nul) { /* "&&" and "=x" have no name: skipped */
      int bad = 0;
      char *k = decode(p, (size_t)(name_end - p), strict, &bad, alloc, ctx);
      char *v = k ? decode(eq ? eq + 1 : e, eq ? (size_t)(e - eq - 1) : 0,
                           strict, &bad, alloc, ctx)
                  : NULL;
      if (bad) return -EINVAL;
      if (!v) return -ENOMEM;
      pairs[n].name = k;
      pairs[n++].value = v;
    }
    p = e + 1;
  }
  *out = pairs;
  return n;
}

static int is_ows(char c) { return c == ' ' || c == '\t'; }

static char *copy(const char *s, size_t n, void *(*alloc)(void *, size_t),
                  void *ctx) {
  char *d = alloc(ctx, n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

ssize_t eddy_app_parse_cookies(const char *s, size_t len,
                               void *(*alloc)(void *, size_t), void *ctx,
                               eddy_app_pair_t **out) {
  *out = NULL;
  if (len == 0) return 0;
  eddy_app_pair_t *pairs = alloc(ctx, count_of(s, len, ';') * sizeof(*pairs));
  if (!pairs) return -ENOMEM;
  ssize_t n = 0;
  const char *p = s, *end = s + len;
  while (p < end) {
    const char *semi = memchr(p, ';', (size_t)(end - p));
    const char *e = semi ? semi : end;
    const char *eq = memchr(p, '=', (size_t)(e - p));
    if (eq) { /* a pair without '=' is ignored (RFC 6265 §5.2) */
      const char *ns = p, *ne = eq, *vs = eq + 1, *ve = e;
      while (ns < ne && is_ows(*ns)) ns++;
      while (ne > ns && is_ows(ne[-1])) ne--;
      while (vs < ve && is_ows(*vs)) vs++;
      while (ve > vs && is_ows(ve[-1])) ve--;
      if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') vs++, ve--;
      if (ne > ns && !memchr(ns, '\0', (size_t)(ve - ns))) {
        char *k = copy(ns, (size_t)(ne - ns), alloc, ctx);
        char *v = k ? copy(vs, (size_t)(ve - vs), alloc, ctx) : NULL;
        if (!v) return -ENOMEM;
        pairs[n].name = k;
        pairs[n++].value = v;
      }
    }
    p = e + 1;
  }
  *out = pairs;
  return n;
}

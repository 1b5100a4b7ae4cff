/*
 * Middleware prefixes (eddy_app_use): literal segments, and ":name"
 * segments that take one whole non-empty segment of the path (Express's
 * app.use('/users/:id', ...)), whose decoded values the middleware reads
 * with eddy_app_req_param while it runs.
 */
#include <string.h>

#include "app/app_int.h"

/* A literal prefix: a byte compare, at a segment boundary. */
static int literal_match(const eddy__mw_t *mw, const eddy_http_slice_t *p) {
  if (p->len < mw->prefix_len || memcmp(p->base, mw->prefix, mw->prefix_len))
    return 0;
  return p->len == mw->prefix_len || p->base[mw->prefix_len] == '/';
}

/* Segment by segment: `pre` and the path are both at a '/' (or the end). */
static int param_match(const eddy__mw_t *mw, const eddy_http_slice_t *p,
                       size_t *len, eddy_http_slice_t *params) {
  const char *pre = mw->prefix, *pend = pre + mw->prefix_len;
  const char *s = p->base, *end = s + p->len;
  unsigned n = 0;
  while (pre < pend) {
    if (s == end || *s != '/') return 0;
    const char *seg = pre + 1, *e = memchr(seg, '/', (size_t)(pend - seg));
    size_t seglen = (size_t)((e ? e : pend) - seg);
    const char *t = ++s;
    while (t < end && *t != '/') t++;
    if (*seg == ':') {
      if (t == s) return 0; /* a parameter is never empty */
      params[n].base = s, params[n++].len = (size_t)(t - s);
    } else if ((size_t)(t - s) != seglen || memcmp(s, seg, seglen)) {
      return 0;
    }
    pre = seg + seglen, s = t;
  }
  *len = (size_t)(s - p->base);
  return 1;
}

int eddy__prefix_match(const eddy__mw_t *mw, const eddy_http_slice_t *p,
                       size_t *len, eddy_http_slice_t *params) {
  if (mw->prefix_len == 0) return *len = 0, 1;
  if (!mw->nparams) return *len = mw->prefix_len, literal_match(mw, p);
  return param_match(mw, p, len, params);
}

/* The parameter names of a prefix (":id" -> "id"), cut out of a copy of
 * it, `copy`; returns how many (at most EDDY_APP_MAX_PARAMS: app.c checks). */
unsigned eddy__prefix_names(char *copy, const char **names) {
  unsigned n = 0;
  for (char *s = copy; (s = strchr(s, '/')) != NULL;) {
    *s++ = '\0';
    if (*s == ':') names[n++] = s + 1;
  }
  return n;
}

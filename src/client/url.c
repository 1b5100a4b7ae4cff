/*
 * http:// URLs for the client (RFC 3986 §3, RFC 9110 §4.2.1). Only what a
 * request needs: host, port and the target, checked so that nothing that
 * could split or smuggle a request line (spaces, CR, LF, other controls)
 * reaches the wire.
 */
#include <string.h>
#include <strings.h>

#include "eddy/client.h"

static int is_alnum(unsigned char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* reg-name bytes without '%': unreserved and sub-delims. */
static int is_regname(unsigned char c) {
  return is_alnum(c) || strchr("-._~!$&'()*+,;=", c) != NULL;
}

/* Bytes a request target may carry literally (plus '%' escapes). */
static int is_target_byte(unsigned char c) {
  return c > 0x20 && c < 0x7f && c != '#';
}

static int parse_port(const char *p, size_t n, int *port) {
  long v = 0;
  if (n == 0 || n > 5) return -EINVAL;
  for (size_t i = 0; i < n; i++) {
    if (p[i] < '0' || p[i] > '9') return -EINVAL;
    v = v * 10 + (p[i] - '0');
  }
  if (v < 1 || v > 65535) return -EINVAL;
  *port = (int)v;
  return 0;
}

static int parse_ipv6(const char *a, size_t n, eddy_client_url_t *out,
                      size_t *used) {
  const char *close = memchr(a, ']', n);
  if (!close || close == a + 1) return -EINVAL;
  for (const char *c = a + 1; c < close; c++)
    if (!(c[0] == ':' || c[0] == '.' || is_alnum((unsigned char)c[0])))
      return -EINVAL; /* no zone ids: a URL has no use for them here */
  out->host = (eddy_http_slice_t){a + 1, (size_t)(close - a - 1)};
  out->ipv6 = 1;
  *used = (size_t)(close - a) + 1;
  return 0;
}

static int parse_authority(const char *a, size_t n, eddy_client_url_t *out) {
  size_t i = 0;
  if (memchr(a, '@', n)) return -EINVAL; /* userinfo: refused */
  if (n && a[0] == '[') {
    if (parse_ipv6(a, n, out, &i) < 0) return -EINVAL;
  } else {
    while (i < n && a[i] != ':') {
      if (!is_regname((unsigned char)a[i])) return -EINVAL;
      i++;
    }
    if (i == 0) return -EINVAL;
    out->host = (eddy_http_slice_t){a, i};
  }
  out->port = 80;
  if (i == n) return 0;
  if (a[i] != ':') return -EINVAL;
  return i + 1 == n ? 0 : parse_port(a + i + 1, n - i - 1, &out->port);
}

static int parse_target(const char *t, size_t n, eddy_client_url_t *out) {
  size_t i = 0;
  while (i < n && t[i] != '#') {
    if (!is_target_byte((unsigned char)t[i])) return -EINVAL;
    i++;
  }
  out->target = i ? (eddy_http_slice_t){t, i} : (eddy_http_slice_t){"/", 1};
  return 0;
}

int eddy_client_url_parse(const char *url, size_t len, eddy_client_url_t *out) {
  if (!url || !out) return -EINVAL;
  memset(out, 0, sizeof *out);
  if (len >= 8 && strncasecmp(url, "https://", 8) == 0) return -EPROTONOSUPPORT;
  if (len < 7 || strncasecmp(url, "http://", 7) != 0) return -EINVAL;
  const char *a = url + 7, *end = url + len, *t = a;
  while (t < end && *t != '/' && *t != '?' && *t != '#') t++;
  int r = parse_authority(a, (size_t)(t - a), out);
  if (r < 0) return r;
  if (t < end && *t == '?') {
    /* "http://h?q" has an empty path: the target is "/?q" — kept as the
     * slice "?q" would be wrong, so refuse rather than rewrite. */
    return -EINVAL;
  }
  return parse_target(t, (size_t)(end - t), out);
}

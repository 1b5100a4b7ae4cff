/* URL helpers for the router and static files: split, percent-decode,
 * dot-segment removal (RFC 3986 §2.1, §5.2.4). In place, no allocation. */
#include <string.h>

#include "eddy/http_parser.h"
#include "http/parser.h"

void eddy_http_url_split(const char *target, size_t len,
                         eddy_http_slice_t *path, eddy_http_slice_t *query) {
  const char *hash = memchr(target, '#', len);
  if (hash) len = (size_t)(hash - target);
  const char *q = memchr(target, '?', len);
  size_t plen = q ? (size_t)(q - target) : len;
  path->base = target;
  path->len = plen;
  query->base = q ? q + 1 : target + len;
  query->len = q ? len - plen - 1 : 0;
}

ssize_t eddy_http_url_decode(const char *src, size_t len, char *dst,
                             int plus_is_space) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)src[i];
    if (c == '%') {
      if (len - i < 3 || !EDDY__HC(src[i + 1], EDDY__HC_HEX) ||
          !EDDY__HC(src[i + 2], EDDY__HC_HEX))
        return -EINVAL;
      c = (unsigned char)(eddy__hexval((unsigned char)src[i + 1]) << 4 |
                          eddy__hexval((unsigned char)src[i + 2]));
      if (c == 0) return -EINVAL;
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    dst[o++] = (char)c;
  }
  return (ssize_t)o;
}

/* Length of the segment starting at p[i] (up to the next '/' or end). */
static size_t seg_len(const char *p, size_t i, size_t len) {
  const char *s = memchr(p + i, '/', len - i);
  return s ? (size_t)(s - (p + i)) : len - i;
}

/* Reads segments left to right and writes the kept ones at `o` (o <= i,
 * so in place is safe). `o` always ends just after a '/'; ".." drops back
 * to the '/' before the last written segment, never before the root. */
ssize_t eddy_http_path_normalize(char *path, size_t len) {
  if (len == 0 || path[0] != '/') return -EINVAL;
  size_t i = 1, o = 1;
  while (i <= len) {
    size_t n = i < len ? seg_len(path, i, len) : 0;
    int last = i + n >= len;
    if (n == 1 && path[i] == '.') {
      /* drop it; a trailing "." leaves the trailing '/' */
    } else if (n == 2 && path[i] == '.' && path[i + 1] == '.') {
      if (o > 1) {
        o--; /* the '/' after the last segment */
        while (o > 1 && path[o - 1] != '/') o--;
      }
    } else {
      memmove(path + o, path + i, n);
      o += n;
      if (!last) path[o++] = '/';
    }
    if (last) break;
    i += n + 1;
  }
  return (ssize_t)o;
}

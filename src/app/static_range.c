/*
 * One byte range (RFC 9110 §14.1.2, §14.2, §13.1.5 If-Range). A set of
 * several ranges is served whole: multipart/byteranges is rarely used and
 * RFC 9110 lets a server ignore Range.
 */
#include <string.h>

#include "eddy/static.h"

/* Reads digits at *p; INT64_MAX on overflow (then any range starts past
 * the end); -1 if there are none. */
static int64_t digits(const char **p, const char *end) {
  const char *s = *p;
  int64_t v = 0;
  while (s < end && *s >= '0' && *s <= '9') {
    int d = *s++ - '0';
    v = v > (INT64_MAX - d) / 10 ? INT64_MAX : v * 10 + d;
  }
  if (s == *p) return -1;
  *p = s;
  return v;
}

/* If-Range (§13.1.5): a strong ETag match or the exact Last-Modified. */
static int if_range_holds(const eddy_http_slice_t *ir, const char *etag,
                          int64_t mtime_s) {
  if (!ir) return 1;
  if (ir->len > 0 && ir->base[0] == '"')
    return etag && strlen(etag) == ir->len &&
           memcmp(ir->base, etag, ir->len) == 0;
  return eddy_static_parse_date(ir->base, ir->len) == mtime_s;
}

int eddy_static_range(const eddy_http_slice_t *range,
                      const eddy_http_slice_t *if_range, const char *etag,
                      int64_t mtime_s, int64_t size, int64_t *off, int64_t *n) {
  if (!range || range->len < 6 || strncasecmp(range->base, "bytes=", 6))
    return 0;
  const char *p = range->base + 6, *end = range->base + range->len;
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  int64_t first = digits(&p, end), last = -1;
  if (p >= end || *p++ != '-') return 0;
  last = digits(&p, end);
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  if (p != end) return 0; /* a list, or junk: ignored */
  if (first < 0 && last < 0) return 0;
  if (first >= 0 && last >= 0 && last < first) return 0; /* invalid */
  if (!if_range_holds(if_range, etag, mtime_s)) return 0;
  if (first < 0) { /* suffix: the last `last` bytes */
    if (last == 0 || size == 0) return 416;
    *off = last >= size ? 0 : size - last;
  } else {
    if (first >= size) return 416;
    *off = first;
    if (last < 0 || last >= size) last = size - 1;
  }
  *n = (first < 0 ? size : last + 1) - *off;
  return 206;
}

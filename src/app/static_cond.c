/*
 * Validators, conditional requests and ranges for static files (RFC 9110
 * §8.8, §13, §14). Pure functions over header values.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app/static_open.h"

size_t eddy_static_etag(int64_t size, int64_t mtime_ns, char out[40]) {
  int n = snprintf(out, 40, "\"%" PRIx64 "-%" PRIx64 "\"", (uint64_t)size,
                   (uint64_t)mtime_ns);
  return n > 0 ? (size_t)n : 0;
}

static int two_digits(const char *p) {
  if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9') return -1;
  return (p[0] - '0') * 10 + (p[1] - '0');
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t eddy_static_parse_date(const char *s, size_t len) {
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  /* "Sun, 06 Nov 1994 08:49:37 GMT" is exactly 29 bytes. */
  if (len != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
      s[16] != ' ' || s[19] != ':' || s[22] != ':' ||
      memcmp(s + 25, " GMT", 4) != 0)
    return -1;
  int mon = -1;
  for (int i = 0; i < 12; i++)
    if (memcmp(s + 8, months + 3 * i, 3) == 0) mon = i + 1;
  int d = two_digits(s + 5), y1 = two_digits(s + 12), y2 = two_digits(s + 14);
  int h = two_digits(s + 17), mi = two_digits(s + 20), se = two_digits(s + 23);
  if (mon < 0 || d < 1 || d > 31 || y1 < 0 || y2 < 0 || h < 0 || h > 23 ||
      mi < 0 || mi > 59 || se < 0 || se > 60)
    return -1;
  int64_t days = days_from_civil(y1 * 100 + y2, mon, d);
  return days * 86400 + h * 3600 + mi * 60 + se;
}

/* Weak comparison (§8.8.3.2): equal opaque tags, W/ ignored. */
static int weak_match(const char *a, size_t an, const char *b, size_t bn) {
  if (an >= 2 && a[0] == 'W' && a[1] == '/') a += 2, an -= 2;
  if (bn >= 2 && b[0] == 'W' && b[1] == '/') b += 2, bn -= 2;
  return an == bn && memcmp(a, b, an) == 0;
}

/* 1 if the list `v` (entity-tags separated by commas) holds `etag`. */
static int etag_listed(const eddy_http_slice_t *v, const char *etag) {
  size_t elen = strlen(etag), i = 0;
  while (i < v->len) {
    while (i < v->len &&
           (v->base[i] == ' ' || v->base[i] == '\t' || v->base[i] == ','))
      i++;
    size_t start = i;
    while (i < v->len && v->base[i] != ',') i++;
    size_t end = i;
    while (end > start && (v->base[end - 1] == ' ' || v->base[end - 1] == '\t'))
      end--;
    if (end - start == 1 && v->base[start] == '*') return 1;
    if (end > start && weak_match(v->base + start, end - start, etag, elen))
      return 1;
  }
  return 0;
}

int eddy_static_fresh(const eddy_http_slice_t *inm,
                      const eddy_http_slice_t *ims, const char *etag,
                      int64_t mtime_s) {
  if (inm) return etag && etag[0] && etag_listed(inm, etag);
  if (!ims) return 0;
  int64_t t = eddy_static_parse_date(ims->base, ims->len);
  return t >= 0 && mtime_s <= t;
}

void eddy__static_file_fill(static_file_t *f, int64_t size, int64_t mtime_ns,
                            uint64_t ino) {
  f->size = size;
  f->mtime_ns = mtime_ns;
  f->ino = ino;
  eddy_static_etag(size, mtime_ns, f->etag);
  eddy_http_date(mtime_ns / 1000000000, f->last_modified);
}

/* Fuzzes eddy_http_parse_request: no crash, no over-read, slices inside the
 * input (method name, target, path, query, host, every header), and the
 * same result whole and fed in pieces with last_len. The one slice allowed
 * outside is the documented default path "/" of an absolute or authority
 * target without a path (a static string: a caller that re-points slices
 * when its buffer moves must leave it alone, see issue 16). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/http_parser.h"

static int inside(eddy_http_slice_t s, const uint8_t *d, size_t n) {
  if (s.len == 0) return 1;
  return (const uint8_t *)s.base >= d && (const uint8_t *)s.base + s.len <= d + n;
}

static int path_ok(const eddy_http_request_t *r, const uint8_t *d, size_t n) {
  if (inside(r->path, d, n)) return 1;
  return r->target_form != EDDY_HTTP_TARGET_ORIGIN && r->path.len == 1 &&
         r->path.base[0] == '/';
}

static int parse(const uint8_t *d, size_t n, size_t last,
                 eddy_http_request_t *req, eddy_http_header_t *h,
                 const eddy_http_limits_t *lim) {
  return eddy_http_parse_request((const char *)d, n, req, h, 64, last, lim);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  eddy_http_header_t h1[64], h2[64];
  eddy_http_request_t r1, r2;
  /* Small limits make the limit paths reachable from small inputs. */
  eddy_http_limits_t small = {64, 256, 8, 1000, 16, 64};
  const eddy_http_limits_t *lim = size && (data[0] & 1) ? &small : NULL;
  int whole = parse(data, size, 0, &r1, h1, lim);
  if (whole > 0) {
    if ((size_t)whole > size || !inside(r1.target, data, size) ||
        !inside(r1.query, data, size) || r1.nheaders > 64 ||
        !inside(r1.method_name, data, size) || r1.method_name.len == 0 ||
        !inside(r1.host, data, size) || !path_ok(&r1, data, size) ||
        r1.path.len == 0)
      abort();
    for (size_t i = 0; i < r1.nheaders; i++)
      if (!inside(h1[i].name, data, size) || !inside(h1[i].value, data, size))
        abort();
  }
  size_t step = size ? (size_t)data[size - 1] % 13 + 1 : 1, last = 0;
  int r = EDDY_HTTP_INCOMPLETE;
  for (size_t n = step < size ? step : size;; n = n + step < size ? n + step : size) {
    r = parse(data, n, last, &r2, h2, lim);
    if (r != EDDY_HTTP_INCOMPLETE || n == size) break;
    last = n;
  }
  if (r != whole) abort();
  if (r > 0 && (r1.flags != r2.flags || r1.content_length != r2.content_length ||
                r1.nheaders != r2.nheaders || r1.method != r2.method))
    abort();
  return 0;
}

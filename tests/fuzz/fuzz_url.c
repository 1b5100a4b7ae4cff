/* Fuzzes split, decode and normalize: no crash, and a normalized path
 * starts with '/', holds no "." or ".." segment and normalizes to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/http_parser.h"

static int has_dot_segment(const char *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] != '/') continue;
    size_t k = i + 1;
    while (k < n && p[k] == '.') k++;
    if (k - i - 1 >= 1 && k - i - 1 <= 2 && (k == n || p[k] == '/')) return 1;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  eddy_http_slice_t path, query;
  eddy_http_url_split((const char *)data, size, &path, &query);
  if (path.len + query.len > size) abort();
  char *buf = malloc(size + 1);
  if (!buf) abort();
  ssize_t n = eddy_http_url_decode(path.base, path.len, buf, 0);
  if (n > (ssize_t)path.len) abort();
  if (n > 0 && buf[0] == '/') {
    ssize_t m = eddy_http_path_normalize(buf, (size_t)n);
    if (m <= 0 || m > n || buf[0] != '/' || has_dot_segment(buf, (size_t)m))
      abort();
    if (eddy_http_path_normalize(buf, (size_t)m) != m) abort();
  }
  ssize_t q = eddy_http_url_decode(query.base, query.len, buf, 1);
  if (q > (ssize_t)query.len) abort();
  free(buf);
  return 0;
}

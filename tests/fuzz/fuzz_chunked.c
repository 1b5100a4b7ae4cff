/* Fuzzes the chunked decoder: no crash, and the same result, consumed
 * count and data whether decoded at once into another buffer or in place
 * in pieces. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/http_parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  eddy_http_limits_t lim = {.max_body = 4096, .max_chunk_ext = 32,
                            .max_trailer_bytes = 128};
  eddy_http_chunked_t d;
  size_t used, made;
  char *out = malloc(size + 1), *copy = malloc(size + 1);
  if (!out || !copy) abort();
  eddy_http_chunked_init(&d, &lim);
  int whole = eddy_http_chunked_decode(&d, (const char *)data, size, out,
                                       &used, &made);
  if (used > size || made > used) abort();
  memcpy(copy, data, size);
  eddy_http_chunked_init(&d, &lim);
  size_t step = size ? (size_t)data[0] % 7 + 1 : 1, at = 0, total = 0;
  int r = EDDY_HTTP_INCOMPLETE;
  while (at < size) {
    size_t n = size - at < step ? size - at : step, u, m;
    r = eddy_http_chunked_decode(&d, copy + at, n, copy + total, &u, &m);
    at += u, total += m;
    if (r != EDDY_HTTP_INCOMPLETE) break;
  }
  if (size == 0) r = whole;
  if (r != whole || at != used || total != made || memcmp(out, copy, made))
    abort();
  free(out);
  free(copy);
  return 0;
}

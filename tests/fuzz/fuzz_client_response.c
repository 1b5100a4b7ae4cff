/* Fuzzes the client's response-head parser and the body framing after
 * it: no crash or over-read; a head it accepts has a status 100..999,
 * slices inside the input and a length within it, and every shorter
 * prefix of an accepted head is "incomplete", never a different answer.
 * A chunked body after the head goes through the chunked decoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/client.h"

#define MAX_HEADERS 32

static void inside(const char *b, size_t n, eddy_http_slice_t s) {
  if (s.len && (s.base < b || s.base + s.len > b + n)) abort();
}

static void check_head(const char *b, size_t n, int r,
                       const eddy_client_head_t *h) {
  if ((size_t)r > n || h->status < 100 || h->status > 999) abort();
  if (h->nheaders > MAX_HEADERS) abort();
  inside(b, n, h->reason);
  for (size_t i = 0; i < h->nheaders; i++) {
    inside(b, n, h->headers[i].name);
    inside(b, n, h->headers[i].value);
    if (!h->headers[i].name.len) abort();
  }
  if ((h->flags & EDDY_CLIENT_F_CHUNKED) && h->content_length >= 0) abort();
}

static void check_prefixes(const char *b, int r) {
  eddy_http_header_t hdrs[MAX_HEADERS];
  eddy_client_head_t h;
  for (int cut = 0; cut < r && r <= 1024; cut++)
    if (eddy_client_parse_response(b, (size_t)cut, &h, hdrs, MAX_HEADERS,
                                   4096) != EDDY_HTTP_INCOMPLETE)
      abort();
}

static void decode_body(const char *b, size_t n) {
  char *copy = malloc(n ? n : 1);
  if (!copy) abort();
  memcpy(copy, b, n);
  eddy_http_chunked_t d;
  eddy_http_limits_t lim = {.max_body = 1 << 20};
  size_t used, made;
  eddy_http_chunked_init(&d, &lim);
  int r = eddy_http_chunked_decode(&d, copy, n, copy, &used, &made);
  if (used > n || made > used || (r > 0)) abort();
  free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *b = (const char *)data;
  eddy_http_header_t hdrs[MAX_HEADERS];
  eddy_client_head_t h;
  int r = eddy_client_parse_response(b, size, &h, hdrs, MAX_HEADERS, 4096);
  if (r == EDDY_HTTP_INCOMPLETE || r == -EPROTO) return 0;
  if (r <= 0) abort();
  check_head(b, size, r, &h);
  check_prefixes(b, r);
  if (h.flags & EDDY_CLIENT_F_CHUNKED) decode_body(b + r, size - (size_t)r);
  return 0;
}

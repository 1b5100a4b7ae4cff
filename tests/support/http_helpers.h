/*
 * Helpers for the HTTP parser tests: feeding a request whole, byte by
 * byte and in random pieces (with last_len), and placing bytes right before
 * a PROT_NONE page so that any read past the end faults.
 */
#ifndef EDDY_TEST_HTTP_HELPERS_H
#define EDDY_TEST_HTTP_HELPERS_H

#include <stddef.h>

#include "eddy/http.h"

/* A page pair whose second page is PROT_NONE; `put` copies n bytes so that
 * they end exactly at the guard page and returns where they start. */
typedef struct {
  char *base;
  size_t page;
} guard_t;

void guard_init(guard_t *g);
char *guard_put(guard_t *g, const void *bytes, size_t n);
void guard_free(guard_t *g);

/* Parses `n` bytes as one call, placed before g's guard page; the slices
 * in *req stay valid until the next use of `g`. */
int http_parse_whole(guard_t *g, const char *buf, size_t n,
                     eddy_http_request_t *req, eddy_http_header_t *h,
                     size_t max);

/* Feeds growing prefixes (steps from `seed`: 0 = one byte at a time),
 * each placed before g's guard page, passing last_len; returns the first
 * result that is not EDDY_HTTP_INCOMPLETE, or the last one. */
int http_parse_pieces(guard_t *g, const char *buf, size_t n, unsigned seed,
                      eddy_http_request_t *req, eddy_http_header_t *h,
                      size_t max);

#endif

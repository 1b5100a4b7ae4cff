/*
 * Helpers for the `eddy serve` app tests: one libcurl request with chosen
 * headers (and a body), its status, headers and body kept; a header's
 * value.
 */
#ifndef EDDY_TEST_SERVE_HELPERS_H
#define EDDY_TEST_SERVE_HELPERS_H

#include <stddef.h>

#include "support/e2e_helpers.h"

typedef struct {
  long status;
  char *head; /* every response header line, as received */
  size_t head_len;
  char *body;
  size_t body_len;
} served_t;

/* `method` ("GET", "HEAD"...) of `path` on the server with the
 * NULL-terminated `headers` ("Name: value"; may be NULL). Asserts the
 * transfer works. Free with served_free. */
void serve_request(const e2e_server_t *s, const char *method,
                   const char *path, const char *const *headers,
                   served_t *out);
/* As serve_request, sending `body` (`len` bytes) with the request and a
 * Content-Type header `type` (e.g. "application/json"). */
void serve_request_with_body(const e2e_server_t *s, const char *method,
                             const char *path, const char *type,
                             const char *body, size_t len, served_t *out);
void served_free(served_t *r);
/* The value of the last header `name` (case-insensitive) in r->head, in a
 * static buffer, or NULL. */
const char *served_header(const served_t *r, const char *name);

#endif

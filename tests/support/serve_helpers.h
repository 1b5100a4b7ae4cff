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
/* serve_request with a request body of `len` bytes sent with
 * `content_type` (NULL: no Content-Type header at all). */
void serve_request_body(const e2e_server_t *s, const char *method,
                        const char *path, const char *content_type,
                        const void *body, size_t len, served_t *out);

/* One request, every part optional but method and path. */
typedef struct {
  const char *method, *path;
  const char *const *headers; /* NULL-terminated "Name: value", or NULL */
  const char *content_type;   /* with a body: NULL sends none */
  const void *body;           /* NULL: no body */
  size_t body_len;
  long timeout_ms;            /* the whole transfer; 0: 20 s */
} serve_call_t;
/* Performs `call` without asserting (safe off the test's thread): the
 * CURLcode (0 when an answer came, whatever its status). *out is filled
 * either way; free it with served_free. */
int serve_perform(const e2e_server_t *s, const serve_call_t *call,
                  served_t *out);
void served_free(served_t *r);
/* The value of the last header `name` (case-insensitive) in r->head, in a
 * static buffer, or NULL. */
const char *served_header(const served_t *r, const char *name);

#endif

/*
 * Bodies in end-to-end tests: a growing buffer that libcurl writes a
 * response into (or reads an upload from), a libcurl handle set up for
 * one URL, and the body of a response read with e2e_read_response.
 */
#ifndef EDDY_TEST_BODY_HELPERS_H
#define EDDY_TEST_BODY_HELPERS_H

#include <curl/curl.h>
#include <stddef.h>

/* Bytes p[0..len) of a malloc'd buffer of cap bytes; pos is where
 * grow_read continues. Zero-initialise; free(p) when done. */
typedef struct {
  char *p;
  size_t len, cap, pos;
} grow_t;

/* libcurl write (or header) callback: appends to the grow_t `ud`. */
size_t grow_write(char *p, size_t sz, size_t n, void *ud);
/* libcurl read callback: hands out the grow_t `ud` from pos in small,
 * odd-sized pieces (so chunk sizes vary). */
size_t grow_read(char *p, size_t sz, size_t n, void *ud);
/* An easy handle for http://127.0.0.1:port/path writing into `out`, with
 * a 10 s timeout (asserts on failure). */
CURL *curl_for(int port, const char *path, grow_t *out);
/* The body of a response text (after the blank line), "" if none. */
const char *body_of(const char *resp);

#endif

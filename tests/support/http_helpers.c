/* See http_helpers.h. */
#include "support/http_helpers.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

void guard_init(guard_t *g) {
  g->page = (size_t)sysconf(_SC_PAGESIZE);
  g->base = mmap(NULL, g->page * 9, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  cr_assert_neq(g->base, MAP_FAILED);
  cr_assert_eq(mprotect(g->base + g->page * 8, g->page, PROT_NONE), 0);
}

char *guard_put(guard_t *g, const void *bytes, size_t n) {
  cr_assert_leq(n, g->page * 8);
  char *at = g->base + g->page * 8 - n;
  memcpy(at, bytes, n);
  return at;
}

void guard_free(guard_t *g) { munmap(g->base, g->page * 9); }

int http_parse_whole(guard_t *g, const char *buf, size_t n,
                     eddy_http_request_t *req, eddy_http_header_t *h,
                     size_t max) {
  char *at = guard_put(g, buf, n);
  return eddy_http_parse_request(at, n, req, h, max, 0, NULL);
}

int http_parse_pieces(guard_t *g, const char *buf, size_t n, unsigned seed,
                      eddy_http_request_t *req, eddy_http_header_t *h,
                      size_t max) {
  size_t last = 0, len = 0;
  int r = EDDY_HTTP_INCOMPLETE;
  while (len < n) {
    size_t step = seed ? (size_t)(rand_r(&seed) % 23) + 1 : 1;
    len = n - len < step ? n : len + step;
    char *at = guard_put(g, buf, len);
    r = eddy_http_parse_request(at, len, req, h, max, last, NULL);
    if (r != EDDY_HTTP_INCOMPLETE) return r;
    last = len;
  }
  return r;
}

/* Bodies in end-to-end tests: see body_helpers.h. */
#include "support/body_helpers.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t grow_write(char *p, size_t sz, size_t n, void *ud) {
  grow_t *b = ud;
  size_t k = sz * n;
  if (b->len + k > b->cap) {
    b->cap = (b->len + k) * 2;
    b->p = realloc(b->p, b->cap);
    cr_assert(b->p);
  }
  memcpy(b->p + b->len, p, k);
  b->len += k;
  return k;
}

size_t grow_read(char *p, size_t sz, size_t n, void *ud) {
  grow_t *b = ud;
  size_t k = sz * n < 7001 ? sz * n : 7001;
  if (k > b->len - b->pos) k = b->len - b->pos;
  memcpy(p, b->p + b->pos, k);
  b->pos += k;
  return k;
}

CURL *curl_for(int port, const char *path, grow_t *out) {
  char url[256];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
  CURL *c = curl_easy_init();
  cr_assert(c);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
  return c;
}

const char *body_of(const char *resp) {
  const char *p = strstr(resp, "\r\n\r\n");
  return p ? p + 4 : "";
}

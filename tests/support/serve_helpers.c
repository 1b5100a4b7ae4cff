/* See serve_helpers.h. */
#include "support/serve_helpers.h"

#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
  char **p;
  size_t *len;
} sink_t;

static size_t collect(char *data, size_t sz, size_t n, void *ud) {
  sink_t *k = ud;
  size_t add = sz * n;
  *k->p = realloc(*k->p, *k->len + add + 1);
  cr_assert(*k->p);
  memcpy(*k->p + *k->len, data, add);
  *k->len += add;
  (*k->p)[*k->len] = '\0';
  return add;
}

void serve_request(const e2e_server_t *s, const char *method,
                   const char *path, const char *const *headers,
                   served_t *out) {
  memset(out, 0, sizeof(*out));
  out->head = calloc(1, 1);
  out->body = calloc(1, 1);
  char url[2048];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
  CURL *c = curl_easy_init();
  struct curl_slist *list = NULL;
  for (size_t i = 0; headers && headers[i]; i++)
    list = curl_slist_append(list, headers[i]);
  sink_t head = {&out->head, &out->head_len};
  sink_t body = {&out->body, &out->body_len};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  if (!strcmp(method, "HEAD")) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  CURLcode rc = curl_easy_perform(c);
  cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
}

void served_free(served_t *r) {
  free(r->head);
  free(r->body);
  memset(r, 0, sizeof(*r));
}

const char *served_header(const served_t *r, const char *name) {
  static char value[1024];
  const char *found = NULL;
  size_t n = strlen(name);
  for (const char *p = r->head; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
    if (!strncasecmp(p, name, n) && p[n] == ':') found = p + n + 1;
  if (!found) return NULL;
  while (*found == ' ') found++;
  size_t len = strcspn(found, "\r\n");
  if (len >= sizeof(value)) len = sizeof(value) - 1;
  memcpy(value, found, len);
  value[len] = '\0';
  return value;
}

void serve_request_with_body(const e2e_server_t *s, const char *method,
                             const char *path, const char *type,
                             const char *body, size_t len, served_t *out) {
  memset(out, 0, sizeof(*out));
  out->head = calloc(1, 1);
  out->body = calloc(1, 1);
  char url[2048], content_type[256];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, path);
  snprintf(content_type, sizeof(content_type), "Content-Type: %s", type);
  CURL *c = curl_easy_init();
  struct curl_slist *list = curl_slist_append(NULL, content_type);
  list = curl_slist_append(list, "Expect:"); /* no 100-continue wait */
  sink_t head = {&out->head, &out->head_len};
  sink_t sink = {&out->body, &out->body_len};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  CURLcode rc = curl_easy_perform(c);
  cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
}

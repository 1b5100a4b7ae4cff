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

/* A body's headers: Content-Type as given (an empty "Content-Type:"
 * stops libcurl's form default) and no Expect: 100-continue. */
static struct curl_slist *body_headers(struct curl_slist *list,
                                       const serve_call_t *call) {
  char ct[256];
  snprintf(ct, sizeof(ct), "Content-Type:%s%s", call->content_type ? " " : "",
           call->content_type ? call->content_type : "");
  list = curl_slist_append(list, ct);
  return curl_slist_append(list, "Expect:");
}

int serve_perform(const e2e_server_t *s, const serve_call_t *call,
                  served_t *out) {
  memset(out, 0, sizeof(*out));
  out->head = calloc(1, 1);
  out->body = calloc(1, 1);
  char url[2048];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", s->port, call->path);
  CURL *c = curl_easy_init();
  struct curl_slist *list = NULL;
  for (size_t i = 0; call->headers && call->headers[i]; i++)
    list = curl_slist_append(list, call->headers[i]);
  if (call->body) {
    list = body_headers(list, call);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, call->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)call->body_len);
  }
  sink_t head = {&out->head, &out->head_len};
  sink_t body = {&out->body, &out->body_len};
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, call->method);
  if (!strcmp(call->method, "HEAD")) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &head);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   call->timeout_ms ? call->timeout_ms : 20000L);
  CURLcode rc = curl_easy_perform(c);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  return (int)rc;
}

void serve_request(const e2e_server_t *s, const char *method,
                   const char *path, const char *const *headers,
                   served_t *out) {
  serve_call_t call = {.method = method, .path = path, .headers = headers};
  int rc = serve_perform(s, &call, out);
  cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path,
               curl_easy_strerror((CURLcode)rc));
}

void serve_request_body(const e2e_server_t *s, const char *method,
                        const char *path, const char *content_type,
                        const void *body, size_t len, served_t *out) {
  serve_call_t call = {.method = method, .path = path,
                       .content_type = content_type, .body = body,
                       .body_len = len};
  int rc = serve_perform(s, &call, out);
  cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path,
               curl_easy_strerror((CURLcode)rc));
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

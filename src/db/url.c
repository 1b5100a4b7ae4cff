/*
 * The host of a postgres:// URL, checked so that libpq never resolves a
 * name on the loop: a numeric address becomes `hostaddr` (libpq then
 * skips DNS), `localhost` becomes 127.0.0.1, a Unix-socket directory or no
 * host (libpq's default socket) needs nothing, and any other name is
 * refused. libpq parses the rest of the URL itself.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "db/db_int.h"

static int hexval(int c) {
  if (isdigit(c)) return c - '0';
  c = tolower(c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes [p, p+n) into a new string; NULL on a bad escape. */
static char *decode(const char *p, size_t n) {
  char *out = malloc(n + 1), *o = out;
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (p[i] != '%') {
      *o++ = p[i];
      continue;
    }
    int hi = i + 2 < n ? hexval((unsigned char)p[i + 1]) : -1;
    int lo = i + 2 < n ? hexval((unsigned char)p[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      free(out);
      return NULL;
    }
    *o++ = (char)(hi * 16 + lo);
    i += 2;
  }
  *o = '\0';
  return out;
}

/* The value of `key=` in the query string, decoded, or NULL. */
static char *query_param(const char *query, const char *key, int *bad) {
  size_t klen = strlen(key);
  for (const char *p = query; p && *p;
       p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
    if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
      const char *v = p + klen + 1;
      char *out = decode(v, strcspn(v, "&"));
      if (!out) *bad = 1;
      return out;
    }
  }
  return NULL;
}

/* The host part of the authority, decoded (brackets of IPv6 removed). */
static char *url_host(const char *url, int *bad) {
  const char *a = strstr(url, "://") + 3;
  size_t alen = strcspn(a, "/?");
  const char *at = memchr(a, '@', alen);
  while (at) { /* the last '@' ends the user information */
    const char *next = memchr(at + 1, '@', alen - (size_t)(at + 1 - a));
    if (!next) break;
    at = next;
  }
  const char *h = at ? at + 1 : a;
  size_t hlen = alen - (size_t)(h - a);
  if (hlen && h[0] == '[') {
    const char *close = memchr(h, ']', hlen);
    if (!close) {
      *bad = 1;
      return NULL;
    }
    return decode(h + 1, (size_t)(close - h - 1));
  }
  const char *colon = memchr(h, ':', hlen);
  if (colon) hlen = (size_t)(colon - h);
  char *out = decode(h, hlen);
  if (!out) *bad = 1;
  return out;
}

static int numeric(const char *host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host, buf) == 1 ||
         inet_pton(AF_INET6, host, buf) == 1;
}

int eddy__db_url_pg(const char *url, char **hostaddr) {
  *hostaddr = NULL;
  int bad = 0;
  const char *query = strchr(url, '?');
  char *addr = query ? query_param(query + 1, "hostaddr", &bad) : NULL;
  char *host = query ? query_param(query + 1, "host", &bad) : NULL;
  if (!host && !bad) host = url_host(url, &bad);
  int err = bad ? -EINVAL : 0;
  if (!err && addr) {
    if (!numeric(addr)) err = -EINVAL; /* libpq takes it as is */
  } else if (!err && host && host[0] && host[0] != '/') {
    if (strcmp(host, "localhost") == 0)
      *hostaddr = strdup("127.0.0.1");
    else if (numeric(host))
      *hostaddr = strdup(host);
    else
      err = -EINVAL; /* a name: DNS would block the loop */
    if (!err && !*hostaddr) err = -ENOMEM;
  }
  free(addr);
  free(host);
  return err;
}

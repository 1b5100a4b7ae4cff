/*
 * Redirects, off unless max_redirects is set, and then for GET and HEAD
 * only (Node follows none; fetch follows 20): a 301, 302, 303, 307 or 308
 * with a Location that is an http:// URL or an absolute path is read to
 * its end, unseen by the caller, and the same request goes to the new
 * target on a connection of that origin. Anything else is the answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"

static int is_redirect(int s) {
  return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/* The absolute URL the Location names, or NULL if it is not followed. */
static char *target_of(creq_t *r, const eddy_http_slice_t *loc) {
  size_t n = loc->len + strlen(r->host->authority) + 8;
  char *url = malloc(n);
  if (!url) return NULL;
  if (loc->len > 7 && strncasecmp(loc->base, "http://", 7) == 0)
    snprintf(url, n, "%.*s", (int)loc->len, loc->base);
  else if (loc->len && loc->base[0] == '/' && (loc->len == 1 || loc->base[1] != '/'))
    snprintf(url, n, "http://%s%.*s", r->host->authority, (int)loc->len,
             loc->base);
  else
    url[0] = '\0';
  eddy_client_url_t u;
  if (!url[0] || eddy_client_url_parse(url, strlen(url), &u) < 0) {
    free(url);
    return NULL;
  }
  return url;
}

void eddy__redirect_check(creq_t *r) {
  r->redirecting = 0;
  if (r->redirects >= r->o.max_redirects || !is_redirect(r->rhead.status))
    return;
  if (strcmp(r->method_name, "GET") && strcmp(r->method_name, "HEAD")) return;
  const eddy_http_header_t *h = eddy_client_find_header(&r->rhead, "location");
  if (!h) return;
  free(r->location);
  r->location = target_of(r, &h->value);
  r->redirecting = r->location != NULL;
}

void eddy__redirect_follow(creq_t *r) {
  free(r->url);
  r->url = r->location;
  r->location = NULL;
  r->redirecting = 0;
  r->redirects++;
  r->got_bytes = 0;
  int rc = eddy_client_url_parse(r->url, strlen(r->url), &r->u);
  if (rc == 0) r->host = eddy__client_host(r->client, &r->u);
  if (rc == 0 && !r->host) rc = -ENOMEM;
  if (rc == 0) rc = eddy__req_compose_head(r);
  if (rc == 0) rc = eddy__req_acquire(r);
  if (rc < 0) {
    r->state = REQ_SENDING; /* not DONE, so the failure is delivered */
    eddy__req_fail(r, rc);
  }
}

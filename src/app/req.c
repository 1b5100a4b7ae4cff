/*
 * Request helpers: what the handler reads (method, path, route,
 * parameters, headers, query, cookies, client address, body) and the
 * per-request storage (locals, arena, deferred callbacks). Parsed things
 * are parsed on first use, into the arena.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app/app_int.h"

eddy_http_request_t *eddy_app_req_http(eddy_app_req_t *req) {
  return req->hreq;
}
eddy_app_res_t *eddy_app_req_res(eddy_app_req_t *req) {
  return eddy__res_of(req);
}
eddy_app_req_t *eddy_app_res_req(eddy_app_res_t *res) { return &res->req; }
eddy_app_t *eddy_app_req_app(eddy_app_req_t *req) { return req->app; }
eddy_loop_t *eddy_app_req_loop(eddy_app_req_t *req) {
  return req->server->loop;
}
eddy_http_server_t *eddy_app_req_server(eddy_app_req_t *req) {
  return req->server;
}
uint64_t eddy_app_req_start_ns(const eddy_app_req_t *req) {
  return req->start_ns;
}

const char *eddy_app_req_method(const eddy_app_req_t *req) {
  const char *m = eddy_http_method_name(req->hreq->method);
  return m ? m : "?";
}

const char *eddy_app_req_path(eddy_app_req_t *req) {
  if (!req->path) {
    const eddy_http_slice_t *p = &req->hreq->path;
    req->path = eddy_app_strndup(req, p->base, p->len);
  }
  return req->path ? req->path : "";
}

const char *eddy_app_req_subpath(eddy_app_req_t *req) {
  const eddy_http_slice_t *p = &req->hreq->path;
  size_t skip = req->prefix_len <= p->len ? req->prefix_len : 0;
  if (skip == p->len) return "/";
  return eddy_app_strndup(req, p->base + skip, p->len - skip);
}

const char *eddy_app_req_route(const eddy_app_req_t *req) {
  return req->match.route ? req->match.route->pattern : NULL;
}

/* The value of `name` among n names, or NULL. */
static const char *find_param(const char *const *names, const char **values,
                              unsigned n, const char *name) {
  for (unsigned i = 0; i < n; i++)
    if (!strcmp(names[i], name)) return values[i];
  return NULL;
}

/* The running middleware's prefix parameters, else the route's. */
const char *eddy_app_req_param(eddy_app_req_t *req, const char *name) {
  const eddy__route_t *route = req->match.route;
  if (!name) return NULL;
  if (req->flags & CTX_MW_PARAMS)
    return find_param(req->mw_names, req->mw_values, req->mw_nparams, name);
  if (!route || !(req->flags & CTX_PARAMS)) return NULL;
  return find_param(route->names, req->param_values, route->nparams, name);
}

const char *eddy_app_req_header(eddy_app_req_t *req, const char *name) {
  const eddy_http_header_t *h = eddy_http_find_header(req->hreq, name,
                                                      strlen(name));
  return h ? eddy_app_strndup(req, h->value.base, h->value.len) : NULL;
}

const char *eddy_app_req_body(const eddy_app_req_t *req, size_t *len) {
  return eddy_http_req_body(req->hreq, len);
}

void *eddy__req_alloc_cb(void *req, size_t size) {
  return eddy_app_alloc(req, size);
}

/* First value of `name` among `n` pairs, or NULL. */
static const char *pair_find(const eddy_app_pair_t *p, ssize_t n,
                             const char *name) {
  for (ssize_t i = 0; i < n; i++)
    if (!strcmp(p[i].name, name)) return p[i].value;
  return NULL;
}

static void parse_query(eddy_app_req_t *req) {
  if (req->flags & CTX_QUERY) return;
  req->flags |= CTX_QUERY;
  req->query = NULL; /* not zeroed per request: see app_int.h */
  const eddy_http_slice_t *q = &req->hreq->query;
  req->nquery = eddy_app_parse_query(q->base, q->len, 0, eddy__req_alloc_cb,
                                     req, &req->query);
  if (req->nquery < 0) req->nquery = 0;
}

const char *eddy_app_req_query(eddy_app_req_t *req, const char *name) {
  parse_query(req);
  return pair_find(req->query, req->nquery, name);
}

size_t eddy_app_req_query_all(eddy_app_req_t *req, const char *name,
                              const char **out, size_t max) {
  size_t n = 0;
  parse_query(req);
  for (ssize_t i = 0; i < req->nquery; i++) {
    if (strcmp(req->query[i].name, name)) continue;
    if (n < max) out[n] = req->query[i].value;
    n++;
  }
  return n;
}

int eddy_app_req_query_at(eddy_app_req_t *req, size_t i, const char **name,
                          const char **value) {
  parse_query(req);
  if ((ssize_t)i >= req->nquery) return -ENOENT;
  *name = req->query[i].name;
  *value = req->query[i].value;
  return 0;
}

const char *eddy_app_req_cookie(eddy_app_req_t *req, const char *name) {
  if (!(req->flags & CTX_COOKIES)) {
    req->flags |= CTX_COOKIES;
    req->cookies = NULL; /* not zeroed per request: see app_int.h */
    req->ncookies = 0;
    /* Several Cookie lines (HTTP/2 proxies) are joined with "; ". */
    const eddy_http_request_t *h = req->hreq;
    for (size_t i = 0; i < h->nheaders; i++) {
      const eddy_http_header_t *f = &h->headers[i];
      if (f->name.len != 6 || strncasecmp(f->name.base, "cookie", 6)) continue;
      eddy_app_pair_t *pairs;
      ssize_t n = eddy_app_parse_cookies(f->value.base, f->value.len,
                                         eddy__req_alloc_cb, req, &pairs);
      if (n <= 0) continue;
      eddy_app_pair_t *all = eddy_app_alloc(req, (size_t)(req->ncookies + n) *
                                                     sizeof(*all));
      if (!all) break;
      if (req->ncookies)
        memcpy(all, req->cookies, (size_t)req->ncookies * sizeof(*all));
      memcpy(all + req->ncookies, pairs, (size_t)n * sizeof(*all));
      req->cookies = all;
      req->ncookies += n;
    }
  }
  return pair_find(req->cookies, req->ncookies, name);
}

/* The connection's peer address as text. */
static const char *peer_ip(eddy_app_req_t *req) {
  struct sockaddr_storage a;
  socklen_t len = sizeof(a);
  char text[INET6_ADDRSTRLEN];
  if (eddy_http_res_peername(eddy_app_res_http(eddy_app_req_res(req)), &a,
                             &len) < 0)
    return NULL;
  const void *ip = a.ss_family == AF_INET6
                       ? (const void *)&((struct sockaddr_in6 *)&a)->sin6_addr
                       : (const void *)&((struct sockaddr_in *)&a)->sin_addr;
  if (!inet_ntop(a.ss_family, ip, text, sizeof(text))) return NULL;
  return eddy_app_strndup(req, text, strlen(text));
}

const char *eddy_app_req_ip(eddy_app_req_t *req) {
  if (!req->app->trust_proxy) return peer_ip(req);
  const char *xff = eddy_app_req_header(req, "X-Forwarded-For");
  if (!xff) return peer_ip(req);
  size_t n = strcspn(xff, ",");
  while (n > 0 && (xff[n - 1] == ' ' || xff[n - 1] == '\t')) n--;
  while (n > 0 && (*xff == ' ' || *xff == '\t')) xff++, n--;
  return n ? eddy_app_strndup(req, xff, n) : NULL;
}

const char *eddy_app_req_form(eddy_app_req_t *req, const char *name) {
  return pair_find(req->form, req->nform, name);
}

int eddy_app_req_form_at(eddy_app_req_t *req, size_t i, const char **name,
                         const char **value) {
  if ((ssize_t)i >= req->nform) return -ENOENT;
  *name = req->form[i].name;
  *value = req->form[i].value;
  return 0;
}

eddy_json_value_t *eddy_app_req_json(eddy_app_req_t *req) { return req->json; }

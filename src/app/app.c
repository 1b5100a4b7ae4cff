/*
 * The app as registered: an ordered list of routes, middleware, error
 * middleware and mounted routers (Express's stack). Nothing is compiled
 * until the first request (compile.c).
 */
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"

eddy_app_t *eddy_app_create(void) { return calloc(1, sizeof(eddy_app_t)); }

void eddy_app_destroy(eddy_app_t *app) {
  if (!app) return;
  for (size_t i = 0; i < app->nentries; i++) {
    free(app->entries[i].path);
    eddy_app_destroy(app->entries[i].router);
  }
  free(app->entries);
  if (app->compiled) eddy__app_compiled_free(app->compiled);
  while (app->free_ctx) {
    eddy__ctx_t *c = app->free_ctx;
    app->free_ctx = c->rr.req.next_free;
    free(c);
  }
  free(app);
}

void **eddy_app_data(eddy_app_t *app) { return &app->data; }

void eddy_app_on_end(eddy_app_t *app, eddy_app_res_cb fn, void *arg) {
  app->on_end = fn;
  app->on_end_arg = arg;
}

int eddy_app_add_end_hook(eddy_app_t *app, eddy_app_res_cb fn, void *arg) {
  if (!app || !fn) return -EINVAL;
  if (app->compiled) return -EBUSY;
  if (app->nend_hooks == 8) return -ENOSPC;
  app->end_hooks[app->nend_hooks] = fn;
  app->end_hook_args[app->nend_hooks++] = arg;
  return 0;
}

void eddy_app_set_trust_proxy(eddy_app_t *app, int trust) {
  app->trust_proxy = trust != 0;
}

/* A prefix without its trailing '/' ("/" and NULL become ""). */
static char *prefix_copy(const char *prefix) {
  if (!prefix) prefix = "/";
  size_t n = strlen(prefix);
  while (n > 0 && prefix[n - 1] == '/') n--;
  return strndup(prefix, n);
}

/* A use() prefix: literal segments and ":name" parameters (checked as in
 * a route pattern); no wildcard. A mount prefix is joined to the routes'
 * patterns, which must stay valid: literal segments only. */
static int prefix_ok(const char *prefix, int params) {
  return !prefix || (eddy__router_check(prefix) == 0 &&
                     !strpbrk(prefix, params ? "?*#" : "?:*#"));
}

static int add_entry(eddy_app_t *app, const eddy__entry_t *e) {
  if (app->compiled) return -EBUSY;
  if (app->nentries == app->capentries) {
    size_t cap = app->capentries ? 2 * app->capentries : 8;
    eddy__entry_t *n = realloc(app->entries, cap * sizeof(*n));
    if (!n) return -ENOMEM;
    app->entries = n, app->capentries = cap;
  }
  app->entries[app->nentries++] = *e;
  return 0;
}

/* Same method and same shape (parameter names aside). */
static int same_route(const eddy__entry_t *e, eddy_http_method_t m,
                      const char *pattern) {
  if (e->kind != ENTRY_ROUTE || e->method != m) return 0;
  const char *a = e->path, *b = pattern;
  while (*a && *b) {
    if ((*a == ':' || *a == '*') && *a == *b) {
      a += strcspn(a, "/"), b += strcspn(b, "/");
      continue;
    }
    if (*a++ != *b++) return 0;
  }
  return (*a == *b) || (!strcmp(a, "/") && !*b) || (!*a && !strcmp(b, "/"));
}

int eddy_app_route(eddy_app_t *app, eddy_http_method_t method,
                   const char *pattern, eddy_app_handler_cb fn, void *arg) {
  if (!app || !fn || (unsigned)method >= EDDY_HTTP_METHOD_COUNT ||
      eddy__router_check(pattern))
    return -EINVAL;
  if (app->compiled) return -EBUSY;
  for (size_t i = 0; i < app->nentries; i++)
    if (same_route(&app->entries[i], method, pattern)) return -EEXIST;
  eddy__entry_t e = {.kind = ENTRY_ROUTE,
                     .method = method,
                     .fn = fn,
                     .arg = arg,
                     .path = strdup(pattern)};
  if (!e.path) return -ENOMEM;
  int r = add_entry(app, &e);
  if (r) free(e.path);
  return r;
}

static int add_layer(eddy_app_t *app, eddy__entry_t *e, const char *prefix) {
  if (!app || !prefix_ok(prefix, e->kind != ENTRY_MOUNT)) return -EINVAL;
  if (app->compiled) return -EBUSY;
  if (!(e->path = prefix_copy(prefix))) return -ENOMEM;
  int r = add_entry(app, e);
  if (r) free(e->path);
  return r;
}

int eddy_app_use(eddy_app_t *app, const char *prefix, eddy_app_handler_cb fn,
                 void *arg) {
  if (!fn) return -EINVAL;
  eddy__entry_t e = {.kind = ENTRY_USE, .fn = fn, .arg = arg};
  return add_layer(app, &e, prefix);
}

int eddy_app_use_error(eddy_app_t *app, const char *prefix,
                       eddy_app_error_cb fn, void *arg) {
  if (!fn) return -EINVAL;
  eddy__entry_t e = {.kind = ENTRY_ERROR, .efn = fn, .arg = arg};
  return add_layer(app, &e, prefix);
}

/* Whether `app` is `router` or mounted somewhere below it (a cycle). */
static int reaches(const eddy_app_t *router, const eddy_app_t *app) {
  if (router == app) return 1;
  for (size_t i = 0; i < router->nentries; i++)
    if (router->entries[i].router && reaches(router->entries[i].router, app))
      return 1;
  return 0;
}

int eddy_app_mount(eddy_app_t *app, const char *prefix, eddy_app_t *router) {
  if (!app || !router || router->mounted || router->compiled ||
      reaches(router, app))
    return -EINVAL;
  eddy__entry_t e = {.kind = ENTRY_MOUNT, .router = router};
  int r = add_layer(app, &e, prefix);
  if (r == 0) router->mounted = 1;
  return r;
}

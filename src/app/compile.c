/*
 * Compiles an app on its first request: mounted routers are flattened into
 * one middleware list with full prefixes, and every route goes into one
 * tree with its full pattern and its place in the list (so a middleware
 * registered after a route runs after it, as in Express).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"
#include "eddy/log.h"

static int grow(void **arr, size_t *cap, size_t n, size_t size) {
  if (n < *cap) return 0;
  size_t ncap = *cap ? 2 * *cap : 16;
  void *p = realloc(*arr, ncap * size);
  if (!p) return -ENOMEM;
  *arr = p, *cap = ncap;
  return 0;
}

/* A string owned by the compiled app ("%s%s" of a and b). */
static char *own(eddy__compiled_t *c, const char *a, const char *b) {
  if (grow((void **)&c->strings, &c->capstrings, c->nstrings, sizeof(char *)))
    return NULL;
  size_t n = strlen(a) + strlen(b) + 1;
  char *s = malloc(n);
  if (!s) return NULL;
  snprintf(s, n, "%s%s", a, b);
  return c->strings[c->nstrings++] = s;
}

static int add_mw(eddy__compiled_t *c, const eddy__entry_t *e,
                  const char *prefix) {
  if (grow((void **)&c->mws, &c->capmw, c->nmw, sizeof(eddy__mw_t)))
    return -ENOMEM;
  char *full = own(c, prefix, e->path);
  char *label = full ? own(c, e->kind == ENTRY_ERROR ? "error " : "use ",
                           *full ? full : "/")
                     : NULL;
  char *names = label && strchr(full, ':') ? own(c, full, "") : label;
  if (!names) return -ENOMEM;
  eddy__mw_t *mw = &c->mws[c->nmw++];
  *mw = (eddy__mw_t){.is_error = e->kind == ENTRY_ERROR,
                     .prefix = full,
                     .prefix_len = strlen(full),
                     .label = label,
                     .fn = e->fn,
                     .efn = e->efn,
                     .arg = e->arg};
  if (names != label) mw->nparams = eddy__prefix_names(names, mw->names);
  return 0;
}

static int add_route(eddy__compiled_t *c, const eddy__entry_t *e,
                     const char *prefix) {
  if (grow((void **)&c->routes, &c->caproutes, c->nroutes, sizeof(void *)))
    return -ENOMEM;
  const char *pat = (*prefix && !strcmp(e->path, "/")) ? "" : e->path;
  char *full = own(c, prefix, pat);
  const char *mname = eddy_http_method_name(e->method);
  char *m = full ? own(c, mname ? mname : "ALL", " ") : NULL;
  char *label = m ? own(c, m, full) : NULL;
  char *names = full ? own(c, full, "") : NULL;
  eddy__route_t *r = calloc(1, sizeof(*r));
  if (!label || !names || !r) return free(r), -ENOMEM;
  *r = (eddy__route_t){.method = e->method,
                       .pattern = full,
                       .label = label,
                       .fn = e->fn,
                       .arg = e->arg,
                       .seq = c->nmw};
  c->routes[c->nroutes++] = r;
  int err = eddy__router_insert(&c->tree, r, names);
  if (err == -EEXIST) {
    eddy_log(EDDY_LOG_WARN,
             "app: route %s is registered twice; the first "
             "one answers",
             label);
    return 0;
  }
  return err;
}

static int flatten(eddy__compiled_t *c, const eddy_app_t *app,
                   const char *prefix) {
  for (size_t i = 0; i < app->nentries; i++) {
    const eddy__entry_t *e = &app->entries[i];
    int r;
    if (e->kind == ENTRY_ROUTE) {
      r = add_route(c, e, prefix);
    } else if (e->kind == ENTRY_MOUNT) {
      char *sub = own(c, prefix, e->path);
      r = sub ? flatten(c, e->router, sub) : -ENOMEM;
    } else {
      r = add_mw(c, e, prefix);
    }
    if (r) return r;
  }
  return 0;
}

void eddy__app_compiled_free(eddy__compiled_t *c) {
  eddy__router_free(c->tree);
  for (size_t i = 0; i < c->nroutes; i++) free(c->routes[i]);
  for (size_t i = 0; i < c->nstrings; i++) free(c->strings[i]);
  free(c->routes);
  free(c->strings);
  free(c->mws);
  free(c);
}

int eddy__app_compile(eddy_app_t *app) {
  eddy__compiled_t *c = calloc(1, sizeof(*c));
  if (!c) return -ENOMEM;
  int r = flatten(c, app, "");
  if (r) {
    eddy__app_compiled_free(c);
    return r;
  }
  app->compiled = c;
  return 0;
}

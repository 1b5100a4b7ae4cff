/* Per-request storage: res.locals, the arena, deferred callbacks. */
#include <stdio.h>
#include <string.h>

#include "app/app_int.h"

int eddy_app_locals_set(eddy_app_req_t *req, const char *key, void *value) {
  for (eddy__local_t *l = req->locals; l; l = l->next)
    if (!strcmp(l->key, key)) return l->value = value, 0;
  eddy__local_t *l = eddy_app_alloc(req, sizeof(*l));
  char *k = eddy_app_strndup(req, key, strlen(key));
  if (!l || !k) return -ENOMEM;
  l->key = k;
  l->value = value;
  l->next = req->locals;
  req->locals = l;
  return 0;
}

void *eddy_app_locals_get(eddy_app_req_t *req, const char *key) {
  for (eddy__local_t *l = req->locals; l; l = l->next)
    if (!strcmp(l->key, key)) return l->value;
  return NULL;
}

void *eddy_app_alloc(eddy_app_req_t *req, size_t size) {
  return eddy__arena_alloc(&req->arena, size);
}

void *eddy_app_alloc_zero(eddy_app_req_t *req, size_t size) {
  void *p = eddy__arena_alloc(&req->arena, size);
  if (p) memset(p, 0, size);
  return p;
}

char *eddy_app_strndup(eddy_app_req_t *req, const char *s, size_t n) {
  char *p = eddy__arena_alloc(&req->arena, n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *eddy_app_printf(eddy_app_req_t *req, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = n >= 0 ? eddy__arena_alloc(&req->arena, (size_t)n + 1) : NULL;
  if (p) vsnprintf(p, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return p;
}

int eddy_app_defer(eddy_app_req_t *req, void (*fn)(void *), void *arg) {
  return eddy__arena_defer(&req->arena, fn, arg);
}

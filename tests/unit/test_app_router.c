/*
 * The route tree alone (src/app/router.c): precedence whatever the order
 * of registration, parameters, wildcards, trailing slashes, methods,
 * 1,000 routes, bad patterns.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/router.h"

TestSuite(app_router, .timeout = 10);

typedef struct {
  eddy__rnode_t *root;
  eddy__route_t routes[64];
  char names[64][128];
  int n;
} table_t;

static void h(eddy_app_req_t *q, eddy_app_res_t *s, void *a) {}

static int add(table_t *t, eddy_http_method_t m, const char *pattern) {
  eddy__route_t *r = &t->routes[t->n];
  *r = (eddy__route_t){.method = m, .pattern = pattern, .fn = h};
  int rc = eddy__router_insert(&t->root, r, t->names[t->n]);
  if (rc == 0) t->n++;
  return rc;
}

static eddy__match_t m;

/* The pattern of the route that answers, or "404" / "405". */
static const char *look(table_t *t, eddy_http_method_t meth,
                        const char *path) {
  int r = eddy__router_match(t->root, meth, path, strlen(path), &m);
  if (r < 0) return "404";
  if (r == 0) return "405";
  return m.route->pattern;
}

static const char *param(unsigned i) {
  static char buf[256];
  cr_assert_lt(i, m.nparams);
  snprintf(buf, sizeof buf, "%.*s", (int)m.params[i].len, m.params[i].base);
  return buf;
}

static void precedence(const char **order) {
  table_t t = {0};
  for (int i = 0; i < 3; i++) cr_assert_eq(add(&t, EDDY_HTTP_GET, order[i]), 0);
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/users/me"), "/users/me");
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/users/42"), "/users/:id");
  cr_assert_str_eq(param(0), "42");
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/users/42/x"), "/users/*");
  cr_assert_str_eq(param(0), "42/x");
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/users/"), "/users/*");
  cr_assert_str_eq(param(0), "");
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/users"), "404");
  eddy__router_free(t.root);
}

Test(app_router, literal_beats_param_beats_wildcard_in_any_order) {
  const char *a[] = {"/users/me", "/users/:id", "/users/*"};
  const char *b[] = {"/users/*", "/users/:id", "/users/me"};
  const char *c[] = {"/users/:id", "/users/*", "/users/me"};
  precedence(a);
  precedence(b);
  precedence(c);
}

Test(app_router, backtracks_when_the_literal_branch_leads_nowhere) {
  table_t t = {0};
  add(&t, EDDY_HTTP_GET, "/a/b/c");
  add(&t, EDDY_HTTP_GET, "/a/:x/d");
  add(&t, EDDY_HTTP_GET, "/a/*rest");
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/a/b/c"), "/a/b/c");
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/a/b/d"), "/a/:x/d");
  cr_assert_eq(m.nparams, 1);
  cr_assert_str_eq(param(0), "b");
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/a/b/e"), "/a/*rest");
  cr_assert_eq(m.nparams, 1);
  cr_assert_str_eq(param(0), "b/e");
  cr_assert_str_eq(t.routes[2].names[0], "rest");
  eddy__router_free(t.root);
}

Test(app_router, several_params_and_names) {
  table_t t = {0};
  add(&t, EDDY_HTTP_GET, "/u/:uid/posts/:pid");
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/u/7/posts/9"),
                   "/u/:uid/posts/:pid");
  cr_assert_eq(m.nparams, 2);
  cr_assert_str_eq(param(0), "7");
  cr_assert_str_eq(param(1), "9");
  cr_assert_str_eq(m.route->names[0], "uid");
  cr_assert_str_eq(m.route->names[1], "pid");
  /* A parameter is a whole non-empty segment. */
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/u//posts/9"), "404");
  /* One trailing slash is ignored. */
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/u/7/posts/9/"),
                   "/u/:uid/posts/:pid");
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/u/7/posts/9//"), "404");
  eddy__router_free(t.root);
}

Test(app_router, root_and_methods) {
  table_t t = {0};
  add(&t, EDDY_HTTP_GET, "/");
  add(&t, EDDY_HTTP_POST, "/items");
  add(&t, EDDY_HTTP_PUT, "/items");
  add(&t, EDDY_HTTP_METHOD_UNKNOWN, "/any");
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/"), "/");
  cr_assert_str_eq(look(&t, EDDY_HTTP_HEAD, "/"), "/"); /* HEAD -> GET */
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/items"), "405");
  cr_assert_eq(m.allow, (1u << EDDY_HTTP_POST) | (1u << EDDY_HTTP_PUT));
  cr_assert_str_eq(look(&t, EDDY_HTTP_DELETE, "/any"), "/any");
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/nothing"), "404");
  eddy__router_free(t.root);
}

Test(app_router, method_falls_through_to_a_lesser_branch) {
  table_t t = {0};
  add(&t, EDDY_HTTP_POST, "/users/me");
  add(&t, EDDY_HTTP_GET, "/users/:id");
  cr_assert_str_eq(look(&t, EDDY_HTTP_GET, "/users/me"), "/users/:id");
  cr_assert_str_eq(look(&t, EDDY_HTTP_DELETE, "/users/me"), "405");
  /* Allow is the union over every route of the path. */
  cr_assert_eq(m.allow, (1u << EDDY_HTTP_POST) | (1u << EDDY_HTTP_GET));
  eddy__router_free(t.root);
}

Test(app_router, bad_patterns_and_duplicates) {
  table_t t = {0};
  cr_assert_eq(add(&t, EDDY_HTTP_GET, "users"), -EINVAL);
  cr_assert_eq(add(&t, EDDY_HTTP_GET, "/a/:"), -EINVAL);
  cr_assert_eq(add(&t, EDDY_HTTP_GET, "/a/*/b"), -EINVAL);
  cr_assert_eq(add(&t, EDDY_HTTP_GET, "/a//b"), -EINVAL);
  cr_assert_eq(add(&t, EDDY_HTTP_GET, "/a/:b.c"), -EINVAL);
  char many[256] = "";
  for (int i = 0; i <= EDDY_APP_MAX_PARAMS; i++)
    snprintf(many + strlen(many), sizeof many - strlen(many), "/:p%d", i);
  cr_assert_eq(add(&t, EDDY_HTTP_GET, many), -EINVAL);
  cr_assert_eq(add(&t, EDDY_HTTP_GET, "/a/:id"), 0);
  cr_assert_eq(add(&t, EDDY_HTTP_GET, "/a/:name"), -EEXIST);
  cr_assert_eq(add(&t, EDDY_HTTP_GET, "/a/:id/"), -EEXIST);
  cr_assert_eq(add(&t, EDDY_HTTP_POST, "/a/:id"), 0);
  eddy__router_free(t.root);
}

Test(app_router, a_thousand_routes) {
  eddy__rnode_t *root = NULL;
  eddy__route_t *r = calloc(1000, sizeof(*r));
  char (*pat)[64] = calloc(1000, 64), (*names)[64] = calloc(1000, 64);
  for (int i = 0; i < 1000; i++) {
    snprintf(pat[i], 64, i % 2 ? "/api/v%d/items/:id" : "/static/r%d", i);
    r[i] = (eddy__route_t){.method = EDDY_HTTP_GET, .pattern = pat[i],
                           .fn = h};
    cr_assert_eq(eddy__router_insert(&root, &r[i], names[i]), 0);
  }
  for (int i = 0; i < 1000; i++) {
    char path[64];
    snprintf(path, sizeof path, i % 2 ? "/api/v%d/items/x%d" : "/static/r%d",
             i, i);
    cr_assert_eq(eddy__router_match(root, EDDY_HTTP_GET, path, strlen(path),
                                    &m), 1);
    cr_assert_eq(m.route, &r[i]);
  }
  cr_assert_eq(eddy__router_match(root, EDDY_HTTP_GET, "/static/r1", 10, &m),
               -1);
  eddy__router_free(root);
  free(r), free(pat), free(names);
}

/* The routes next() goes on to: every route that matches the path and the
 * method, in the lookup's order, each with its own parameters. */
Test(app_router, match_next_lists_every_matching_route_in_order) {
  table_t t = {0};
  add(&t, EDDY_HTTP_GET, "/users/:id");
  add(&t, EDDY_HTTP_METHOD_UNKNOWN, "/users/me");
  add(&t, EDDY_HTTP_GET, "/users/*");
  add(&t, EDDY_HTTP_GET, "/users/me");
  add(&t, EDDY_HTTP_POST, "/users/:id");
  const char *want[] = {"/users/me", "/users/me", "/users/:id", "/users/*"};
  eddy_http_method_t want_m[] = {EDDY_HTTP_GET, EDDY_HTTP_METHOD_UNKNOWN,
                                 EDDY_HTTP_GET, EDDY_HTTP_GET};
  for (unsigned k = 0; k < 4; k++) {
    cr_assert_eq(eddy__router_match_next(t.root, EDDY_HTTP_HEAD, "/users/me", 9,
                                         k, &m),
                 1, "skip %u", k);
    cr_assert_str_eq(m.route->pattern, want[k]);
    cr_assert_eq(m.route->method, want_m[k]);
  }
  cr_assert_str_eq(param(0), "me"); /* the wildcard's own parameter */
  cr_assert_eq(eddy__router_match_next(t.root, EDDY_HTTP_HEAD, "/users/me", 9,
                                       4, &m),
               0);
  /* skip 0 is the lookup itself, fast path or not */
  cr_assert_eq(eddy__router_match_next(t.root, EDDY_HTTP_GET, "/users/7", 8, 0,
                                       &m),
               1);
  cr_assert_str_eq(m.route->pattern, "/users/:id");
  cr_assert_str_eq(param(0), "7");
  eddy__router_free(t.root);
}

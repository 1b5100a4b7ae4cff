/*
 * The route table: a tree of path segments (a radix tree whose edges are
 * whole segments). Pure: no loop, no allocation during a lookup; the app
 * builds it once (compile.c) and reads it for every request (dispatch.c).
 */
#ifndef EDDY_APP_ROUTER_H
#define EDDY_APP_ROUTER_H

#include "eddy/app.h"

/* A route as the tree holds it; owned by the compiled app. */
typedef struct eddy__route_s {
  eddy_http_method_t method; /* EDDY_HTTP_METHOD_UNKNOWN: every method */
  const char *pattern;       /* full pattern, mount prefix included */
  const char *label;         /* "GET /users/:id", for the loop's label */
  eddy_app_handler_cb fn;
  void *arg;
  size_t seq; /* middleware registered before it (Express's order) */
  unsigned nparams;
  const char *names[EDDY_APP_MAX_PARAMS]; /* in the pattern's order */
} eddy__route_t;

typedef struct eddy__rnode_s eddy__rnode_t;

/* The result of a lookup. */
typedef struct eddy__match_s {
  const eddy__route_t *route; /* NULL: no route for this method */
  unsigned allow;             /* methods of the path (bit = method) */
  int path_found;             /* some route has this path */
  unsigned nparams;
  unsigned skip; /* routes to pass over before one is taken (match_next) */
  eddy_http_slice_t params[EDDY_APP_MAX_PARAMS]; /* raw, still encoded */
} eddy__match_t;

/* Bit of the "every method" routes in `allow`. */
#define EDDY__ALLOW_ALL 1u

/*
 * Adds `route` (kept, not copied) under its pattern: -EINVAL for a bad
 * pattern (see eddy_app_route), -EEXIST for the same method and pattern
 * shape again, -ENOMEM. Fills route->nparams and route->names (pointers
 * into route->pattern... copied to `names_buf`, which must outlive the
 * tree and hold strlen(pattern) + 1 bytes).
 */
int eddy__router_insert(eddy__rnode_t **root, eddy__route_t *route,
                        char *names_buf);

/* Checks a pattern alone (registration): 0 or -EINVAL. */
int eddy__router_check(const char *pattern);

/*
 * Looks `path` (`len` bytes, starting with '/') up for `method`: returns
 * 1 with m->route set, 0 if the path has routes but none for the method
 * (m->allow says which), -1 if no route has this path.
 */
int eddy__router_match(const eddy__rnode_t *root, eddy_http_method_t method,
                       const char *path, size_t len, eddy__match_t *m);

/*
 * As eddy__router_match, but passes over the first `skip` routes that
 * match the path and the method, in the lookup's order (at each segment
 * literal, then parameter, then wildcard; at one node the method's own
 * route -- GET's for a HEAD without one -- then the every-method route):
 * the routes that next() from a route handler goes on to. Returns 1 with
 * m->route set (and its parameters), else 0 or -1 as eddy__router_match.
 */
int eddy__router_match_next(const eddy__rnode_t *root,
                            eddy_http_method_t method, const char *path,
                            size_t len, unsigned skip, eddy__match_t *m);

/* Frees the tree (not the routes). NULL is a no-op. */
void eddy__router_free(eddy__rnode_t *root);

#endif

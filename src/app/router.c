/*
 * The route tree. Each node stands for one path segment; its children are
 * the literal segments that may follow (sorted; past 8 of them also in a
 * hash table, so a node with 1,000 children costs one hash and one compare
 * like a node with 10), at most one parameter child and at most one
 * wildcard child. A lookup
 * walks the path one segment at a time, trying literal, then parameter,
 * then wildcard, and backtracks when a branch leads nowhere: a node at
 * depth d only ever meets segment d, so no node is visited twice and the
 * cost is bounded by the depth of the path, not the number of routes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/router.h"

struct eddy__rnode_s {
  const char *seg; /* literal segment (points into a route's pattern) */
  size_t seglen;
  eddy__rnode_t **kids; /* literal children, sorted by (length, bytes) */
  size_t nkids, capkids;
  uint32_t *hash; /* nkids > HASH_MIN: slots of index + 1 (0 = empty) */
  size_t hash_mask;
  eddy__rnode_t *param;
  eddy__rnode_t *wild;
  unsigned mask; /* bit m: routes[m] is set */
  const eddy__route_t *routes[EDDY_HTTP_METHOD_COUNT];
};

#define HASH_MIN 8

static uint32_t seg_hash(const char *s, size_t n) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

/* Rebuilds the hash of a node's literal children (after an insert). */
static int rehash(eddy__rnode_t *n) {
  if (n->nkids <= HASH_MIN) return 0;
  size_t size = 16;
  while (size < 4 * n->nkids) size *= 2; /* load <= 1/4: short probes */
  uint32_t *h = calloc(size, sizeof(*h));
  if (!h) return -ENOMEM;
  for (size_t i = 0; i < n->nkids; i++) {
    size_t at = seg_hash(n->kids[i]->seg, n->kids[i]->seglen) & (size - 1);
    while (h[at]) at = (at + 1) & (size - 1);
    h[at] = (uint32_t)i + 1;
  }
  free(n->hash);
  n->hash = h;
  n->hash_mask = size - 1;
  return 0;
}

static int seg_cmp(const char *a, size_t alen, const char *b, size_t blen) {
  if (alen != blen) return alen < blen ? -1 : 1;
  return memcmp(a, b, alen);
}

/* Index of the literal child `seg`, or where it would go (*found 0). */
static size_t find_kid(const eddy__rnode_t *n, const char *seg, size_t len,
                       int *found) {
  size_t lo = 0, hi = n->nkids;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    int c = seg_cmp(n->kids[mid]->seg, n->kids[mid]->seglen, seg, len);
    if (c == 0) return *found = 1, mid;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = 0;
  return lo;
}

/* The literal child `seg` of `n`, or NULL: the lookup's hot path. Up to
 * HASH_MIN children are compared one by one (cheaper than a binary search
 * for so few: a length test rejects most without touching the bytes). */
static const eddy__rnode_t *get_kid(const eddy__rnode_t *n, const char *seg,
                                    size_t len) {
  if (n->hash) {
    size_t at = seg_hash(seg, len) & n->hash_mask;
    for (; n->hash[at]; at = (at + 1) & n->hash_mask) {
      const eddy__rnode_t *k = n->kids[n->hash[at] - 1];
      if (k->seglen == len && !memcmp(k->seg, seg, len)) return k;
    }
    return NULL;
  }
  for (size_t i = 0; i < n->nkids; i++) {
    const eddy__rnode_t *k = n->kids[i];
    if (k->seglen == len && k->seg[0] == seg[0] && !memcmp(k->seg, seg, len))
      return k;
  }
  return NULL;
}

static eddy__rnode_t *literal_kid(eddy__rnode_t *n, const char *seg,
                                  size_t len) {
  int found;
  size_t at = find_kid(n, seg, len, &found);
  if (found) return n->kids[at];
  if (n->nkids == n->capkids) {
    size_t cap = n->capkids ? 2 * n->capkids : 4;
    eddy__rnode_t **k = realloc(n->kids, cap * sizeof(*k));
    if (!k) return NULL;
    n->kids = k, n->capkids = cap;
  }
  eddy__rnode_t *kid = calloc(1, sizeof(*kid));
  if (!kid) return NULL;
  kid->seg = seg, kid->seglen = len;
  memmove(n->kids + at + 1, n->kids + at, (n->nkids - at) * sizeof(*n->kids));
  n->kids[at] = kid;
  n->nkids++;
  if (rehash(n)) { /* the hash would miss it: take it out again */
    memmove(n->kids + at, n->kids + at + 1,
            (n->nkids - at - 1) * sizeof(*n->kids));
    n->nkids--;
    free(kid);
    return NULL;
  }
  return kid;
}

static eddy__rnode_t *special_kid(eddy__rnode_t **slot) {
  if (!*slot) *slot = calloc(1, sizeof(**slot));
  return *slot;
}

static int name_ok(const char *s, size_t n) {
  if (n == 0) return 0;
  for (size_t i = 0; i < n; i++)
    if (!(s[i] == '_' || s[i] == '-' || (s[i] >= '0' && s[i] <= '9') ||
          ((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z')))
      return 0;
  return 1;
}

/* Walks the pattern's segments: kind 'l' literal, ':' param, '*' wild. */
typedef int (*seg_fn)(void *ctx, int kind, const char *s, size_t n);

static int each_segment(const char *pattern, seg_fn fn, void *ctx) {
  if (!pattern || pattern[0] != '/') return -EINVAL;
  size_t len = strlen(pattern), nparams = 0;
  if (len > 1 && pattern[len - 1] == '/') len--; /* "/users/" = "/users" */
  const char *p = pattern + 1, *end = pattern + len;
  while (p < end) {
    const char *slash = memchr(p, '/', (size_t)(end - p));
    const char *e = slash ? slash : end;
    size_t n = (size_t)(e - p);
    int kind = n && *p == ':' ? ':' : n && *p == '*' ? '*' : 'l';
    if (n == 0) return -EINVAL;
    if (kind == ':' && !name_ok(p + 1, n - 1)) return -EINVAL;
    if (kind == '*' && (e != end || (n > 1 && !name_ok(p + 1, n - 1))))
      return -EINVAL;
    if (kind != 'l' && ++nparams > EDDY_APP_MAX_PARAMS) return -EINVAL;
    int r = fn ? fn(ctx, kind, p, n) : 0;
    if (r) return r;
    p = e + 1;
  }
  return 0;
}

int eddy__router_check(const char *pattern) {
  return each_segment(pattern, NULL, NULL);
}

typedef struct {
  eddy__rnode_t *node;
  eddy__route_t *route;
  char *names; /* copy of the pattern, cut into NUL-terminated names */
  const char *pattern;
} insert_t;

static int insert_seg(void *ctx, int kind, const char *s, size_t n) {
  insert_t *in = ctx;
  if (kind == 'l') {
    in->node = literal_kid(in->node, s, n);
  } else {
    char *name = in->names + (s - in->pattern);
    memcpy(name, s + 1, n - 1);
    name[n - 1] = '\0';
    in->route->names[in->route->nparams++] = n > 1 ? name : "*";
    in->node = special_kid(kind == ':' ? &in->node->param : &in->node->wild);
  }
  return in->node ? 0 : -ENOMEM;
}

int eddy__router_insert(eddy__rnode_t **root, eddy__route_t *route,
                        char *names_buf) {
  int r = eddy__router_check(route->pattern);
  if (r) return r;
  if (!*root && !(*root = calloc(1, sizeof(**root)))) return -ENOMEM;
  insert_t in = {*root, route, names_buf, route->pattern};
  route->nparams = 0;
  r = each_segment(route->pattern, insert_seg, &in);
  if (r) return r;
  unsigned m = (unsigned)route->method;
  if (in.node->routes[m]) return -EEXIST;
  in.node->routes[m] = route;
  in.node->mask |= 1u << m;
  return 0;
}

/* The route of node `n` for the method itself (GET's for a HEAD without
 * its own), or NULL. */
static const eddy__route_t *own_route(const eddy__rnode_t *n,
                                      eddy_http_method_t method) {
  if (n->routes[method]) return n->routes[method];
  if (method == EDDY_HTTP_HEAD) return n->routes[EDDY_HTTP_GET];
  return NULL;
}

static const eddy__route_t *pick(const eddy__rnode_t *n,
                                 eddy_http_method_t method) {
  const eddy__route_t *r = own_route(n, method);
  return r ? r : n->routes[EDDY_HTTP_METHOD_UNKNOWN];
}

/* The routes of node `n` apply to the path: take one (after passing over
 * m->skip of them) or note the methods. */
static int accept_node(const eddy__rnode_t *n, eddy_http_method_t method,
                       eddy__match_t *m) {
  if (!n->mask) return 0;
  m->path_found = 1;
  const eddy__route_t *cand[2] = {own_route(n, method),
                                  n->routes[EDDY_HTTP_METHOD_UNKNOWN]};
  if (cand[0] == cand[1]) cand[1] = NULL; /* method UNKNOWN itself */
  if (!cand[0] && !cand[1]) {
    m->allow |= n->mask;
    return 0;
  }
  for (int i = 0; i < 2; i++) {
    if (!cand[i]) continue;
    if (m->skip) {
      m->skip--;
      continue;
    }
    m->route = cand[i];
    return 1;
  }
  return 0;
}

static int push(eddy__match_t *m, const char *s, size_t n) {
  if (m->nparams == EDDY_APP_MAX_PARAMS) return 0;
  m->params[m->nparams].base = s;
  m->params[m->nparams++].len = n;
  return 1;
}

/* `p` is at the '/' before the next segment, or at `end`. */
static int walk(const eddy__rnode_t *n, const char *p, const char *end,
                eddy_http_method_t method, eddy__match_t *m) {
  size_t rest = (size_t)(end - p);
  if (rest <= 1) {
    if (accept_node(n, method, m)) return 1;
  } else {
    const char *seg = p + 1, *e = seg;
    while (e < end && *e != '/') e++; /* segments are short: no memchr */
    const eddy__rnode_t *kid = get_kid(n, seg, (size_t)(e - seg));
    if (kid && walk(kid, e, end, method, m)) return 1;
    if (n->param && e > seg && push(m, seg, (size_t)(e - seg))) {
      if (walk(n->param, e, end, method, m)) return 1;
      m->nparams--;
    }
  }
  if (n->wild && rest >= 1 && push(m, p + 1, rest - 1)) {
    if (accept_node(n->wild, method, m)) return 1;
    m->nparams--;
  }
  return 0;
}

/* The literal child of `n` that the path at `seg` (up to `end`) starts
 * with as a whole segment, or NULL: the same child as get_kid() finds
 * for the segment, but without scanning the segment for its '/' first
 * (literal children have non-empty, distinct segments). */
static const eddy__rnode_t *literal_at(const eddy__rnode_t *n, const char *seg,
                                       const char *end) {
  size_t avail = (size_t)(end - seg);
  if (n->hash) {
    const char *e = seg;
    while (e < end && *e != '/') e++;
    return get_kid(n, seg, (size_t)(e - seg));
  }
  for (size_t i = 0; i < n->nkids; i++) {
    const eddy__rnode_t *k = n->kids[i];
    size_t len = k->seglen, j = 0;
    if (len > avail || (len < avail && seg[len] != '/')) continue;
    while (j < len && k->seg[j] == seg[j]) j++; /* short: no memcmp call */
    if (j == len) return k;
  }
  return NULL;
}

/*
 * The first branch of walk()'s search, without recursion: at each segment
 * the literal child if there is one, else the parameter child, else the
 * wildcard. walk() tries the branches in this same order, depth first, and
 * returns the first that ends at a route for the method; so when this
 * branch ends at one, walk() would return that route with the same
 * parameters (and nothing before it failed: allow stays 0). When it does
 * not, the caller starts over with walk(), which also gathers `allow`.
 */
static int walk_first(const eddy__rnode_t *n, const char *p, const char *end,
                      eddy_http_method_t method, eddy__match_t *m) {
  for (;;) {
    size_t rest = (size_t)(end - p);
    if (rest <= 1) {
      const eddy__route_t *r = n->mask ? pick(n, method) : NULL;
      if (!r) return 0;
      m->route = r, m->path_found = 1;
      return 1;
    }
    const char *seg = p + 1, *e;
    const eddy__rnode_t *kid = literal_at(n, seg, end);
    if (kid) {
      n = kid, p = seg + kid->seglen;
      continue;
    }
    for (e = seg; e < end && *e != '/';) e++;
    if (n->param && e > seg) {
      if (!push(m, seg, (size_t)(e - seg))) return 0;
      n = n->param, p = e;
    } else {
      /* the wildcard takes the rest; walk() accepts it only there */
      return n->wild && push(m, p + 1, rest - 1) &&
             accept_node(n->wild, method, m);
    }
  }
}

static void clear(eddy__match_t *m) {
  m->route = NULL;
  m->allow = 0;
  m->path_found = 0;
  m->nparams = 0;
  m->skip = 0;
}

int eddy__router_match(const eddy__rnode_t *root, eddy_http_method_t method,
                       const char *path, size_t len, eddy__match_t *m) {
  clear(m);
  if (!root || len == 0 || path[0] != '/' ||
      (unsigned)method >= EDDY_HTTP_METHOD_COUNT)
    return -1;
  if (walk_first(root, path, path + len, method, m)) return 1;
  clear(m);
  if (walk(root, path, path + len, method, m)) return 1;
  return m->path_found ? 0 : -1;
}

int eddy__router_match_next(const eddy__rnode_t *root,
                            eddy_http_method_t method, const char *path,
                            size_t len, unsigned skip, eddy__match_t *m) {
  clear(m);
  if (!root || len == 0 || path[0] != '/' ||
      (unsigned)method >= EDDY_HTTP_METHOD_COUNT)
    return -1;
  m->skip = skip;
  if (walk(root, path, path + len, method, m)) return 1;
  return m->path_found ? 0 : -1;
}

void eddy__router_free(eddy__rnode_t *n) {
  if (!n) return;
  for (size_t i = 0; i < n->nkids; i++) eddy__router_free(n->kids[i]);
  free(n->kids);
  free(n->hash);
  eddy__router_free(n->param);
  eddy__router_free(n->wild);
  free(n);
}

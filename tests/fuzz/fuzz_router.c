/*
 * Fuzzes the route tree: the input is a few patterns and a path (lines;
 * the last line is the path). Patterns are inserted (errors are fine);
 * the lookup must not crash, and a match must be consistent: its
 * parameters are slices of the path, as many as the route has names, and
 * a literal route whose pattern equals the path always wins over others,
 * and the non-recursive first try agrees with the full search.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/router.h"

#define MAX_ROUTES 16

static void h(eddy_app_req_t *q, eddy_app_res_t *s, void *a) {}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) abort();
  memcpy(text, data, size);
  text[size] = '\0';
  eddy__route_t routes[MAX_ROUTES];
  char *names[MAX_ROUTES];
  int n = 0;
  eddy__rnode_t *root = NULL;
  char *line = text, *nl;
  while ((nl = strchr(line, '\n')) && n < MAX_ROUTES) {
    *nl = '\0';
    routes[n] = (eddy__route_t){.method = (eddy_http_method_t)(n % 3),
                                .pattern = line, .fn = h};
    names[n] = malloc(strlen(line) + 1);
    if (!names[n]) abort();
    if (eddy__router_insert(&root, &routes[n], names[n]) == 0) n++;
    else free(names[n]);
    line = nl + 1;
  }
  const char *path = line;
  size_t plen = strlen(path);
  for (int m = 0; m < 3; m++) {
    eddy__match_t match;
    int r = eddy__router_match(root, (eddy_http_method_t)m, path, plen,
                               &match);
    if (r == 1) {
      if (match.nparams != match.route->nparams) abort();
      for (unsigned i = 0; i < match.nparams; i++)
        if (match.params[i].base < path ||
            match.params[i].base + match.params[i].len > path + plen)
          abort();
    } else if (r == 0 && !match.allow) {
      abort();
    }
    /* The fast path (walk_first) must agree with the full search. */
    eddy__match_t full;
    int rf = eddy__router_match_next(root, (eddy_http_method_t)m, path, plen,
                                     0, &full);
    if (rf != r || full.route != match.route || full.nparams != match.nparams)
      abort();
    for (unsigned i = 0; i < full.nparams; i++)
      if (full.params[i].base != match.params[i].base ||
          full.params[i].len != match.params[i].len)
        abort();
    if (r != 1 && full.allow != match.allow) abort();
  }
  eddy__router_free(root);
  for (int i = 0; i < n; i++) free(names[i]);
  free(text);
  return 0;
}

/*
 * The application layer's private interface: the app as registered, the
 * app as compiled for serving, and the request context behind
 * eddy_app_req_t / eddy_app_res_t.
 */
#ifndef EDDY_APP_INT_H
#define EDDY_APP_INT_H

#include "app/arena.h"
#include "app/router.h"
#include "eddy/app.h"

/* What was registered, in order (Express's stack). */
typedef enum { ENTRY_ROUTE, ENTRY_USE, ENTRY_ERROR, ENTRY_MOUNT } entry_kind_t;

typedef struct eddy__entry_s {
  entry_kind_t kind;
  eddy_http_method_t method; /* ROUTE */
  char *path;                /* ROUTE: pattern; others: prefix ("" = all) */
  eddy_app_handler_cb fn;    /* ROUTE, USE */
  eddy_app_error_cb efn;     /* ERROR */
  void *arg;
  eddy_app_t *router; /* MOUNT (owned) */
} eddy__entry_t;

/* A middleware of the compiled, flattened list. */
typedef struct eddy__mw_s {
  int is_error;
  const char *prefix; /* full prefix, no trailing '/'; "" for all */
  size_t prefix_len;
  unsigned nparams;                       /* ":name" segments in prefix */
  const char *names[EDDY_APP_MAX_PARAMS]; /* their names, in order */
  const char *label;                      /* "use /api" */
  eddy_app_handler_cb fn;
  eddy_app_error_cb efn;
  void *arg;
} eddy__mw_t;

/* The app compiled on its first request: one list, one tree. */
typedef struct eddy__compiled_s {
  eddy__mw_t *mws;
  size_t nmw, capmw;
  eddy__route_t **routes; /* owned, for freeing */
  size_t nroutes, caproutes;
  eddy__rnode_t *tree;
  char **strings; /* labels, prefixes, patterns: owned */
  size_t nstrings, capstrings;
} eddy__compiled_t;

typedef struct eddy__ctx_s eddy__ctx_t;

struct eddy_app_s {
  void *data;
  eddy__entry_t *entries;
  size_t nentries, capentries;
  int mounted;
  int trust_proxy;
  eddy__compiled_t *compiled; /* NULL until the first request */
  eddy_app_res_cb on_end;
  void *on_end_arg;
  eddy_app_res_cb end_hooks[8]; /* eddy_app_add_end_hook */
  void *end_hook_args[8];
  unsigned nend_hooks;
  eddy__ctx_t *free_ctx; /* recycled request objects */
  unsigned nfree;
};

typedef struct eddy__local_s {
  struct eddy__local_s *next;
  const char *key;
  void *value;
} eddy__local_t;

/* ctx flags */
enum {
  CTX_RUNNING = 1u << 0, /* a layer is running: next() only notes */
  CTX_NEXT = 1u << 1,    /* next() was called during the run */
  CTX_ERROR = 1u << 2,   /* running the error middleware */
  CTX_ROUTE_DONE = 1u << 3,
  CTX_FINISHED = 1u << 4, /* the response is finished: free after run */
  CTX_GONE = 1u << 5,     /* the client left */
  CTX_QUERY = 1u << 6,    /* query parsed */
  CTX_COOKIES = 1u << 7,
  CTX_PARAMS = 1u << 8,    /* params decoded */
  CTX_HEAD_SENT = 1u << 9, /* write() was called */
  CTX_TYPE_SET = 1u << 10, /* Content-Type was set */
  CTX_IN_ROUTE = 1u << 11, /* the layer running now is the route */
  CTX_MW_PARAMS = 1u << 12 /* the middleware running has prefix params */
};

struct eddy_app_req_s {
  /* Zeroed for every request (ctx_get), so keep this part small. */
  unsigned flags;
  int err;
  unsigned routes_passed; /* routes that called next(): see next_route */
  size_t pos;             /* next middleware to consider */
  size_t prefix_len;      /* of the middleware running now (subpath) */
  const char *err_msg;
  uint64_t bytes;
  const char *path; /* NUL-terminated copy, made on demand */
  eddy_app_pair_t *form;
  ssize_t nform;
  eddy_json_value_t *json;
  eddy__local_t *locals;
  eddy_app_res_cb on_close, on_drain;
  void *on_close_arg, *on_drain_arg;
  /* Not zeroed: set by eddy_app_dispatch before anything reads them. */
  eddy_app_t *app;
  eddy__compiled_t *c;
  eddy_http_server_t *server;
  eddy_http_request_t *hreq;
  eddy_http_res_t *hres;
  int status;
  int match_result; /* eddy__router_match's */
  uint64_t start_ns;
  /* Not zeroed: valid only once their flag (CTX_PARAMS, CTX_QUERY,
   * CTX_COOKIES) is set, and the flags are zeroed. */
  const char **param_values;
  const char **mw_values; /* CTX_MW_PARAMS: the running middleware's */
  const char *const *mw_names;
  unsigned mw_nparams;
  eddy_app_pair_t *query, *cookies;
  ssize_t nquery, ncookies;
  /* Not zeroed: the lookup fills what it uses. */
  eddy__match_t match;
  eddy__ctx_t *next_free;
  eddy__arena_t arena;
};

/* The response is the same object seen through another type. */
struct eddy_app_res_s {
  struct eddy_app_req_s req;
};

struct eddy__ctx_s {
  struct eddy_app_res_s rr;
  _Alignas(16) char inline_arena[EDDY__ARENA_CHUNK];
};

static inline eddy_app_res_t *eddy__res_of(eddy_app_req_t *r) {
  return (eddy_app_res_t *)r;
}

/* prefix.c: whether `mw` applies to path `p` (at a segment boundary);
 * *len gets the bytes of the path its prefix covers, and params[] the raw
 * values of its ":name" segments (mw->nparams of them). */
int eddy__prefix_match(const eddy__mw_t *mw, const eddy_http_slice_t *p,
                       size_t *len, eddy_http_slice_t *params);
/* prefix.c: cuts the copy of a prefix into its parameter names. */
unsigned eddy__prefix_names(char *copy, const char **names);

/* compile.c: builds app->compiled; 0 or -ENOMEM. */
int eddy__app_compile(eddy_app_t *app);
void eddy__app_compiled_free(eddy__compiled_t *c);

/* dispatch.c: the response was finished (or handed to send_path). */
void eddy__app_finished(eddy_app_req_t *r);
/* dispatch.c: the request's hres must be ended now (client gone...). */
void eddy__app_abandon(eddy_app_req_t *r);

/* dispatch.c: (re)installs the HTTP drain / close callbacks. */
void eddy__app_drain_hook(eddy_app_req_t *r);
void eddy__app_close_hook(eddy_app_req_t *r, int on);

/* errors.c: the default answers. */
void eddy__app_default_error(eddy_app_req_t *r);
void eddy__app_no_route(eddy_app_req_t *r);

/* res.c: Content-Type application/json unless the app set one. */
void eddy__res_json_type(eddy_app_req_t *r);

/* res.c: finish with a status and a JSON error body ({"error": msg}). */
int eddy__res_json_error(eddy_app_res_t *res, int status, const char *msg);

/* json_parse.c: parses a JSON body (an object or an array, RFC 8259):
 * 0 with *out set, or 400 with a message for the client in msg. Pure. */
int eddy__json_parse_body(const char *body, size_t len, eddy_json_value_t **out,
                          char *msg, size_t msgsz);

/* The arena allocator as a callback (for eddy_app_parse_query). */
void *eddy__req_alloc_cb(void *req, size_t size);

#endif

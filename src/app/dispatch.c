/*
 * Running one request through the app: the request object (recycled, its
 * arena's first chunk inline), the route lookup up front, then the
 * middleware list in order with the route at its place, as a trampoline:
 * a next() called inside a layer only notes it, so a long chain of
 * synchronous middleware never deepens the stack.
 */
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"

#define MAX_FREE_CTX 256

static eddy_app_req_t *ctx_get(eddy_app_t *app) {
  eddy__ctx_t *c = app->free_ctx;
  if (c) {
    app->free_ctx = c->rr.req.next_free;
    app->nfree--;
  } else {
    c = malloc(sizeof(*c));
    if (!c) return NULL;
    eddy__arena_init(&c->rr.req.arena, c->inline_arena,
                     sizeof(c->inline_arena));
  }
  eddy_app_req_t *r = &c->rr.req;
  memset(r, 0, offsetof(eddy_app_req_t, app));
  return r;
}

static void ctx_put(eddy_app_req_t *r) {
  eddy_app_t *app = r->app;
  eddy__arena_reset(&r->arena); /* runs the deferred callbacks */
  eddy__ctx_t *c = (eddy__ctx_t *)r;
  if (app->nfree >= MAX_FREE_CTX) {
    free(c);
    return;
  }
  r->next_free = app->free_ctx;
  app->free_ctx = c;
  app->nfree++;
}

/* Copies `n` raw parameter values, percent-decoded, into one arena
 * block: the array of values, then the NUL-terminated strings (a decoded
 * string is never longer than its raw form). -EINVAL: a malformed escape. */
static inline __attribute__((always_inline)) int decode(
    eddy_app_req_t *r, const eddy_http_slice_t *raw, unsigned n,
    const char ***out) {
  size_t size = n * sizeof(char *);
  for (unsigned i = 0; i < n; i++) size += raw[i].len + 1;
  const char **vals = eddy__arena_alloc(&r->arena, size);
  if (!vals) return -ENOMEM;
  char *o = (char *)(vals + n);
  for (unsigned i = 0; i < n; i++) {
    const char *s = raw[i].base;
    size_t len = raw[i].len, j = 0;
    while (j < len && s[j] != '%') o[j] = s[j], j++; /* short: no memchr */
    if (j < len) {
      ssize_t d = eddy_http_url_decode(s, len, o, 0);
      if (d < 0) return -EINVAL;
      j = (size_t)d;
    }
    o[j] = '\0';
    vals[i] = o;
    o += j + 1;
  }
  *out = vals;
  return 0;
}

/* A failed decode: 400 for a malformed escape, else the error. */
static void decode_failed(eddy_app_req_t *r, int err) {
  if (err == -EINVAL)
    eddy_app_fail(r, 400, "malformed percent-encoding in the path");
  else
    eddy_app_next(r, err);
}

/* Whether middleware `mw` applies to the path: 1, 0, or an error from
 * decoding the parameters of its prefix (made visible to it). */
static int mw_applies(eddy_app_req_t *r, const eddy__mw_t *mw) {
  eddy_http_slice_t raw[EDDY_APP_MAX_PARAMS];
  size_t len;
  if (!eddy__prefix_match(mw, &r->hreq->path, &len, raw)) return 0;
  r->prefix_len = len;
  if (!mw->nparams) return 1;
  int err = decode(r, raw, mw->nparams, &r->mw_values);
  if (err) return err;
  r->mw_names = mw->names;
  r->mw_nparams = mw->nparams;
  r->flags |= CTX_MW_PARAMS;
  return 1;
}

static void run_route(eddy_app_req_t *r, eddy_loop_t *loop) {
  const eddy__route_t *route = r->match.route;
  r->flags |= CTX_ROUTE_DONE;
  if (r->match.nparams) {
    int err = decode(r, r->match.params, r->match.nparams, &r->param_values);
    if (err) {
      decode_failed(r, err);
      return;
    }
    r->flags |= CTX_PARAMS;
  }
  eddy_loop_set_label(loop, route->label);
  r->prefix_len = 0;
  r->flags |= CTX_IN_ROUTE;
  route->fn(r, eddy__res_of(r), route->arg);
}

static void run_error_mw(eddy_app_req_t *r, eddy_loop_t *loop) {
  const eddy__compiled_t *c = r->c;
  while (r->pos < c->nmw) {
    const eddy__mw_t *mw = &c->mws[r->pos++];
    /* a malformed escape in its prefix: not this one (already failing) */
    if (mw->is_error && mw_applies(r, mw) > 0) {
      eddy_loop_set_label(loop, mw->label);
      mw->efn(r->err, r, eddy__res_of(r), mw->arg);
      return;
    }
  }
  eddy__app_default_error(r);
}

/* Runs the next layer that applies. */
static void step(eddy_app_req_t *r, eddy_loop_t *loop) {
  r->flags &= ~(unsigned)(CTX_IN_ROUTE | CTX_MW_PARAMS);
  if (r->flags & CTX_ERROR) {
    run_error_mw(r, loop);
    return;
  }
  const eddy__compiled_t *c = r->c;
  const eddy__route_t *route = r->match.route;
  int route_due = route && !(r->flags & CTX_ROUTE_DONE);
  while (r->pos < c->nmw) {
    if (route_due && r->pos >= route->seq) {
      run_route(r, loop);
      return;
    }
    const eddy__mw_t *mw = &c->mws[r->pos++];
    int applies = mw->is_error ? 0 : mw_applies(r, mw);
    if (applies < 0) {
      decode_failed(r, applies);
      return;
    }
    if (applies) {
      eddy_loop_set_label(loop, mw->label);
      mw->fn(r, eddy__res_of(r), mw->arg);
      return;
    }
  }
  if (route_due)
    run_route(r, loop);
  else
    eddy__app_no_route(r);
}

static void release(eddy_app_req_t *r) { ctx_put(r); }

static void run(eddy_app_req_t *r) {
  eddy_loop_t *loop = r->server->loop;
  const char *prev = eddy_loop_label(loop, NULL);
  r->flags |= CTX_RUNNING;
  do {
    r->flags &= ~(unsigned)CTX_NEXT;
    if (r->flags & CTX_FINISHED) break;
    if (r->flags & CTX_GONE) {
      eddy__app_abandon(r);
      break;
    }
    step(r, loop);
  } while (r->flags & CTX_NEXT);
  r->flags &= ~(unsigned)CTX_RUNNING;
  eddy_loop_set_label(loop, prev);
  if (r->flags & CTX_FINISHED) release(r);
}

/*
 * next() from a route handler (Express: on to the next matching layer):
 * the next route that also matches the path and the method, in the
 * lookup's order, takes over -- at its place in the list, or at once if
 * that place is behind. With none left, the list goes on (and ends in 404).
 */
static void next_route(eddy_app_req_t *r) {
  const eddy_http_request_t *h = r->hreq;
  eddy__match_t m;
  r->flags &= ~(unsigned)CTX_IN_ROUTE;
  if (eddy__router_match_next(r->c->tree, h->method, h->path.base, h->path.len,
                              ++r->routes_passed, &m) != 1)
    return;
  r->match = m;
  r->flags &= ~(unsigned)(CTX_ROUTE_DONE | CTX_PARAMS);
}

void eddy_app_next(eddy_app_req_t *r, int err) {
  if (r->flags & CTX_FINISHED) return;
  if (err == 0 && (r->flags & (CTX_IN_ROUTE | CTX_ERROR)) == CTX_IN_ROUTE)
    next_route(r);
  if (err < 0) {
    if (err != r->err) r->err_msg = NULL; /* a new error, a new message */
    r->err = err;
    r->flags |= CTX_ERROR;
  }
  if (r->flags & CTX_RUNNING) {
    r->flags |= CTX_NEXT;
    return;
  }
  run(r);
}

void eddy__app_finished(eddy_app_req_t *r) {
  r->flags |= CTX_FINISHED;
  if (!(r->flags & CTX_RUNNING)) release(r);
}

/* The HTTP server says the client left. */
static void on_http_close(eddy_http_res_t *hres) {
  eddy_app_req_t *r = *eddy_http_res_data(hres);
  r->flags |= CTX_GONE;
  if (r->on_close) r->on_close(r, eddy__res_of(r), r->on_close_arg);
}

static void on_http_drain(eddy_http_res_t *hres) {
  eddy_app_req_t *r = *eddy_http_res_data(hres);
  if (r->on_drain) r->on_drain(r, eddy__res_of(r), r->on_drain_arg);
}

void eddy__app_drain_hook(eddy_app_req_t *r) {
  eddy_http_res_on_drain(r->hres, on_http_drain);
}

void eddy__app_close_hook(eddy_app_req_t *r, int on) {
  eddy_http_res_on_close(r->hres, on ? on_http_close : NULL);
}

void eddy_app_dispatch(eddy_app_t *app, eddy_http_server_t *server,
                       eddy_http_request_t *hreq, eddy_http_res_t *hres) {
  eddy_app_req_t *r;
  if ((!app->compiled && eddy__app_compile(app)) || !(r = ctx_get(app))) {
    eddy_http_res_status(hres, 503);
    eddy_http_res_end(hres, NULL, 0);
    return;
  }
  r->app = app;
  r->c = app->compiled;
  r->server = server;
  r->hreq = hreq;
  r->hres = hres;
  r->status = 200;
  r->start_ns = eddy_loop_now_ns(server->loop);
  *eddy_http_res_data(hres) = r;
  eddy_http_res_on_close(hres, on_http_close);
  r->match_result = eddy__router_match(r->c->tree, hreq->method,
                                       hreq->path.base, hreq->path.len,
                                       &r->match);
  run(r);
}

void eddy_app_http_handler(eddy_http_server_t *server, eddy_http_request_t *req,
                           eddy_http_res_t *res) {
  eddy_app_dispatch(server->data, server, req, res);
}

int eddy_app_listen(eddy_app_t *app, eddy_loop_t *loop,
                    eddy_http_server_t *server,
                    const eddy_http_server_opts_t *opts, const char *host,
                    int port) {
  int r = eddy_http_server_init(loop, server, opts, eddy_app_http_handler);
  if (r) return r;
  server->data = app;
  return eddy_http_server_listen(server, host, port);
}

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
  memset(r, 0, offsetof(eddy_app_req_t, match));
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

static int prefix_match(const eddy__mw_t *mw, const eddy_http_slice_t *p) {
  if (mw->prefix_len == 0) return 1;
  if (p->len < mw->prefix_len || memcmp(p->base, mw->prefix, mw->prefix_len))
    return 0;
  return p->len == mw->prefix_len || p->base[mw->prefix_len] == '/';
}

/* Percent-decodes the matched parameters into the arena; -EINVAL. */
static int decode_params(eddy_app_req_t *r) {
  unsigned n = r->match.nparams;
  if (n == 0) return 0;
  r->param_values = eddy__arena_alloc(&r->arena, n * sizeof(char *));
  if (!r->param_values) return -ENOMEM;
  for (unsigned i = 0; i < n; i++) {
    const eddy_http_slice_t *s = &r->match.params[i];
    char *v = eddy__arena_alloc(&r->arena, s->len + 1);
    if (!v) return -ENOMEM;
    ssize_t len = (ssize_t)s->len;
    if (memchr(s->base, '%', s->len)) /* else nothing to decode */
      len = eddy_http_url_decode(s->base, s->len, v, 0);
    else
      memcpy(v, s->base, s->len);
    if (len < 0) return -EINVAL;
    v[len] = '\0';
    r->param_values[i] = v;
  }
  r->flags |= CTX_PARAMS;
  return 0;
}

static void run_route(eddy_app_req_t *r, eddy_loop_t *loop) {
  const eddy__route_t *route = r->match.route;
  r->flags |= CTX_ROUTE_DONE;
  int err = decode_params(r);
  if (err == -EINVAL) {
    eddy_app_fail(r, 400, "malformed percent-encoding in the path");
    return;
  }
  if (err) {
    eddy_app_next(r, err);
    return;
  }
  eddy_loop_set_label(loop, route->label);
  r->prefix_len = 0;
  route->fn(r, eddy__res_of(r), route->arg);
}

static void run_error_mw(eddy_app_req_t *r, eddy_loop_t *loop) {
  const eddy__compiled_t *c = r->c;
  while (r->pos < c->nmw) {
    const eddy__mw_t *mw = &c->mws[r->pos++];
    if (mw->is_error && prefix_match(mw, &r->hreq->path)) {
      eddy_loop_set_label(loop, mw->label);
      r->prefix_len = mw->prefix_len;
      mw->efn(r->err, r, eddy__res_of(r), mw->arg);
      return;
    }
  }
  eddy__app_default_error(r);
}

/* Runs the next layer that applies. */
static void step(eddy_app_req_t *r, eddy_loop_t *loop) {
  if (r->flags & CTX_ERROR) {
    run_error_mw(r, loop);
    return;
  }
  const eddy__compiled_t *c = r->c;
  const eddy__route_t *route = r->match.route;
  int route_due = route && !(r->flags & CTX_ROUTE_DONE);
  while (r->pos < c->nmw) {
    if (route_due && r->pos == route->seq) {
      run_route(r, loop);
      return;
    }
    const eddy__mw_t *mw = &c->mws[r->pos++];
    if (!mw->is_error && prefix_match(mw, &r->hreq->path)) {
      eddy_loop_set_label(loop, mw->label);
      r->prefix_len = mw->prefix_len;
      mw->fn(r, eddy__res_of(r), mw->arg);
      return;
    }
  }
  if (route_due) run_route(r, loop);
  else eddy__app_no_route(r);
}

static void release(eddy_app_req_t *r) {
  ctx_put(r);
}

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

void eddy_app_next(eddy_app_req_t *r, int err) {
  if (r->flags & CTX_FINISHED) return;
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

void eddy_app_http_handler(eddy_http_server_t *server,
                           eddy_http_request_t *req, eddy_http_res_t *res) {
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

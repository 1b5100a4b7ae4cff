/*
 * GET /fetch?url=http://host:port/path -- the seeds' web-service call and
 * its req.on('error'), live: the URL is fetched with eddy's HTTP client
 * (keep-alive agent, DNS on the thread pool) and the answer is its status,
 * headers and body size as JSON. Only hosts named by --fetch-allow
 * (default 127.0.0.1) may be fetched: the server is not an open proxy. A
 * failure is 502 with the client's error; the client leaving aborts the
 * fetch.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "serve.h"

typedef struct {
  eddy_app_req_t *req;
  eddy_client_req_t *creq; /* NULL once it ended */
  int gone;                /* the requesting client left: abort sent */
} fetch_t;

/* `host` (len bytes) is one of the comma-separated names of `allow`. */
static int allowed(const char *allow, const char *host, size_t len) {
  for (const char *p = allow; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (n == len && !strncasecmp(p, host, len)) return 1;
    p = comma ? comma + 1 : NULL;
  }
  return 0;
}

static void fetch_answer(eddy_client_req_t *creq, const eddy_client_res_t *r) {
  fetch_t *f = creq->data;
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, f->req);
  eddy_app_jw_object(&jw);
  eddy_app_jw_key(&jw, "url");
  eddy_app_jw_string(&jw, eddy_app_req_query(f->req, "url"));
  eddy_app_jw_key(&jw, "status");
  eddy_app_jw_int(&jw, r->status);
  eddy_app_jw_key(&jw, "headers");
  eddy_app_jw_object(&jw);
  for (size_t i = 0; i < r->nheaders; i++) {
    const eddy_http_header_t *h = &r->headers[i];
    char *name = eddy_app_strndup(f->req, h->name.base, h->name.len);
    eddy_app_jw_key(&jw, name ? name : "");
    eddy_app_jw_string_n(&jw, h->value.base, h->value.len);
  }
  eddy_app_jw_object_end(&jw);
  eddy_app_jw_key(&jw, "body_bytes");
  eddy_app_jw_int(&jw, (int64_t)r->body_len);
  eddy_app_jw_object_end(&jw);
  eddy_app_res_t *res = eddy_app_req_res(f->req);
  eddy_app_res_on_close(res, NULL, NULL); /* f goes now */
  eddy_app_res_send_jw(res, &jw);
  free(f);
}

static void fetch_failed(eddy_client_req_t *creq, int status) {
  fetch_t *f = creq->data;
  eddy_app_res_t *res = eddy_app_req_res(f->req);
  if (f->gone) { /* aborted for a client that left: release the request */
    eddy_app_res_end(res, NULL, 0);
    free(f);
    return;
  }
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, f->req);
  eddy_app_jw_object(&jw);
  eddy_app_jw_key(&jw, "error");
  eddy_app_jw_string(&jw, eddy_strerror(status));
  eddy_app_jw_key(&jw, "code");
  eddy_app_jw_string(&jw, eddy_err_name(status));
  eddy_app_jw_object_end(&jw);
  eddy_app_res_on_close(res, NULL, NULL); /* f goes now */
  eddy_app_res_status(res, 502);
  eddy_app_res_send_jw(res, &jw);
  free(f);
}

static void requester_gone(eddy_app_req_t *req, eddy_app_res_t *res,
                           void *arg) {
  fetch_t *f = arg;
  f->gone = 1;
  eddy_client_abort(f->creq); /* fetch_failed(-ECANCELED) follows */
}

static void route_fetch(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  serve_t *s = arg;
  const char *url = eddy_app_req_query(req, "url");
  eddy_client_url_t u;
  if (!url || eddy_client_url_parse(url, strlen(url), &u) < 0) {
    eddy_app_fail(req, 400, "url=http://host[:port]/path expected");
    return;
  }
  if (!allowed(s->cfg.fetch_allow, u.host.base, u.host.len)) {
    eddy_app_fail(req, 403, "%.*s is not in --fetch-allow", (int)u.host.len,
                  u.host.base);
    return;
  }
  fetch_t *f = calloc(1, sizeof(*f));
  if (!f) {
    eddy_app_next(req, -ENOMEM);
    return;
  }
  f->req = req;
  eddy_client_req_opts_t o = {.url = url,
                              .buffer_body = 1,
                              .max_body = 16u << 20,
                              .on_end = fetch_answer,
                              .on_error = fetch_failed,
                              .data = f};
  int r = eddy_client_request(s->client, &o, &f->creq);
  if (r < 0) {
    free(f);
    eddy_app_fail(req, r == EDDY_EQUEUEFULL ? 503 : 400, "%s",
                  eddy_strerror(r));
    return;
  }
  eddy_app_res_on_close(res, requester_gone, f);
}

int serve_add_fetch(serve_t *s) {
  int r = eddy_client_create(s->loop, NULL, &s->client);
  return r ? r : eddy_app_get(s->app, "/fetch", route_fetch, s);
}

/*
 * JSON through jansson (see docs/DEPENDENCIES.md): res.json from a value,
 * and the JSON body parser middleware (limit 413, 400 that says where).
 */
#include <jansson.h>
#include <string.h>
#include <strings.h>

#include "app/app_int.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

int eddy_app_res_json(eddy_app_res_t *res, const eddy_json_value_t *value) {
  eddy_app_req_t *r = &res->req;
  if (!value) return -EINVAL;
  size_t n = json_dumpb(value, NULL, 0, DUMP_FLAGS);
  char *buf = n ? eddy_app_alloc(r, n) : NULL;
  if (!buf || json_dumpb(value, buf, n, DUMP_FLAGS) != n) return -ENOMEM;
  eddy__res_json_type(r);
  return eddy_app_res_end(res, buf, n);
}

/* The media type of the request, without parameters, matches `want`
 * (or, with `suffix`, ends in "+json"). */
static int type_is(eddy_app_req_t *r, const char *want, int suffix) {
  const eddy_http_header_t *h = eddy_http_find_header(r->hreq, "Content-Type",
                                                      12);
  if (!h) return 0;
  size_t n = 0;
  while (n < h->value.len && h->value.base[n] != ';' &&
         h->value.base[n] != ' ' && h->value.base[n] != '\t')
    n++;
  size_t w = strlen(want);
  if (n == w && !strncasecmp(h->value.base, want, w)) return 1;
  return suffix && n > 5 && !strncasecmp(h->value.base + n - 5, "+json", 5);
}

static size_t limit_of(const void *arg) {
  const eddy_app_body_opts_t *o = arg;
  return o && o->limit ? o->limit : 100 * 1024;
}

static void json_free(void *v) { json_decref(v); }

void eddy_app_json_body(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  size_t len, limit = limit_of(arg);
  const char *body = eddy_app_req_body(req, &len);
  if (req->json || len == 0 || !type_is(req, "application/json", 1)) {
    eddy_app_next(req, 0);
    return;
  }
  if (len > limit) {
    eddy_app_fail(req, 413, "request body is larger than %zu bytes", limit);
    return;
  }
  char msg[256];
  json_t *v;
  int status = eddy__json_parse_body(body, len, &v, msg, sizeof msg);
  if (status) {
    eddy_app_fail(req, status, "%s", msg);
    return;
  }
  if (eddy_app_defer(req, json_free, v)) {
    json_decref(v);
    eddy_app_next(req, -ENOMEM);
    return;
  }
  req->json = v;
  eddy_app_next(req, 0);
}

void eddy_app_urlencoded_body(eddy_app_req_t *req, eddy_app_res_t *res,
                              void *arg) {
  size_t len, limit = limit_of(arg);
  const char *body = eddy_app_req_body(req, &len);
  if (req->form || len == 0 ||
      !type_is(req, "application/x-www-form-urlencoded", 0)) {
    eddy_app_next(req, 0);
    return;
  }
  if (len > limit) {
    eddy_app_fail(req, 413, "request body is larger than %zu bytes", limit);
    return;
  }
  ssize_t n = eddy_app_parse_query(body, len, 1, eddy__req_alloc_cb, req,
                                   &req->form);
  if (n == -EINVAL) {
    eddy_app_fail(req, 400, "malformed percent-encoding in the form");
    return;
  }
  if (n < 0) {
    eddy_app_next(req, (int)n);
    return;
  }
  req->nform = n;
  eddy_app_next(req, 0);
}

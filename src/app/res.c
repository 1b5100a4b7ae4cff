/*
 * Response helpers over eddy_http_res_*: every call that finishes the
 * response goes through finish(), which runs the app's on-end hook while
 * the request is still readable, hands the bytes to the server and frees
 * the request.
 */
#include <string.h>
#include <strings.h>

#include "app/app_int.h"
#include "http/res_known.h"

eddy_http_res_t *eddy_app_res_http(eddy_app_res_t *res) {
  return res->req.hres;
}

int eddy_app_res_status(eddy_app_res_t *res, int status) {
  int r = eddy_http_res_status(res->req.hres, status);
  if (r == 0) res->req.status = status;
  return r;
}

int eddy_app_res_get_status(const eddy_app_res_t *res) {
  return res->req.status;
}

int eddy_app_res_set(eddy_app_res_t *res, const char *name, const char *value) {
  int r = eddy_http_res_set_header(res->req.hres, name, value);
  if (r == 0 && !strcasecmp(name, "Content-Type"))
    res->req.flags |= CTX_TYPE_SET;
  return r;
}

int eddy_app_res_append(eddy_app_res_t *res, const char *name,
                        const char *value) {
  return eddy_http_res_append_header(res->req.hres, name, value);
}

int eddy_app_res_gone(const eddy_app_res_t *res) {
  return (res->req.flags & CTX_GONE) != 0;
}

uint64_t eddy_app_res_bytes(const eddy_app_res_t *res) {
  return res->req.bytes;
}

/* Of `len` body bytes handed to the server, what it sends: nothing for a
 * HEAD request or a status without a body (1xx, 204, 304), whose body
 * bytes it drops (RFC 9110 §6.4.1). */
static inline uint64_t sent(const eddy_app_req_t *r, uint64_t len) {
  int s = r->status;
  if (!len || r->hreq->method == EDDY_HTTP_HEAD || s < 200 || s == 204 ||
      s == 304)
    return 0;
  return len;
}

static void run_on_end(eddy_app_req_t *r) {
  eddy_app_t *app = r->app;
  if (app->on_end) app->on_end(r, eddy__res_of(r), app->on_end_arg);
  for (unsigned i = 0; i < app->nend_hooks; i++)
    app->end_hooks[i](r, eddy__res_of(r), app->end_hook_args[i]);
}

int eddy_app_res_end(eddy_app_res_t *res, const void *body, size_t len) {
  eddy_app_req_t *r = &res->req;
  if (r->flags & CTX_FINISHED) return -EINVAL;
  r->bytes += sent(r, len);
  run_on_end(r);
  int rc = eddy_http_res_end(r->hres, body, len);
  eddy__app_finished(r);
  return rc;
}

int eddy_app_res_send(eddy_app_res_t *res, const char *text) {
  if (!(res->req.flags & CTX_TYPE_SET))
    eddy_app_res_set(res, "Content-Type", "text/html; charset=utf-8");
  return eddy_app_res_end(res, text, text ? strlen(text) : 0);
}

int eddy_app_res_write(eddy_app_res_t *res, const void *data, size_t len) {
  eddy_app_req_t *r = &res->req;
  int rc = eddy_http_res_write(r->hres, data, len);
  if (rc >= 0) {
    r->flags |= CTX_HEAD_SENT;
    r->bytes += sent(r, len);
  }
  return rc;
}

void eddy_app_res_on_drain(eddy_app_res_t *res, eddy_app_res_cb fn, void *arg) {
  res->req.on_drain = fn;
  res->req.on_drain_arg = arg;
  eddy__app_drain_hook(&res->req);
}

void eddy_app_res_on_close(eddy_app_res_t *res, eddy_app_res_cb fn, void *arg) {
  res->req.on_close = fn;
  res->req.on_close_arg = arg;
}

/* Finishes with {"error": msg}; the status and type replace earlier ones. */
int eddy__res_json_error(eddy_app_res_t *res, int status, const char *msg) {
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, &res->req);
  eddy_app_jw_object(&jw);
  eddy_app_jw_key(&jw, "error");
  eddy_app_jw_string(&jw, msg);
  eddy_app_jw_object_end(&jw);
  eddy_http_res_remove_header(res->req.hres, "Content-Length");
  eddy_app_res_status(res, status);
  res->req.flags &= ~(unsigned)CTX_TYPE_SET; /* an error is JSON */
  if (jw.error) {
    eddy__res_json_type(&res->req);
    return eddy_app_res_end(res, "{\"error\":\"Error\"}", 17);
  }
  return eddy_app_res_send_jw(res, &jw);
}

int eddy_app_res_redirect(eddy_app_res_t *res, int status, const char *url) {
  if (status == 0) status = 302;
  if (status < 300 || status > 399 || !url) return -EINVAL;
  for (const char *p = url; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f) return -EINVAL;
  int r = eddy_app_res_set(res, "Location", url);
  if (r == -EINVAL) return r;
  eddy_app_res_status(res, status);
  eddy_app_res_set(res, "Content-Type", "text/plain; charset=utf-8");
  const char *reason = eddy_http_status_reason(status);
  char *body = eddy_app_printf(&res->req, "%s. Redirecting to %s", reason, url);
  return eddy_app_res_send(res, body ? body : "");
}

int eddy_app_res_send_fd(eddy_app_res_t *res, int fd, int64_t offset,
                         int64_t length) {
  eddy_app_req_t *r = &res->req;
  int rc = eddy_http_res_send_file(r->hres, fd, offset, length);
  if (rc == 0 || rc == -ECANCELED) {
    if (length > 0) r->bytes += sent(r, (uint64_t)length);
    run_on_end(r);
    eddy__app_finished(r);
  }
  return rc;
}

int eddy_app_res_send_file(eddy_app_res_t *res, const char *path) {
  eddy_app_req_t *r = &res->req;
  if (!path || (r->flags & CTX_FINISHED)) return -EINVAL;
  if (!(r->flags & CTX_TYPE_SET))
    eddy_app_res_set(res, "Content-Type", eddy_app_mime_type(path));
  /* The server ends this response by itself later: the request object
   * must not be reachable from its callbacks any more. */
  eddy__app_close_hook(r, 0);
  eddy_http_res_on_drain(r->hres, NULL);
  int rc = eddy_http_res_send_path(r->hres, path);
  if (rc != 0 && rc != -ECANCELED) {
    eddy__app_close_hook(r, 1);
    return rc;
  }
  /* No callback runs inside send_path: req is still readable here. */
  run_on_end(r);
  if (rc == -ECANCELED) eddy_http_res_end(r->hres, NULL, 0);
  eddy__app_finished(r);
  return 0;
}

/* application/json unless the app chose a type (Express's res.json
 * keeps one: application/problem+json, say). */
void eddy__res_json_type(eddy_app_req_t *r) {
  static const char name[] = "Content-Type", value[] = "application/json";
  if (!(r->flags & CTX_TYPE_SET))
    eddy__http_res_set_known(r->hres, name, sizeof(name) - 1, value,
                             sizeof(value) - 1);
}

int eddy_app_res_send_jw(eddy_app_res_t *res, eddy_app_jw_t *jw) {
  if (jw->error || jw->_depth || !jw->len) return -EINVAL;
  eddy__res_json_type(&res->req);
  return eddy_app_res_end(res, jw->buf, jw->len);
}

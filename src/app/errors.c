/*
 * Errors and the default answers: the default error handler (JSON, no
 * internals, 5xx logged), 404, 405 with Allow, OPTIONS from the table.
 */
#include <stdio.h>
#include <string.h>

#include "app/app_int.h"
#include "eddy/log.h"

int eddy_app_error_status(int err) {
  /* -100..-133 are errnos too (-ETIMEDOUT, -ECONNREFUSED...), and a 1xx
   * is no answer: only -200..-599 are statuses. */
  return (err <= -200 && err >= -599) ? -err : 500;
}

const char *eddy_app_error_message(const eddy_app_req_t *req) {
  return req->err_msg;
}

void eddy_app_fail(eddy_app_req_t *req, int status, const char *fmt, ...) {
  if (status < 200 || status > 599) status = 500; /* a final status */
  req->err = -status;
  req->err_msg = NULL;
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n >= 0) req->err_msg = eddy_app_strndup(req, tmp, strlen(tmp));
  }
  eddy_app_next(req, -status);
}

/* The client left or nothing can be answered: end the raw response. */
void eddy__app_abandon(eddy_app_req_t *r) {
  eddy_app_res_end(eddy__res_of(r), NULL, 0);
}

static void log_error(eddy_app_req_t *r, int status) {
  const eddy__route_t *route = r->match.route;
  eddy_log(EDDY_LOG_ERROR, "app: %s %s%s%s: %d: %s (%s)%s%s",
           eddy_app_req_method(r), eddy_app_req_path(r), route ? " route " : "",
           route ? route->pattern : "", status, eddy_err_name(r->err),
           eddy_strerror(r->err), r->err_msg ? ": " : "",
           r->err_msg ? r->err_msg : "");
}

void eddy__app_default_error(eddy_app_req_t *r) {
  int status = eddy_app_error_status(r->err);
  if (status >= 500) log_error(r, status);
  if (r->flags & (CTX_HEAD_SENT | CTX_GONE)) {
    /* Too late for a status: end what was started. */
    eddy__app_abandon(r);
    return;
  }
  const char *msg = (status < 500 && r->err_msg)
                        ? r->err_msg
                        : eddy_http_status_reason(status);
  eddy__res_json_error(eddy__res_of(r), status, *msg ? msg : "Error");
}

/* "GET, HEAD, POST, OPTIONS" from a method mask. */
static const char *allow_list(eddy_app_req_t *r, unsigned mask) {
  char *buf = eddy_app_alloc(r, 256);
  size_t n = 0;
  if (!buf) return "GET, HEAD, OPTIONS";
  if (mask & (1u << EDDY_HTTP_GET)) mask |= 1u << EDDY_HTTP_HEAD;
  mask |= 1u << EDDY_HTTP_OPTIONS;
  buf[0] = '\0';
  for (int m = 1; m < EDDY_HTTP_METHOD_COUNT; m++) {
    if (!(mask & (1u << m))) continue;
    int w = snprintf(buf + n, 256 - n, "%s%s", n ? ", " : "",
                     eddy_http_method_name((eddy_http_method_t)m));
    if (w < 0 || (size_t)w >= 256 - n) break;
    n += (size_t)w;
  }
  return buf;
}

void eddy__app_no_route(eddy_app_req_t *r) {
  eddy_app_res_t *res = eddy__res_of(r);
  if (r->match_result == 1 || !r->match.path_found) {
    eddy__res_json_error(res, 404, "Not Found");
    return;
  }
  eddy_app_res_set(res, "Allow", allow_list(r, r->match.allow));
  if (r->hreq->method == EDDY_HTTP_OPTIONS) {
    eddy_app_res_status(res, 204);
    eddy_app_res_end(res, NULL, 0);
    return;
  }
  eddy__res_json_error(res, 405, "Method Not Allowed");
}

/*
 * The app-facing side of observing: the /metrics, /healthz and /readyz
 * handlers and the on-end hooks that feed the registry and the access log.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy/observe.h"

#define ACCESS_LINE 2048

void eddy_app_metrics_handler(eddy_app_req_t *req, eddy_app_res_t *res,
                              void *arg) {
  char *text;
  size_t len;
  int r = eddy_app_metrics_render(arg, &text, &len);
  if (r < 0) {
    eddy_app_next(req, r);
    return;
  }
  eddy_app_res_set(res, "Content-Type",
                   "text/plain; version=0.0.4; charset=utf-8");
  eddy_app_res_set(res, "Cache-Control", "no-store");
  eddy_app_res_end(res, text, len);
  free(text);
}

void eddy_app_metrics_on_end(eddy_app_req_t *req, eddy_app_res_t *res,
                             void *arg) {
  eddy_http_request_t *h = eddy_app_req_http(req);
  uint64_t now = eddy_hrtime(), start = eddy_app_req_start_ns(req);
  eddy_app_metrics_record(arg, h->method, eddy_app_req_route(req),
                          eddy_app_res_get_status(res),
                          now > start ? now - start : 0);
}

static void json_status(eddy_app_res_t *res, int status, const char *body) {
  eddy_app_res_status(res, status);
  eddy_app_res_set(res, "Content-Type", "application/json");
  eddy_app_res_set(res, "Cache-Control", "no-store");
  eddy_app_res_end(res, body, strlen(body));
}

void eddy_app_healthz(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  json_status(res, 200, "{\"status\":\"ok\"}");
}

void eddy_app_readyz(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  const int *draining = arg;
  if (draining && *draining) {
    eddy_app_res_set(res, "Connection", "close");
    json_status(res, 503, "{\"status\":\"shutting down\"}");
    return;
  }
  json_status(res, 200, "{\"status\":\"ready\"}");
}

void eddy_access_log_on_end(eddy_app_req_t *req, eddy_app_res_t *res,
                            void *arg) {
  char line[ACCESS_LINE + 1];
  size_t n = eddy_access_log_format(line, ACCESS_LINE, eddy_app_req_ip(req),
                                    eddy_app_req_http(req),
                                    eddy_app_res_get_status(res),
                                    eddy_app_res_bytes(res),
                                    (int64_t)time(NULL));
  line[n++] = '\n';
  eddy_access_log_write(arg, line, n);
}

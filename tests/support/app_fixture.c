/* See app_fixture.h. */
#include "support/app_fixture.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void app_fixture_start(tsrv_t *srv, eddy_app_t *app) {
  tsrv_init(srv, NULL, eddy_app_http_handler);
  srv->server.data = app;
  tsrv_run(srv);
}

void app_fixture_stop(tsrv_t *srv, eddy_app_t **app) {
  tsrv_stop(srv);
  eddy_app_destroy(*app);
  *app = NULL;
}

int app_fixture_ask(int port, const char *method, const char *path,
                    const char *headers, const char *body, char *out,
                    size_t cap) {
  size_t blen = body ? strlen(body) : 0;
  size_t max = blen + strlen(path) + (headers ? strlen(headers) : 0) + 256;
  char *req = malloc(max);
  cr_assert_not_null(req);
  int n = snprintf(req, max,
                   "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n%s"
                   "Content-Length: %zu\r\n\r\n%s",
                   method, path, headers ? headers : "", blen,
                   body ? body : "");
  tsrv_exchange(port, req, (size_t)n, out, cap);
  free(req);
  int status = 0;
  sscanf(out, "HTTP/1.1 %d", &status);
  return status;
}

const char *app_fixture_body(const char *out) {
  const char *b = strstr(out, "\r\n\r\n");
  return b ? b + 4 : "";
}

/*
 * The dashboard page: served by an app at GET /dashboard from memory,
 * self-contained (nothing fetched from elsewhere), refused on a public
 * address unless allowed.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "eddy/dashboard.h"
#include "support/httpsrv_helpers.h"

TestSuite(dashboard, .timeout = 20);

static tsrv_t srv;
static char out[1 << 17];

static int get(const char *path) {
  char req[256];
  int n = snprintf(req, sizeof(req),
                   "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                   path);
  tsrv_exchange(srv.port, req, (size_t)n, out, sizeof(out));
  int status = 0;
  sscanf(out, "HTTP/1.1 %d", &status);
  return status;
}

static void serve(eddy_app_t *app) {
  tsrv_init(&srv, NULL, eddy_app_http_handler);
  srv.server.data = app;
  tsrv_run(&srv);
}

Test(dashboard, the_page_is_served_from_memory_and_self_contained) {
  eddy_app_t *app = eddy_app_create();
  eddy_dashboard_opts_t o = {.host = "127.0.0.1"};
  cr_assert_eq(eddy_dashboard_route(app, &o), 0);
  serve(app);
  cr_assert_eq(get("/dashboard"), 200);
  tsrv_stop(&srv);
  eddy_app_destroy(app);
  cr_assert(strstr(out, "Content-Type: text/html"), "%.300s", out);
  cr_assert(strstr(out, "Cache-Control: no-store"));
  size_t len;
  const char *page = eddy_dashboard_html(&len);
  const char *body = strstr(out, "\r\n\r\n") + 4;
  cr_assert_eq(strlen(body), len);
  cr_assert_eq(memcmp(body, page, len), 0);
  cr_assert_eq(strlen(page), len, "NUL-terminated, no NUL inside");
  cr_assert(strstr(page, "<canvas") && strstr(page, "fetch(path"));
  /* Nothing from elsewhere: no absolute or protocol-relative URLs, no
   * external scripts, styles, fonts or images. */
  const char *banned[] = {"http://", "https://", "\"//", "'//",   "src=",
                          "href=",   "@import",  "url(", "<link", "<iframe"};
  for (size_t i = 0; i < sizeof(banned) / sizeof(*banned); i++)
    cr_assert_null(strstr(page, banned[i]), "page holds %s", banned[i]);
}

Test(dashboard, a_public_address_is_refused_unless_allowed) {
  eddy_app_t *app = eddy_app_create();
  eddy_dashboard_opts_t o = {.host = "0.0.0.0"};
  cr_assert_eq(eddy_dashboard_route(app, &o), -EPERM);
  o.host = "192.0.2.7";
  cr_assert_eq(eddy_dashboard_route(app, &o), -EPERM);
  o.host = NULL;
  cr_assert_eq(eddy_dashboard_route(app, &o), -EINVAL);
  serve(app);
  cr_assert_eq(get("/dashboard"), 404, "nothing was registered");
  tsrv_stop(&srv);
  eddy_app_destroy(app);

  app = eddy_app_create();
  o = (eddy_dashboard_opts_t){.host = "0.0.0.0",
                              .allow_public = 1,
                              .path = "/ops/dash"};
  cr_assert_eq(eddy_dashboard_route(app, &o), 0);
  serve(app);
  cr_assert_eq(get("/ops/dash"), 200);
  tsrv_stop(&srv);
  eddy_app_destroy(app);
}

Test(dashboard, loopback_addresses) {
  const char *yes[] = {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1",
                       "localhost"};
  const char *no[] = {
      "0.0.0.0",         "::",          "10.0.0.1", "128.0.0.1",
      "::ffff:10.0.0.1", "example.com", "",         "127.0.0.1 "};
  for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++)
    cr_assert(eddy_dashboard_host_is_loopback(yes[i]), "%s", yes[i]);
  for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++)
    cr_assert_not(eddy_dashboard_host_is_loopback(no[i]), "%s", no[i]);
  cr_assert_not(eddy_dashboard_host_is_loopback(NULL));
}

/*
 * The dashboard page (include/eddy/dashboard.h). The page is the file
 * src/app/dashboard.html, built into the library as it is (.incbin), so
 * it stays a readable HTML file and is served from memory.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "eddy/dashboard.h"

__asm__(
    ".section .rodata\n"
    ".balign 16\n"
    "eddy_dash_page:\n"
    ".incbin \"src/app/dashboard.html\"\n"
    "eddy_dash_page_end:\n"
    ".byte 0\n"
    ".previous\n");

extern const char eddy_dash_page[] __attribute__((visibility("hidden")));
extern const char eddy_dash_page_end[] __attribute__((visibility("hidden")));

const char *eddy_dashboard_html(size_t *len) {
  if (len) *len = (size_t)(eddy_dash_page_end - eddy_dash_page);
  return eddy_dash_page;
}

int eddy_dashboard_host_is_loopback(const char *host) {
  struct in_addr a4;
  struct in6_addr a6;
  if (!host) return 0;
  if (!strcmp(host, "localhost")) return 1;
  if (inet_pton(AF_INET, host, &a4) == 1)
    return (ntohl(a4.s_addr) >> 24) == 127;
  if (inet_pton(AF_INET6, host, &a6) != 1) return 0;
  if (IN6_IS_ADDR_LOOPBACK(&a6)) return 1;
  return IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127;
}

static void serve_page(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  size_t len;
  const char *page = eddy_dashboard_html(&len);
  eddy_app_res_type(res, "html");
  eddy_app_res_set(res, "Cache-Control", "no-store");
  eddy_app_res_end(res, page, len);
}

int eddy_dashboard_route(eddy_app_t *app, const eddy_dashboard_opts_t *opts) {
  if (!app || !opts || !opts->host) return -EINVAL;
  if (!opts->allow_public && !eddy_dashboard_host_is_loopback(opts->host))
    return -EPERM;
  return eddy_app_get(app, opts->path ? opts->path : "/dashboard", serve_page,
                      NULL);
}

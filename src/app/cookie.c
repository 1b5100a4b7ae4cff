/* Set-Cookie (RFC 6265 §4.1): checked name and value, then attributes. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "app/app_int.h"

static int is_tchar(unsigned char c) {
  return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c);
}

/* cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E */
static int is_cookie_octet(unsigned char c) {
  return c == 0x21 || (c >= 0x23 && c <= 0x2b) || (c >= 0x2d && c <= 0x3a) ||
         (c >= 0x3c && c <= 0x5b) || (c >= 0x5d && c <= 0x7e);
}

static int attr_ok(const char *v) {
  for (; v && *v; v++)
    if ((unsigned char)*v < 0x20 || *v == ';' || *v == 0x7f) return 0;
  return 1;
}

static int valid(const char *name, const char *value,
                 const eddy_app_cookie_opts_t *o) {
  if (!name || !*name || !value) return 0;
  for (const char *p = name; *p; p++)
    if (!is_tchar((unsigned char)*p)) return 0;
  for (const char *p = value; *p; p++)
    if (!is_cookie_octet((unsigned char)*p)) return 0;
  return !o || (attr_ok(o->path) && attr_ok(o->domain) &&
                attr_ok(o->same_site));
}

int eddy_app_res_set_cookie(eddy_app_res_t *res, const char *name,
                            const char *value,
                            const eddy_app_cookie_opts_t *o) {
  if (!valid(name, value, o)) return -EINVAL;
  char line[4096];
  size_t n = (size_t)snprintf(line, sizeof(line), "%s=%s", name, value);
  if (o && o->path && n < sizeof(line))
    n += (size_t)snprintf(line + n, sizeof(line) - n, "; Path=%s", o->path);
  if (o && o->domain && n < sizeof(line))
    n += (size_t)snprintf(line + n, sizeof(line) - n, "; Domain=%s",
                          o->domain);
  if (o && o->max_age && n < sizeof(line))
    n += (size_t)snprintf(line + n, sizeof(line) - n, "; Max-Age=%" PRId64,
                          o->max_age < 0 ? 0 : o->max_age);
  if (o && o->http_only && n < sizeof(line))
    n += (size_t)snprintf(line + n, sizeof(line) - n, "; HttpOnly");
  if (o && o->secure && n < sizeof(line))
    n += (size_t)snprintf(line + n, sizeof(line) - n, "; Secure");
  if (o && o->same_site && n < sizeof(line))
    n += (size_t)snprintf(line + n, sizeof(line) - n, "; SameSite=%s",
                          o->same_site);
  if (n >= sizeof(line)) return -EINVAL;
  return eddy_app_res_append(res, "Set-Cookie", line);
}

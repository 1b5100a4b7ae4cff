/* HTTP method and status tables, generated from the X-macro lists in
 * eddy/http_parser.h so that names, enums and reasons cannot drift apart. */
#include <string.h>

#include "eddy/http_parser.h"

static const char *const method_names[EDDY_HTTP_METHOD_COUNT] = {
    [EDDY_HTTP_METHOD_UNKNOWN] = NULL,
#define NAME(id, name) [EDDY_HTTP_##id] = name,
    EDDY_HTTP_METHOD_MAP(NAME)
#undef NAME
};

static const unsigned char method_lens[EDDY_HTTP_METHOD_COUNT] = {
#define LEN(id, name) [EDDY_HTTP_##id] = sizeof(name) - 1,
    EDDY_HTTP_METHOD_MAP(LEN)
#undef LEN
};

const char *eddy_http_method_name(eddy_http_method_t method) {
  if ((unsigned)method >= EDDY_HTTP_METHOD_COUNT) return NULL;
  return method_names[method];
}

/* GET and POST dominate, so they are tested first; the rest is a short
 * linear scan that only unusual requests reach. */
eddy_http_method_t eddy_http_method_lookup(const char *name, size_t len) {
  if (len == 3 && memcmp(name, "GET", 3) == 0) return EDDY_HTTP_GET;
  if (len == 4 && memcmp(name, "POST", 4) == 0) return EDDY_HTTP_POST;
  for (int m = EDDY_HTTP_METHOD_UNKNOWN + 1; m < EDDY_HTTP_METHOD_COUNT; m++)
    if (method_lens[m] == len && memcmp(method_names[m], name, len) == 0)
      return (eddy_http_method_t)m;
  return EDDY_HTTP_METHOD_UNKNOWN;
}

const char *eddy_http_status_reason(int status) {
  switch (status) {
#define REASON(code, id, reason) \
  case code: return reason;
    EDDY_HTTP_STATUS_MAP(REASON)
#undef REASON
  }
  return "";
}

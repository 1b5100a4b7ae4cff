/* eddy_strerror / eddy_err_name, generated from EDDY_ERRNO_MAP. */
#include <errno.h>
#include <string.h>

#include "eddy/error.h"

const char *eddy_strerror(int err) {
#define EDDY_ERR_STR(name, value, desc) \
  if (err == (value)) return desc;
  EDDY_ERRNO_MAP(EDDY_ERR_STR)
#undef EDDY_ERR_STR
  if (err == 0) return "success";
  if (err < 0 && err > -4096) {
    /* strerrordesc_np returns a static string: thread-safe. */
    const char *s = strerrordesc_np(-err);
    if (s) return s;
  }
  return "unknown error";
}

const char *eddy_err_name(int err) {
#define EDDY_ERR_NAME(name, value, desc) \
  if (err == (value)) return "EDDY_" #name;
  EDDY_ERRNO_MAP(EDDY_ERR_NAME)
#undef EDDY_ERR_NAME
  if (err < 0 && err > -4096) {
    const char *s = strerrorname_np(-err);
    if (s) return s;
  }
  return "UNKNOWN";
}

/* The error table: codes negative, unique, named, and pinned. */
#include <string.h>

#include "support/loop_helpers.h"

Test(error, table_is_negative_unique_and_named) {
  int codes[] = {
#define XX(name, value, desc) value,
      EDDY_ERRNO_MAP(XX)
#undef XX
  };
  size_t n = sizeof(codes) / sizeof(codes[0]);
  for (size_t i = 0; i < n; i++) {
    cr_assert_lt(codes[i], -4095, "below every errno");
    for (size_t j = i + 1; j < n; j++) cr_assert_neq(codes[i], codes[j]);
    cr_assert_str_neq(eddy_err_name(codes[i]), "UNKNOWN");
    cr_assert_str_neq(eddy_strerror(codes[i]), "unknown error");
  }
}

Test(error, numbers_are_pinned) {
  cr_assert_eq(EDDY_EOF, -30000);
  cr_assert_eq(EDDY_EQUEUEFULL, -30001);
  /* Deprecated codes keep their values and names (error.h). */
  cr_assert_eq(EDDY_ETIMEDOUT, -30003);
  cr_assert_eq(EDDY_EPARSE, -30005);
  cr_assert_eq(EDDY_ETASKFAILED, -30006);
  cr_assert_str_eq(eddy_err_name(EDDY_ETIMEDOUT), "EDDY_ETIMEDOUT");
  cr_assert_str_eq(eddy_err_name(EDDY_EQUEUEFULL), "EDDY_EQUEUEFULL");
}

Test(error, errno_values_are_named) {
  cr_assert_str_eq(eddy_err_name(-ENOENT), "ENOENT");
  cr_assert_str_eq(eddy_strerror(-ENOENT), "No such file or directory");
  cr_assert_str_eq(eddy_err_name(12345678), "UNKNOWN");
}

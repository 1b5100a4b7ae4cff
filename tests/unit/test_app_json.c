/*
 * The streaming JSON writer: its output, its misuse errors, and a
 * round trip through jansson's parser (escapes, control bytes, UTF-8,
 * numbers, nesting).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "eddy/app.h"

TestSuite(app_json, .timeout = 10);

static char out[4096];
static char *text(eddy_app_jw_t *jw) {
  cr_assert_eq(jw->error, 0);
  cr_assert_lt(jw->len, sizeof out);
  memcpy(out, jw->buf, jw->len);
  out[jw->len] = '\0';
  return out;
}

Test(app_json, writes_compact_json) {
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, NULL);
  eddy_app_jw_object(&jw);
  eddy_app_jw_key(&jw, "hello");
  eddy_app_jw_string(&jw, "world");
  eddy_app_jw_key(&jw, "n");
  eddy_app_jw_array(&jw);
  eddy_app_jw_int(&jw, 1);
  eddy_app_jw_int(&jw, -2);
  eddy_app_jw_double(&jw, 0.5);
  eddy_app_jw_bool(&jw, 1);
  eddy_app_jw_null(&jw);
  eddy_app_jw_double(&jw, NAN);
  eddy_app_jw_array_end(&jw);
  eddy_app_jw_key(&jw, "o");
  eddy_app_jw_object(&jw);
  eddy_app_jw_object_end(&jw);
  eddy_app_jw_object_end(&jw);
  eddy_app_jw_string(&jw, ""); /* a second top-level value */
  cr_assert_eq(jw.error, -EINVAL);
  jw.error = 0;
  cr_assert_str_eq(text(&jw),
                   "{\"hello\":\"world\",\"n\":[1,-2,0.5,true,null,null],"
                   "\"o\":{}}");
  eddy_app_jw_free(&jw);
}

Test(app_json, misuse_is_an_error_that_sticks) {
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, NULL);
  eddy_app_jw_object(&jw);
  eddy_app_jw_int(&jw, 1); /* a value where a key is due */
  cr_assert_eq(jw.error, -EINVAL);
  eddy_app_jw_key(&jw, "a");
  cr_assert_eq(jw.error, -EINVAL);
  eddy_app_jw_free(&jw);
  eddy_app_jw_init(&jw, NULL);
  eddy_app_jw_array(&jw);
  eddy_app_jw_object_end(&jw); /* wrong closer */
  cr_assert_eq(jw.error, -EINVAL);
  eddy_app_jw_free(&jw);
  eddy_app_jw_init(&jw, NULL);
  for (int i = 0; i < 70; i++) eddy_app_jw_array(&jw);
  cr_assert_eq(jw.error, -EINVAL); /* deeper than 63 */
  eddy_app_jw_free(&jw);
}

Test(app_json, round_trips_through_jansson) {
  char all[256];
  for (int i = 0; i < 255; i++) all[i] = (char)(i + 1); /* every byte */
  const char *tricky[] = {"quote \" backslash \\ slash /",
                          "\b\f\n\r\t\x01\x1f\x7f",
                          "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", ""};
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, NULL);
  eddy_app_jw_object(&jw);
  for (int i = 0; i < 4; i++) {
    eddy_app_jw_key(&jw, tricky[i]); /* keys are escaped too */
    eddy_app_jw_string(&jw, tricky[i]);
  }
  eddy_app_jw_key(&jw, "nul");
  eddy_app_jw_string_n(&jw, "a\0b", 3);
  eddy_app_jw_key(&jw, "ascii");
  eddy_app_jw_string_n(&jw, all, 127);
  eddy_app_jw_key(&jw, "nums");
  eddy_app_jw_array(&jw);
  eddy_app_jw_int(&jw, INT64_MIN);
  eddy_app_jw_int(&jw, INT64_MAX);
  eddy_app_jw_double(&jw, 0.1);
  eddy_app_jw_double(&jw, -1e300);
  eddy_app_jw_array_end(&jw);
  cr_assert(memmem(jw.buf, jw.len, "0.1,", 4), "shortest form of 0.1");
  eddy_app_jw_object_end(&jw);
  json_error_t e;
  json_t *v = json_loadb(jw.buf, jw.len, JSON_ALLOW_NUL, &e);
  cr_assert_not_null(v, "%s at %d", e.text, e.position);
  for (int i = 0; i < 4; i++)
    cr_assert_str_eq(json_string_value(json_object_get(v, tricky[i])),
                     tricky[i]);
  json_t *nul = json_object_get(v, "nul");
  cr_assert_eq(json_string_length(nul), 3);
  cr_assert_eq(memcmp(json_string_value(nul), "a\0b", 3), 0);
  json_t *ascii = json_object_get(v, "ascii");
  cr_assert_eq(json_string_length(ascii), 127);
  cr_assert_eq(memcmp(json_string_value(ascii), all, 127), 0);
  json_t *nums = json_object_get(v, "nums");
  cr_assert_eq(json_integer_value(json_array_get(nums, 0)), INT64_MIN);
  cr_assert_eq(json_integer_value(json_array_get(nums, 1)), INT64_MAX);
  cr_assert_eq(json_real_value(json_array_get(nums, 2)), 0.1);
  cr_assert_eq(json_real_value(json_array_get(nums, 3)), -1e300);
  json_decref(v);
  eddy_app_jw_free(&jw);
}

/*
 * Fuzzes the JSON body parser and the streaming writer together: a body
 * either parses or gets a 400 with a message; a parsed value written back
 * with eddy's writer must parse again to the same value (numbers compared
 * by value: the writer may print 1.0 as 1).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"

static void write_value(eddy_app_jw_t *jw, json_t *v) {
  const char *k;
  json_t *x;
  size_t i;
  switch (json_typeof(v)) {
  case JSON_OBJECT:
    eddy_app_jw_object(jw);
    json_object_foreach(v, k, x) {
      eddy_app_jw_key(jw, k);
      write_value(jw, x);
    }
    eddy_app_jw_object_end(jw);
    break;
  case JSON_ARRAY:
    eddy_app_jw_array(jw);
    json_array_foreach(v, i, x) write_value(jw, x);
    eddy_app_jw_array_end(jw);
    break;
  case JSON_STRING:
    eddy_app_jw_string_n(jw, json_string_value(v), json_string_length(v));
    break;
  case JSON_INTEGER: eddy_app_jw_int(jw, json_integer_value(v)); break;
  case JSON_REAL: eddy_app_jw_double(jw, json_real_value(v)); break;
  case JSON_TRUE: eddy_app_jw_bool(jw, 1); break;
  case JSON_FALSE: eddy_app_jw_bool(jw, 0); break;
  case JSON_NULL: eddy_app_jw_null(jw); break;
  }
}

static int same(json_t *a, json_t *b) {
  if (json_is_number(a) && json_is_number(b))
    return json_number_value(a) == json_number_value(b);
  if (json_typeof(a) != json_typeof(b)) return 0;
  const char *k;
  json_t *x;
  size_t i;
  switch (json_typeof(a)) {
  case JSON_OBJECT:
    if (json_object_size(a) != json_object_size(b)) return 0;
    json_object_foreach(a, k, x) {
      json_t *y = json_object_get(b, k);
      if (!y || !same(x, y)) return 0;
    }
    return 1;
  case JSON_ARRAY:
    if (json_array_size(a) != json_array_size(b)) return 0;
    json_array_foreach(a, i, x) if (!same(x, json_array_get(b, i))) return 0;
    return 1;
  default:
    return json_equal(a, b);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *v;
  char msg[256];
  int status = eddy__json_parse_body((const char *)data, size, &v, msg,
                                     sizeof msg);
  if (status) {
    if (status != 400 || !msg[0]) abort();
    return 0;
  }
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, NULL);
  write_value(&jw, v);
  /* Nesting deeper than the writer's 64 levels is its documented error. */
  if (jw.error && jw.error != -EINVAL) abort();
  if (!jw.error) {
    json_error_t e;
    json_t *back = json_loadb(jw.buf, jw.len, 0, &e);
    if (!back || !same(v, back)) abort();
    json_decref(back);
  }
  eddy_app_jw_free(&jw);
  json_decref(v);
  return 0;
}

/*
 * Parsing a JSON request body with jansson: what is accepted (an object
 * or an array, as Express's strict mode; no NUL in strings; UTF-8 checked)
 * and the 400 message that says what and where. Pure; fuzzed alone
 * (tests/fuzz/fuzz_json_body.c).
 */
#include <jansson.h>
#include <stdio.h>

#include "app/app_int.h"

int eddy__json_parse_body(const char *body, size_t len, json_t **out,
                          char *msg, size_t msgsz) {
  json_error_t e;
  *out = json_loadb(body, len, 0, &e);
  if (*out) return 0;
  snprintf(msg, msgsz, "invalid JSON at line %d, column %d: %s", e.line,
           e.column, e.text);
  return 400;
}

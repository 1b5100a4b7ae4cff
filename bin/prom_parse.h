/*
 * A small reader of the Prometheus text exposition format, enough for
 * `eddy top`: one sample per line, `name{labels} value`, comments and
 * blank lines skipped, timestamps ignored.
 */
#ifndef EDDY_BIN_PROM_PARSE_H
#define EDDY_BIN_PROM_PARSE_H

#include <stddef.h>

typedef struct {
  char name[96];
  char labels[192]; /* the text between the braces, "" when none */
  double value;
} prom_sample_t;

/*
 * Parses `len` bytes of `text` into at most `max` samples of `out`;
 * returns how many. Lines that do not parse are skipped (a partial answer
 * still shows what it has).
 */
size_t prom_parse(const char *text, size_t len, prom_sample_t *out, size_t max);

/*
 * Copies the value of label `key` of `s` into `buf` (NUL-terminated,
 * escapes kept as sent) and returns buf, or NULL when the label is absent.
 */
const char *prom_label(const prom_sample_t *s, const char *key, char *buf,
                       size_t max);

#endif

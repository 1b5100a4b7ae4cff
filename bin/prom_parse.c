/* The Prometheus text reader of `eddy top`: see prom_parse.h. */
#include "prom_parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int name_char(int c, int first) {
  return isalpha(c) || c == '_' || c == ':' || (!first && isdigit(c));
}

/* Parses one line (no newline); 0 when it holds a sample. */
static int parse_line(const char *p, const char *end, prom_sample_t *s) {
  size_t n = 0;
  while (p < end && isspace((unsigned char)*p)) p++;
  if (p == end || *p == '#') return -1;
  while (p < end && name_char((unsigned char)*p, n == 0)) {
    if (n + 1 >= sizeof(s->name)) return -1;
    s->name[n++] = *p++;
  }
  if (!n) return -1;
  s->name[n] = '\0';
  s->labels[0] = '\0';
  if (p < end && *p == '{') {
    const char *q = ++p;
    int quoted = 0;
    for (; q < end && (quoted || *q != '}'); q++) {
      if (*q == '\\' && quoted && q + 1 < end)
        q++;
      else if (*q == '"')
        quoted = !quoted;
    }
    if (q == end || (size_t)(q - p) >= sizeof(s->labels)) return -1;
    memcpy(s->labels, p, (size_t)(q - p));
    s->labels[q - p] = '\0';
    p = q + 1;
  }
  char num[64];
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  size_t k = 0;
  while (p < end && !isspace((unsigned char)*p) && k + 1 < sizeof(num))
    num[k++] = *p++;
  num[k] = '\0';
  char *stop;
  s->value = strtod(num, &stop);
  return k && *stop == '\0' ? 0 : -1;
}

size_t prom_parse(const char *text, size_t len, prom_sample_t *out,
                  size_t max) {
  const char *p = text, *end = text + len;
  size_t n = 0;
  while (p < end && n < max) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *stop = nl ? nl : end;
    if (parse_line(p, stop, &out[n]) == 0) n++;
    p = stop + 1;
  }
  return n;
}

const char *prom_label(const prom_sample_t *s, const char *key, char *buf,
                       size_t max) {
  size_t klen = strlen(key);
  const char *p = s->labels;
  while (*p) {
    while (*p == ',' || *p == ' ') p++;
    const char *eq = strchr(p, '=');
    if (!eq || eq[1] != '"') return NULL;
    const char *v = eq + 2, *q = v;
    while (*q && *q != '"') q += (*q == '\\' && q[1]) ? 2 : 1;
    if ((size_t)(eq - p) == klen && !memcmp(p, key, klen)) {
      size_t n = (size_t)(q - v) < max - 1 ? (size_t)(q - v) : max - 1;
      memcpy(buf, v, n);
      buf[n] = '\0';
      return buf;
    }
    p = *q ? q + 1 : q;
  }
  return NULL;
}

/* Prometheus text format checker: see prom_check.h. */
#include "support/prom_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char msg[256];

#define FAIL(...) (snprintf(msg, sizeof(msg), __VA_ARGS__), msg)

static int name_char(char c, int first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == ':' || (!first && c >= '0' && c <= '9');
}

/* Length of a metric name at p (0 if none). */
static size_t name_len(const char *p) {
  size_t n = 0;
  while (name_char(p[n], n == 0)) n++;
  return n;
}

typedef struct {
  char family[128];
  char type[16];
  int help, samples, closed;
  /* histogram state */
  double last_le;
  double last_cum;
  int inf_seen;
  double inf_count;
  int sum_seen, count_seen;
  double count;
} fam_t;

/* Parses the label set at *p ("{...}"), checks it, copies le's value. */
static const char *labels(const char **pp, char *le, size_t lecap, int line) {
  const char *p = *pp;
  le[0] = '\0';
  if (*p != '{') return NULL;
  p++;
  while (*p != '}') {
    size_t n = 0;
    while (name_char(p[n], n == 0) && p[n] != ':') n++;
    if (n == 0) return FAIL("line %d: bad label name", line);
    int is_le = n == 2 && memcmp(p, "le", 2) == 0;
    p += n;
    if (*p++ != '=' || *p++ != '"') return FAIL("line %d: label not =\"", line);
    size_t o = 0;
    while (*p != '"') {
      if (*p == '\n' || *p == '\0') return FAIL("line %d: open label", line);
      if (*p == '\\') {
        p++;
        if (*p != '\\' && *p != '"' && *p != 'n')
          return FAIL("line %d: bad escape \\%c", line, *p);
      }
      if (is_le && o + 1 < lecap) le[o++] = *p;
      p++;
    }
    if (is_le) le[o] = '\0';
    p++;
    if (*p == ',') p++;
    else if (*p != '}') return FAIL("line %d: labels not separated", line);
  }
  *pp = p + 1;
  return NULL;
}

static int ends_with(const char *s, size_t n, const char *suffix) {
  size_t k = strlen(suffix);
  return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static const char *close_family(fam_t *f) {
  if (!f->family[0]) return NULL;
  if (f->help != 1) return FAIL("%s: %d HELP lines", f->family, f->help);
  if (!f->type[0]) return FAIL("%s: no TYPE", f->family);
  if (!strcmp(f->type, "counter") &&
      !ends_with(f->family, strlen(f->family), "_total"))
    return FAIL("%s: a counter not ending in _total", f->family);
  if (!strcmp(f->type, "histogram") &&
      (!f->inf_seen || !f->sum_seen || !f->count_seen ||
       f->inf_count != f->count))
    return FAIL("%s: histogram without +Inf/_sum/_count or +Inf != count",
                f->family);
  return NULL;
}

static const char *histogram_sample(fam_t *f, const char *suffix,
                                    const char *le, double v, int line) {
  if (!strcmp(suffix, "_bucket")) {
    if (!le[0]) return FAIL("line %d: bucket without le", line);
    if (f->inf_seen) return FAIL("line %d: bucket after +Inf", line);
    double b = strcmp(le, "+Inf") == 0 ? INFINITY : strtod(le, NULL);
    if (f->samples && b <= f->last_le)
      return FAIL("line %d: le not ascending", line);
    if (v < f->last_cum) return FAIL("line %d: buckets not cumulative", line);
    f->last_le = b, f->last_cum = v;
    if (isinf(b)) f->inf_seen = 1, f->inf_count = v;
  } else if (!strcmp(suffix, "_sum")) {
    f->sum_seen = 1;
  } else if (!strcmp(suffix, "_count")) {
    f->count_seen = 1, f->count = v;
  } else {
    return FAIL("line %d: not a histogram sample", line);
  }
  return NULL;
}

static const char *sample(fam_t *f, const char *p, const char *eol, int line,
                          char ***seen, size_t *nseen) {
  size_t n = name_len(p);
  if (n == 0) return FAIL("line %d: no metric name", line);
  size_t fl = strlen(f->family);
  if (!f->type[0] || n < fl || memcmp(p, f->family, fl) != 0)
    return FAIL("line %d: sample outside its family's TYPE", line);
  char suffix[16] = "";
  if (n - fl >= sizeof(suffix)) return FAIL("line %d: odd name", line);
  memcpy(suffix, p + fl, n - fl);
  suffix[n - fl] = '\0';
  if (strcmp(f->type, "histogram") && suffix[0])
    return FAIL("line %d: name is not the family's", line);
  const char *q = p + n;
  char le[32];
  const char *err = labels(&q, le, sizeof(le), line);
  if (err) return err;
  char *series = strndup(p, (size_t)(q - p));
  for (size_t i = 0; i < *nseen; i++)
    if (!strcmp((*seen)[i], series)) {
      free(series);
      return FAIL("line %d: repeated series", line);
    }
  *seen = realloc(*seen, (*nseen + 1) * sizeof(char *));
  (*seen)[(*nseen)++] = series;
  if (*q++ != ' ') return FAIL("line %d: no space before value", line);
  char *end;
  double v = strtod(q, &end);
  if (end == q || (end != eol && *end != ' '))
    return FAIL("line %d: bad value", line);
  if (!strcmp(f->type, "histogram"))
    err = histogram_sample(f, suffix, le, v, line);
  f->samples++;
  return err;
}

/* A "# HELP name ..." or "# TYPE name type" line. */
static const char *meta(fam_t *f, const char *p, int line, char ***closed,
                        size_t *nclosed) {
  int help = p[2] == 'H';
  p += 7;
  size_t n = name_len(p);
  if (n == 0 || n >= sizeof(f->family) || p[n] != ' ')
    return FAIL("line %d: bad name in HELP/TYPE", line);
  if (strlen(f->family) != n || memcmp(f->family, p, n) != 0) {
    const char *err = close_family(f);
    if (err) return err;
    if (f->family[0]) {
      *closed = realloc(*closed, (*nclosed + 1) * sizeof(char *));
      (*closed)[(*nclosed)++] = strdup(f->family);
    }
    memset(f, 0, sizeof(*f));
    memcpy(f->family, p, n);
    for (size_t i = 0; i < *nclosed; i++)
      if (!strcmp((*closed)[i], f->family))
        return FAIL("line %d: family %s appears twice", line, f->family);
  }
  if (f->samples) return FAIL("line %d: HELP/TYPE after samples", line);
  if (help) {
    f->help++;
    return NULL;
  }
  const char *t = p + n + 1;
  static const char *types[] = {"counter", "gauge", "histogram", "summary",
                                "untyped"};
  if (f->type[0]) return FAIL("line %d: second TYPE", line);
  for (int i = 0; i < 5; i++)
    if (!strncmp(t, types[i], strlen(types[i])) &&
        (t[strlen(types[i])] == '\n' || t[strlen(types[i])] == '\0'))
      memcpy(f->type, types[i], strlen(types[i]) + 1);
  return f->type[0] ? NULL : FAIL("line %d: unknown TYPE", line);
}

static void free_list(char **l, size_t n) {
  for (size_t i = 0; i < n; i++) free(l[i]);
  free(l);
}

const char *prom_check(const char *text, size_t len) {
  if (len == 0 || text[len - 1] != '\n')
    return FAIL("text does not end in \\n");
  if (strlen(text) != len) return FAIL("NUL byte in the text");
  fam_t f;
  memset(&f, 0, sizeof(f));
  char **seen = NULL, **closed = NULL;
  size_t nseen = 0, nclosed = 0;
  const char *err = NULL, *p = text;
  for (int line = 1; *p && !err; line++) {
    const char *eol = strchr(p, '\n');
    if (!strncmp(p, "# HELP ", 7) || !strncmp(p, "# TYPE ", 7))
      err = meta(&f, p, line, &closed, &nclosed);
    else if (*p == '#' || p == eol)
      ; /* a comment or an empty line */
    else
      err = sample(&f, p, eol, line, &seen, &nseen);
    p = eol + 1;
  }
  if (!err) err = close_family(&f);
  free_list(seen, nseen);
  free_list(closed, nclosed);
  return err;
}

int prom_check_python(const char *text, size_t len) {
  static const char prog[] =
      "import sys\n"
      "from prometheus_client.parser import text_string_to_metric_families\n"
      "n = sum(1 for f in text_string_to_metric_families(sys.stdin.read()))\n"
      "sys.exit(0 if n > 0 else 3)\n";
  int in[2];
  if (pipe(in) < 0) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    close(in[0]);
    close(in[1]);
    execl("/usr/bin/python3", "python3", "-c", prog, (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  size_t off = 0;
  while (off < len) {
    ssize_t w = write(in[1], text + off, len - off);
    if (w <= 0) break;
    off += (size_t)w;
  }
  close(in[1]);
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double prom_value(const char *text, const char *series) {
  size_t n = strlen(series);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
    if (!strncmp(p, series, n) && p[n] == ' ') return strtod(p + n + 1, NULL);
  return -1;
}

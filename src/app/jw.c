/*
 * The streaming JSON writer: appends to one growing buffer (the request's
 * arena, or malloc), tracks commas and nesting in two bit sets, escapes
 * strings with a table. No tree, no second pass. Needs only the arena
 * (the fuzzer links it alone).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_int.h"

#define MAX_DEPTH 64

/* What an arena writer starts with: a small answer never has to grow. */
#define FIRST_CAP 128

void eddy_app_jw_init(eddy_app_jw_t *jw, eddy_app_req_t *req) {
  memset(jw, 0, sizeof(*jw));
  jw->_req = req;
  if (req && (jw->buf = eddy__arena_alloc(&req->arena, FIRST_CAP)))
    jw->cap = FIRST_CAP; /* else grow() tries again and reports */
}

void eddy_app_jw_free(eddy_app_jw_t *jw) {
  if (!jw->_req) free(jw->buf);
  jw->buf = NULL;
  jw->len = jw->cap = 0;
}

/* The slow path of room(): a bigger buffer (arena or malloc), or 0 after
 * an error or when memory is short (the error is then set). */
static int grow(eddy_app_jw_t *jw, size_t more) {
  if (jw->error) return 0;
  if (more > SIZE_MAX / 4 - jw->len) return jw->error = -ENOMEM, 0;
  size_t cap = jw->cap ? jw->cap : FIRST_CAP;
  while (cap - jw->len < more) cap *= 2;
  char *p;
  if (jw->_req) {
    p = eddy__arena_alloc(&jw->_req->arena, cap);
    if (p && jw->len) memcpy(p, jw->buf, jw->len);
  } else {
    p = realloc(jw->buf, cap);
  }
  if (!p) return jw->error = -ENOMEM, 0;
  jw->buf = p, jw->cap = cap;
  return 1;
}

/* Room for `more` bytes at jw->buf + jw->len. Every caller has checked
 * jw->error first (value_sep or its own test), so a writer in error never
 * writes even when the room is there. */
static inline int room(eddy_app_jw_t *jw, size_t more) {
  return jw->cap - jw->len >= more ? 1 : grow(jw, more);
}

static void put(eddy_app_jw_t *jw, const char *s, size_t n) {
  if (!room(jw, n)) return;
  memcpy(jw->buf + jw->len, s, n);
  jw->len += n;
}

/* The comma a value needs (or 0); -1 after an error (misuse). */
static inline int value_sep(eddy_app_jw_t *jw) {
  if (jw->error) return -1;
  uint64_t bit = 1ull << jw->_depth;
  if (jw->_depth && (jw->_in_object & bit)) {
    if (!jw->_key_done) return jw->error = -EINVAL, -1;
    jw->_key_done = 0;
    return 0;
  }
  if (jw->_depth == 0 && jw->len) return jw->error = -EINVAL, -1;
  int comma = (jw->_has_items & bit) ? ',' : 0;
  jw->_has_items |= bit;
  return comma;
}

/* Before any value but a string or a container: the comma, and the check
 * that a key came first. */
static int before_value(eddy_app_jw_t *jw) {
  int sep = value_sep(jw);
  if (sep > 0) put(jw, ",", 1);
  return sep >= 0 && !jw->error;
}

static void open_container(eddy_app_jw_t *jw, char c, int object) {
  if (!jw->len && !jw->error && jw->cap) {
    /* The writer's first value (an empty writer is at depth 0 with no
     * key due): no comma, nothing to check, and room for a byte. */
    jw->buf[0] = c;
    jw->len = 1;
    jw->_depth = 1;
    jw->_has_items = 1; /* as value_sep and open_container leave them */
    jw->_in_object = object ? 2 : 0;
    return;
  }
  int sep = value_sep(jw);
  if (sep < 0) return;
  if (jw->_depth + 1 >= MAX_DEPTH) {
    jw->error = -EINVAL;
    return;
  }
  if (!room(jw, 2)) return;
  if (sep) jw->buf[jw->len++] = ',';
  jw->buf[jw->len++] = c;
  jw->_depth++;
  uint64_t bit = 1ull << jw->_depth;
  jw->_has_items &= ~bit;
  if (object)
    jw->_in_object |= bit;
  else
    jw->_in_object &= ~bit;
}

static void close_container(eddy_app_jw_t *jw, char c, int object) {
  if (jw->error) return;
  uint64_t bit = 1ull << jw->_depth;
  if (!jw->_depth || !!(jw->_in_object & bit) != object || jw->_key_done) {
    jw->error = -EINVAL;
    return;
  }
  if (!room(jw, 1)) return;
  jw->buf[jw->len++] = c;
  jw->_depth--;
}

void eddy_app_jw_object(eddy_app_jw_t *jw) { open_container(jw, '{', 1); }
void eddy_app_jw_object_end(eddy_app_jw_t *jw) { close_container(jw, '}', 1); }
void eddy_app_jw_array(eddy_app_jw_t *jw) { open_container(jw, '[', 0); }
void eddy_app_jw_array_end(eddy_app_jw_t *jw) { close_container(jw, ']', 0); }

/* The short escape of a byte ('n' for LF), 'u' for \u00XX, 0: as is. */
static const char esc[256] = {
    [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u', [0x04] = 'u',
    [0x05] = 'u', [0x06] = 'u', [0x07] = 'u', ['\b'] = 'b', ['\t'] = 't',
    ['\n'] = 'n', [0x0b] = 'u', ['\f'] = 'f', ['\r'] = 'r', [0x0e] = 'u',
    [0x0f] = 'u', [0x10] = 'u', [0x11] = 'u', [0x12] = 'u', [0x13] = 'u',
    [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u', [0x18] = 'u',
    [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u', [0x1d] = 'u',
    [0x1e] = 'u', [0x1f] = 'u', ['"'] = '"',  ['\\'] = '\\'};

/* The escape of byte `ch` (esc[ch] != 0) at `o`; returns the end. */
static char *put_escape(char *o, unsigned char ch) {
  static const char hex[] = "0123456789abcdef";
  char e = esc[ch];
  if (e != 'u') {
    o[0] = '\\', o[1] = e;
    return o + 2;
  }
  memcpy(o, "\\u00", 4);
  o[4] = hex[ch >> 4], o[5] = hex[ch & 15];
  return o + 6;
}

/* Writes "s" escaped, after `pre` (a comma or nothing) and before `post`
 * (':' after a key, or nothing): one room() for the worst case (6 bytes a
 * byte), then runs of bytes that need no escape are copied as they are. */
static inline __attribute__((always_inline)) void put_escaped(
    eddy_app_jw_t *jw, char pre, const char *s, size_t n, char post) {
  if (n > SIZE_MAX / 8 || !room(jw, 6 * n + 4)) {
    if (!jw->error) jw->error = -ENOMEM;
    return;
  }
  char *o = jw->buf + jw->len;
  if (pre) *o++ = pre;
  *o++ = '"';
  /* Copy first, look later: most strings need no escape at all, and the
   * room for the escaped form is there whatever this writes. */
  const unsigned char *u = (const unsigned char *)s;
  char bad = 0;
  for (size_t i = 0; i < n; i++) {
    o[i] = (char)u[i];
    bad |= esc[u[i]];
  }
  if (!bad) {
    o += n;
  } else {
    for (size_t i = 0; i < n; i++)
      if (esc[u[i]])
        o = put_escape(o, u[i]);
      else
        *o++ = (char)u[i];
  }
  *o++ = '"';
  if (post) *o++ = post;
  jw->len = (size_t)(o - jw->buf);
}

void eddy_app_jw_key(eddy_app_jw_t *jw, const char *key) {
  if (jw->error) return;
  uint64_t bit = 1ull << jw->_depth;
  if (!jw->_depth || !(jw->_in_object & bit) || jw->_key_done || !key) {
    jw->error = -EINVAL;
    return;
  }
  char pre = (jw->_has_items & bit) ? ',' : 0;
  jw->_has_items |= bit;
  put_escaped(jw, pre, key, strlen(key), ':');
  jw->_key_done = 1;
}

void eddy_app_jw_string_n(eddy_app_jw_t *jw, const char *s, size_t len) {
  int sep = value_sep(jw);
  if (sep >= 0) put_escaped(jw, (char)sep, s, len, 0);
}

void eddy_app_jw_string(eddy_app_jw_t *jw, const char *s) {
  if (!s)
    eddy_app_jw_null(jw);
  else
    eddy_app_jw_string_n(jw, s, strlen(s));
}

void eddy_app_jw_int(eddy_app_jw_t *jw, int64_t v) {
  char tmp[24];
  int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
  if (before_value(jw)) put(jw, tmp, (size_t)n);
}

/* The shortest of %.15g..%.17g that reads back as the same double. */
static int format_double(char *tmp, size_t size, double v) {
  int n = 0;
  for (int prec = 15; prec <= 17; prec++) {
    n = snprintf(tmp, size, "%.*g", prec, v);
    if (strtod(tmp, NULL) == v) break;
  }
  return n;
}

void eddy_app_jw_double(eddy_app_jw_t *jw, double v) {
  char tmp[32];
  int n = isfinite(v) ? format_double(tmp, sizeof(tmp), v) : 0;
  if (!before_value(jw)) return;
  if (n <= 0)
    put(jw, "null", 4);
  else
    put(jw, tmp, (size_t)n);
}

void eddy_app_jw_bool(eddy_app_jw_t *jw, int v) {
  if (before_value(jw)) put(jw, v ? "true" : "false", v ? 4 : 5);
}

void eddy_app_jw_null(eddy_app_jw_t *jw) {
  if (before_value(jw)) put(jw, "null", 4);
}

void eddy_app_jw_raw(eddy_app_jw_t *jw, const char *json, size_t len) {
  if (before_value(jw)) put(jw, json, len);
}

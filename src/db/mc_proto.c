/*
 * memcached's text protocol: encoding the five commands, parsing their
 * answers (VALUE/END, STORED/NOT_STORED, DELETED/NOT_FOUND, a number, and
 * the three error lines).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/mc_int.h"

int eddy__mc_encode(eddy__mc_req_t *req, const char *cmd, const char *key,
                    size_t klen, const void *value, size_t vlen, uint32_t flags,
                    uint32_t exptime, uint64_t delta) {
  size_t cap = klen + vlen + 96;
  char *w = malloc(cap);
  if (!w) return -ENOMEM;
  int n;
  if (req->kind == MC_STORE)
    n = snprintf(w, cap, "%s %.*s %" PRIu32 " %" PRIu32 " %zu\r\n", cmd,
                 (int)klen, key, flags, exptime, vlen);
  else if (req->kind == MC_INCR)
    n = snprintf(w, cap, "incr %.*s %" PRIu64 "\r\n", (int)klen, key, delta);
  else
    n = snprintf(w, cap, "%s %.*s\r\n", cmd, (int)klen, key);
  size_t len = (size_t)n;
  if (req->kind == MC_STORE) {
    if (vlen) memcpy(w + len, value, vlen);
    memcpy(w + len + vlen, "\r\n", 2);
    len += vlen + 2;
  }
  req->wire = w;
  req->wire_len = len;
  return 0;
}

static int line_is(const char *line, size_t n, const char *word) {
  size_t w = strlen(word);
  return n == w && memcmp(line, word, w) == 0;
}

/* The error lines every command may get; 1 if it was one. */
static int error_line(eddy__mc_req_t *req, const char *line, size_t n) {
  static const struct {
    const char *prefix;
    int status;
  } errs[] = {{"CLIENT_ERROR", -EINVAL},
              {"SERVER_ERROR", -EIO},
              {"ERROR", -EPROTO}};
  for (size_t i = 0; i < 3; i++) {
    size_t p = strlen(errs[i].prefix);
    if (n >= p && memcmp(line, errs[i].prefix, p) == 0) {
      req->status = errs[i].status;
      char *m = malloc(n + 1);
      if (m) {
        memcpy(m, line, n);
        m[n] = '\0';
        free(req->value);
        req->value = m; /* freed with the request */
        req->res.message = m;
      }
      return 1;
    }
  }
  return 0;
}

/* "VALUE <key> <flags> <bytes>\r\n<data>\r\nEND\r\n" */
static long parse_value(eddy__mc_req_t *req, const char *buf, size_t len,
                        size_t eol) {
  const char *p = memchr(buf + 6, ' ', eol - 6); /* after the key */
  if (!p) return -1;
  char *end;
  unsigned long flags = strtoul(p + 1, &end, 10);
  unsigned long long bytes = strtoull(end, &end, 10);
  if (end != buf + eol || bytes > (64u << 20)) return -1;
  size_t need = eol + 2 + bytes + 2 + 5;
  if (len < need) return 0;
  const char *data = buf + eol + 2;
  if (memcmp(data + bytes, "\r\nEND\r\n", 7) != 0) return -1;
  req->value = malloc(bytes + 1);
  if (!req->value) {
    req->status = -ENOMEM;
    return (long)need;
  }
  memcpy(req->value, data, bytes);
  req->value[bytes] = '\0';
  req->res.value = req->value;
  req->res.len = bytes;
  req->res.flags = (uint32_t)flags;
  req->status = 0;
  return (long)need;
}

long eddy__mc_parse(eddy__mc_req_t *req, const char *buf, size_t len) {
  const char *crlf = memmem(buf, len, "\r\n", 2);
  if (!crlf) return len > 4096 ? -1 : 0;
  size_t eol = (size_t)(crlf - buf), used = eol + 2;
  if (req->kind == MC_GET && eol > 6 && memcmp(buf, "VALUE ", 6) == 0)
    return parse_value(req, buf, len, eol);
  if (error_line(req, buf, eol)) return (long)used;
  switch (req->kind) {
  case MC_GET:
    if (!line_is(buf, eol, "END")) return -1;
    req->status = -ENOENT;
    break;
  case MC_STORE:
    if (line_is(buf, eol, "STORED"))
      req->status = 0;
    else if (line_is(buf, eol, "NOT_STORED") || line_is(buf, eol, "EXISTS"))
      req->status = -EEXIST;
    else
      return -1;
    break;
  case MC_DELETE:
  case MC_INCR:
    if (line_is(buf, eol, "NOT_FOUND"))
      req->status = -ENOENT;
    else if (req->kind == MC_DELETE && line_is(buf, eol, "DELETED"))
      req->status = 0;
    else if (req->kind == MC_INCR && eol && eol < 21 &&
             strspn(buf, "0123456789") == eol) {
      req->res.number = strtoull(buf, NULL, 10);
      req->status = 0;
    } else
      return -1;
    break;
  default: return -1;
  }
  return (long)used;
}

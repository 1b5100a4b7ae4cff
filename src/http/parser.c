/*
 * HTTP/1.1 request head parser (RFC 9112 §2-§6, RFC 9110 §5, §7.6, §8.6).
 *
 * Shape: stateless and zero-copy like picohttpparser; strict like nginx.
 * Every check depends only on bytes already seen, and a line is judged on
 * its own; checks that relate several lines (Host count, Content-Length
 * against Transfer-Encoding, ...) run once the empty line ends the head.
 * So a prefix of a request either gives the same error as the whole or
 * EDDY_HTTP_INCOMPLETE, and with `last_len` a call only re-reads the line
 * that was cut, never the lines before it.
 *
 * Decisions where RFC 9112 leaves a choice:
 * - Bare LF is refused (400) everywhere. §2.2 lets a recipient accept it,
 *   but a server behind a proxy that splits lines differently is a request
 *   smuggling vector; every real client sends CRLF.
 * - Empty lines before the request line are skipped (§2.2 SHOULD), since
 *   clients add CRLF after a POST body; they count against the request-line
 *   limit, so they cannot be used to stall the parser.
 * - obs-fold is refused (400), as §5.2 allows; so is whitespace between a
 *   field name and the colon (§5.1 MUST).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memrchr */
#endif
#include <string.h>

#include "eddy/http_parser.h"
#include "http/parser.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define NEED EDDY_HTTP_INCOMPLETE
#define BAD (-400)

/* ---- byte classes, computed at compile time ------------------------- */

#define IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_UNRES(c)                                                        \
  (IS_ALPHA(c) || IS_DIGIT(c) || (c) == '-' || (c) == '.' || (c) == '_' || \
   (c) == '~')
#define IS_SUBDELIM(c)                                                    \
  ((c) == '!' || (c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' || \
   (c) == ')' || (c) == '*' || (c) == '+' || (c) == ',' || (c) == ';' ||  \
   (c) == '=')
#define IS_TCHAR(c)                                                        \
  (IS_ALPHA(c) || IS_DIGIT(c) || (c) == '!' || (c) == '#' || (c) == '$' || \
   (c) == '%' || (c) == '&' || (c) == '\'' || (c) == '*' || (c) == '+' ||  \
   (c) == '-' || (c) == '.' || (c) == '^' || (c) == '_' || (c) == '`' ||   \
   (c) == '|' || (c) == '~')
#define IS_PATH(c) \
  (IS_UNRES(c) || IS_SUBDELIM(c) || (c) == ':' || (c) == '@' || (c) == '/')
#define CLS(c)                                                                \
  ((IS_TCHAR(c) ? EDDY__HC_TCHAR : 0) |                                       \
   (((c) == '\t' || ((c) >= 0x20 && (c) != 0x7f)) ? EDDY__HC_VALUE : 0) |     \
   (IS_PATH(c) ? EDDY__HC_PATH : 0) |                                         \
   ((IS_PATH(c) || (c) == '?') ? EDDY__HC_QUERY : 0) |                        \
   ((IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F')) \
        ? EDDY__HC_HEX                                                        \
        : 0) |                                                                \
   ((IS_ALPHA(c) || IS_DIGIT(c) || (c) == '+' || (c) == '-' || (c) == '.')    \
        ? EDDY__HC_SCHEME                                                     \
        : 0) |                                                                \
   ((IS_UNRES(c) || IS_SUBDELIM(c)) ? EDDY__HC_REGNAME : 0))
#define C4(b) CLS(b), CLS(b + 1), CLS(b + 2), CLS(b + 3)
#define C16(b) C4(b), C4(b + 4), C4(b + 8), C4(b + 12)
#define C64(b) C16(b), C16(b + 16), C16(b + 32), C16(b + 48)

const uint8_t eddy__http_class[256] = {C64(0), C64(64), C64(128), C64(192)};

/* ---- scanning helpers ------------------------------------------------- */

/* Index of the first byte in [i, end) outside `cls`, or end. */
static inline size_t skip(const char *b, size_t i, size_t end, uint8_t cls) {
  while (end - i >= 4) {
    if (!EDDY__HC(b[i], cls)) return i;
    if (!EDDY__HC(b[i + 1], cls)) return i + 1;
    if (!EDDY__HC(b[i + 2], cls)) return i + 2;
    if (!EDDY__HC(b[i + 3], cls)) return i + 3;
    i += 4;
  }
  while (i < end && EDDY__HC(b[i], cls)) i++;
  return i;
}

/* Index of the first byte in [i, end) that is not a field-value byte, or
 * end. Values are most of a head, so 16 bytes at a time: a byte stops the
 * scan if it is below 0x20 (HTAB included, rechecked by the caller) or DEL. */
static inline size_t skip_value(const char *b, size_t i, size_t end) {
#if defined(__SSE2__)
  const __m128i lim = _mm_set1_epi8(0x1f), del = _mm_set1_epi8(0x7f);
  while (end - i >= 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, lim), x);
    __m128i bad = _mm_or_si128(ctl, _mm_cmpeq_epi8(x, del));
    int m = _mm_movemask_epi8(bad);
    if (m) return i + (size_t)__builtin_ctz((unsigned)m);
    i += 16;
  }
#endif
  return skip(b, i, end, EDDY__HC_VALUE);
}

/* Field-value scan that lets HTAB through. */
static size_t scan_value(const char *b, size_t i, size_t end) {
  for (;;) {
    i = skip_value(b, i, end);
    if (i == end || b[i] != '\t') return i;
    i++;
  }
}

/* Checks the "%XX" at b[i]; returns the index after it, NEED or BAD. */
static inline long pct(const char *b, size_t i, size_t end) {
  for (size_t k = 1; k <= 2; k++) {
    if (i + k >= end) return NEED;
    if (!EDDY__HC(b[i + k], EDDY__HC_HEX)) return BAD;
  }
  return (long)(i + 3);
}

/* Scans bytes of class `cls` and %XX; returns the stop index, NEED or BAD. */
static long scan_pct(const char *b, size_t i, size_t end, uint8_t cls) {
  for (;;) {
    i = skip(b, i, end, cls);
    if (i == end) return NEED;
    if (b[i] != '%') return (long)i;
    long r = pct(b, i, end);
    if (r < 0) return r;
    i = (size_t)r;
  }
}

/* ---- request line ----------------------------------------------------- */

typedef struct {
  size_t method_end, target, target_end, path, path_end, query, query_end;
  size_t host, host_end;
  int form, minor;
  eddy_http_method_t method;
} rline_t;

/* host [":" port] (RFC 3986 §3.2.2; userinfo refused, RFC 9110 §4.2.4).
 * Stops at the first byte that cannot continue it; with `need_port` a
 * non-empty port must follow. Returns the stop index, NEED or BAD. */
static long scan_authority(const char *b, size_t i, size_t end, int need_port) {
  size_t start = i;
  long r;
  if (i < end && b[i] == '[') {
    i = skip(b, i + 1, end, EDDY__HC_HEX);
    while (i < end &&
           (b[i] == ':' || b[i] == '.' || EDDY__HC(b[i], EDDY__HC_HEX)))
      i++;
    if (i == end) return NEED;
    if (b[i] != ']' || i == start + 1) return BAD;
    i++;
  } else {
    if ((r = scan_pct(b, i, end, EDDY__HC_REGNAME)) < 0) return r;
    i = (size_t)r;
  }
  if (i == end) return NEED;
  if (b[i] != ':') return need_port ? BAD : (long)i;
  if (i == start && need_port) return BAD; /* ":port" without a host */
  size_t port = ++i;
  while (i < end && IS_DIGIT(b[i])) i++;
  if (i == end) return NEED;
  if (need_port && i == port) return BAD;
  return (long)i;
}

/* Path then optional "?query" from b[i]; fills rl. */
static long scan_path_query(const char *b, size_t i, size_t end, rline_t *rl) {
  long r = scan_pct(b, i, end, EDDY__HC_PATH);
  if (r < 0) return r;
  rl->path = i;
  rl->path_end = rl->query = rl->query_end = (size_t)r;
  if (b[r] != '?') return r;
  rl->query = (size_t)r + 1;
  r = scan_pct(b, rl->query, end, EDDY__HC_QUERY);
  if (r >= 0) rl->query_end = (size_t)r;
  return r;
}

/* absolute-form: scheme "://" authority [path-abempty] ["?" query]. */
static long scan_absolute(const char *b, size_t i, size_t end, rline_t *rl) {
  if (!IS_ALPHA(b[i])) return BAD;
  i = skip(b, i, end, EDDY__HC_SCHEME);
  for (int k = 0; k < 3; k++, i++) {
    if (i == end) return NEED;
    if (b[i] != ":///"[k]) return BAD;
  }
  long r = scan_authority(b, i, end, 0);
  if (r < 0) return r;
  if ((size_t)r == i) return BAD; /* empty host */
  rl->host = i;
  rl->host_end = (size_t)r;
  rl->form = EDDY_HTTP_TARGET_ABSOLUTE;
  if (b[r] == '/') return scan_path_query(b, (size_t)r, end, rl);
  rl->path = rl->path_end = 0; /* no path: "/" */
  rl->query = rl->query_end = (size_t)r;
  if (b[r] != '?') return r;
  rl->query = (size_t)r + 1;
  r = scan_pct(b, rl->query, end, EDDY__HC_QUERY);
  if (r >= 0) rl->query_end = (size_t)r;
  return r;
}

/* The request target at b[i] in the form the method calls for. */
static long scan_target(const char *b, size_t i, size_t end, rline_t *rl) {
  rl->host = rl->host_end = 0;
  if (rl->method == EDDY_HTTP_CONNECT) {
    rl->form = EDDY_HTTP_TARGET_AUTHORITY;
    long r = scan_authority(b, i, end, 1);
    if (r >= 0) rl->host = i, rl->host_end = (size_t)r;
    rl->path = rl->path_end = rl->query = rl->query_end = 0;
    return r;
  }
  if (b[i] == '/') {
    rl->form = EDDY_HTTP_TARGET_ORIGIN;
    return scan_path_query(b, i, end, rl);
  }
  if (b[i] == '*') {
    rl->form = EDDY_HTTP_TARGET_ASTERISK;
    rl->path = i, rl->path_end = rl->query = rl->query_end = i + 1;
    return (long)(i + 1);
  }
  return scan_absolute(b, i, end, rl);
}

/* "HTTP/" DIGIT "." DIGIT CRLF at b[i]; returns the index after the LF. A
 * later 1.x is read as 1.1, the highest minor version eddy implements (RFC
 * 9110 §2.5, as nginx); another major version, or 0.9, is 505, decided by
 * the caller. */
static long scan_version(const char *b, size_t i, size_t end, rline_t *rl) {
  static const char want[] = "HTTP/d.d\r\n";
  /* Nearly every request says HTTP/1.1: two compares instead of ~140
   * instructions of the byte loop below. */
  if (end - i >= 10 && memcmp(b + i, "HTTP/1.1\r\n", 10) == 0) {
    rl->minor = 1;
    return (long)(i + 10);
  }
  for (size_t k = 0; k < 10; k++) {
    if (i + k >= end) return NEED;
    unsigned char c = (unsigned char)b[i + k];
    if (want[k] == 'd' ? !IS_DIGIT(c) : c != (unsigned char)want[k]) return BAD;
  }
  rl->minor = b[i + 7] - '0';
  if (rl->minor > 1) rl->minor = 1;
  if (b[i + 5] != '1') rl->minor = -1;
  return (long)(i + 10);
}

/* Parses the request line at b[start, end). Returns the index after its
 * LF, NEED or -status. Errors of syntax come in byte order; then 505, 501,
 * and a target form the method does not allow (400). */
static long parse_request_line(const char *b, size_t start, size_t end,
                               rline_t *rl) {
  size_t i = skip(b, start, end, EDDY__HC_TCHAR);
  if (i == end) return NEED;
  if (b[i] != ' ' || i == start) return BAD;
  rl->method_end = i;
  rl->method = eddy_http_method_lookup(b + start, i - start);
  rl->target = ++i;
  if (i == end) return NEED;
  long r = scan_target(b, i, end, rl);
  if (r < 0) return r;
  if ((size_t)r == end) return NEED;
  if (b[r] != ' ') return BAD;
  rl->target_end = (size_t)r;
  if ((r = scan_version(b, (size_t)r + 1, end, rl)) < 0) return r;
  if (rl->minor < 0) return -505;
  if (rl->method == EDDY_HTTP_METHOD_UNKNOWN) return -501;
  if (rl->form == EDDY_HTTP_TARGET_ASTERISK && rl->method != EDDY_HTTP_OPTIONS)
    return BAD;
  return r;
}

/* ---- field lines ------------------------------------------------------ */

typedef struct {
  size_t name_end, vstart, vend, next;
} fline_t;

/* Scans the field line at b[p]. Bytes [p, from) were scanned by an earlier
 * call and are valid, so only the rest is read (the byte before `from` is
 * read again: it may be a CR whose LF had not arrived). */
static long scan_field_line(const char *b, size_t p, size_t from, size_t end,
                            fline_t *fl) {
  const char *colon = from > p ? memchr(b + p, ':', from - p) : NULL;
  size_t i;
  if (colon) {
    fl->name_end = (size_t)(colon - b);
    i = from - 1 > fl->name_end ? from - 1 : fl->name_end + 1;
  } else {
    i = skip(b, from, end, EDDY__HC_TCHAR);
    if (i == end) return NEED;
    /* An empty name is obs-fold (line starts with SP/HTAB) or junk. */
    if (b[i] != ':' || i == p) return BAD;
    fl->name_end = i++;
  }
  i = scan_value(b, i, end);
  if (i == end) return NEED;
  if (b[i] != '\r') return BAD; /* bare LF, NUL, other CTL, DEL */
  if (i + 1 == end) return NEED;
  if (b[i + 1] != '\n') return BAD; /* bare CR */
  fl->next = i + 2;
  size_t s = fl->name_end + 1;
  while (s < i && (b[s] == ' ' || b[s] == '\t')) s++;
  while (i > s && (b[i - 1] == ' ' || b[i - 1] == '\t')) i--;
  fl->vstart = s;
  fl->vend = i;
  return (long)fl->next;
}

/* What the field lines say about framing and the connection. Each line is
 * checked on its own; head_check() relates them once the head is whole. */
typedef struct {
  size_t max_store, count;
  int minor;
  int hosts;
  size_t host, host_end;
  int cl_seen, cl_conflict;
  int64_t cl;
  int te_seen, te_codings, te_chunked, te_last_chunked, te_other, te_unknown;
  int conn_close, conn_keep_alive, conn_upgrade, upgrade, expect;
} head_t;

static int is_token(const char *s, size_t n) {
  return n > 0 && skip(s, 0, n, EDDY__HC_TCHAR) == n;
}

#define IEQ(s, n, lit) eddy__token_ieq(s, n, lit, sizeof(lit) - 1)

/* Content-Length = 1*DIGIT; a list of identical values is the same value
 * (RFC 9110 §8.6). Signs, inner spaces, empty list elements ("1,") and
 * values past 2^63-1 are 400: framing is no place for leniency. */
static int on_content_length(head_t *h, const char *v, size_t n) {
  int64_t value = eddy__http_content_length(v, n);
  if (value < 0) return BAD;
  if (h->cl_seen && h->cl != value) h->cl_conflict = 1;
  h->cl_seen = 1;
  h->cl = value;
  return 0;
}

/* Transfer-Encoding: a list of codings in the order applied. Only the
 * registered codings are known (501 for others, RFC 9112 §6.1, decided in
 * head_check: a list whose last coding is not chunked is 400 whatever the
 * codings, §6.3); none takes parameters. HTTP/1.0 has no Transfer-Encoding:
 * its framing is faulty. */
static int on_transfer_encoding(head_t *h, const char *v, size_t n) {
  const char *t;
  size_t tl, i = 0;
  if (h->minor == 0) return BAD;
  h->te_seen = 1;
  while (eddy__http_list_next(v, n, &i, &t, &tl)) {
    if (!is_token(t, tl)) return BAD;
    if (IEQ(t, tl, "chunked")) {
      h->te_chunked++;
      h->te_last_chunked = 1;
    } else if (IEQ(t, tl, "gzip") || IEQ(t, tl, "deflate") ||
               IEQ(t, tl, "compress") || IEQ(t, tl, "x-gzip") ||
               IEQ(t, tl, "x-compress")) {
      h->te_last_chunked = 0;
      h->te_other = 1;
    } else {
      h->te_last_chunked = 0;
      h->te_unknown = 1;
    }
    h->te_codings++;
  }
  return 0;
}

static int on_connection(head_t *h, const char *v, size_t n) {
  const char *t;
  size_t tl, i = 0;
  while (eddy__http_list_next(v, n, &i, &t, &tl)) {
    if (!is_token(t, tl)) return BAD;
    if (IEQ(t, tl, "close"))
      h->conn_close = 1;
    else if (IEQ(t, tl, "keep-alive"))
      h->conn_keep_alive = 1;
    else if (IEQ(t, tl, "upgrade"))
      h->conn_upgrade = 1;
  }
  return 0;
}

/* Only 100-continue is defined; HTTP/1.0 expectations are ignored (RFC
 * 9110 §10.1.1). */
static int on_expect(head_t *h, const char *v, size_t n) {
  const char *t;
  size_t tl, i = 0;
  if (h->minor == 0) return 0;
  while (eddy__http_list_next(v, n, &i, &t, &tl)) {
    if (!IEQ(t, tl, "100-continue")) return -417;
    h->expect = 1;
  }
  return 0;
}

/* Host = uri-host [":" port]; may be empty (RFC 9110 §7.2). The trimmed
 * value is followed in the buffer by OWS or CR, which ends the scan. */
static int on_host(head_t *h, const char *b, const fline_t *fl) {
  long r = scan_authority(b, fl->vstart, fl->vend + 1, 0);
  if (r != (long)fl->vend) return BAD;
  h->hosts++;
  h->host = fl->vstart;
  h->host_end = fl->vend;
  return 0;
}

/* Dispatches on the name's length first: most lines are none of these. */
static int field_semantics(head_t *h, const char *b, size_t p,
                           const fline_t *fl) {
  const char *name = b + p, *v = b + fl->vstart;
  size_t nl = fl->name_end - p, vl = fl->vend - fl->vstart;
  switch (nl) {
  case 4: return IEQ(name, nl, "host") ? on_host(h, b, fl) : 0;
  case 6: return IEQ(name, nl, "expect") ? on_expect(h, v, vl) : 0;
  case 7:
    if (IEQ(name, nl, "upgrade")) h->upgrade = vl > 0;
    return 0;
  case 10: return IEQ(name, nl, "connection") ? on_connection(h, v, vl) : 0;
  case 14:
    return IEQ(name, nl, "content-length") ? on_content_length(h, v, vl) : 0;
  case 17:
    return IEQ(name, nl, "transfer-encoding") ? on_transfer_encoding(h, v, vl)
                                              : 0;
  }
  return 0;
}

/* Field lines from b[p] up to the empty line. Returns the index after the
 * empty line, NEED or -status. */
static long parse_fields(const char *b, size_t p, size_t from, size_t end,
                         head_t *h, eddy_http_header_t *out) {
  for (;;) {
    if (p == end) return NEED;
    if (b[p] == '\r') {
      if (p + 1 == end) return NEED;
      return b[p + 1] == '\n' ? (long)(p + 2) : BAD;
    }
    fline_t fl;
    long r = scan_field_line(b, p, from, end, &fl);
    if (r < 0) return r;
    if ((r = field_semantics(h, b, p, &fl)) < 0) return r;
    if (h->count < h->max_store) {
      out[h->count].name = (eddy_http_slice_t){b + p, fl.name_end - p};
      out[h->count].value = (eddy_http_slice_t){b + fl.vstart,
                                                fl.vend - fl.vstart};
    }
    h->count++;
    p = from = fl.next;
  }
}

/* ---- the head --------------------------------------------------------- */

static void resolve_limits(const eddy_http_limits_t *in,
                           eddy_http_limits_t *out) {
  static const eddy_http_limits_t defaults = {
      EDDY_HTTP_DEFAULT_MAX_REQUEST_LINE, EDDY_HTTP_DEFAULT_MAX_HEADER_BYTES,
      EDDY_HTTP_DEFAULT_MAX_HEADERS,      EDDY_HTTP_DEFAULT_MAX_BODY,
      EDDY_HTTP_DEFAULT_MAX_CHUNK_EXT,    EDDY_HTTP_DEFAULT_MAX_TRAILER_BYTES};
  *out = defaults;
  if (!in) return;
#define PICK(f) \
  if (in->f) out->f = in->f
  PICK(max_request_line);
  PICK(max_header_bytes);
  PICK(max_headers);
  PICK(max_body);
  PICK(max_chunk_ext);
  PICK(max_trailer_bytes);
#undef PICK
}

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* Skips CRLFs before the request line; returns the index of the first
 * other byte, or NEED if the buffer ends inside a CRLF. */
static long skip_empty_lines(const char *b, size_t end) {
  size_t i = 0;
  while (i < end && b[i] == '\r') {
    if (i + 1 == end) return NEED;
    if (b[i + 1] != '\n') return BAD;
    i += 2;
  }
  return (long)i;
}

/* The checks that relate lines (RFC 9112 §3.2, §6.1, §6.3), then *req. */
static int head_check(const char *b, const rline_t *rl, const head_t *h,
                      const eddy_http_limits_t *lim) {
  if (h->count > lim->max_headers || h->count > h->max_store) return -431;
  if (h->hosts > 1 || (rl->minor == 1 && h->hosts == 0)) return BAD;
  if (h->te_seen && (h->cl_seen || !h->te_codings || h->te_chunked > 1 ||
                     !h->te_last_chunked))
    return BAD;
  if (h->te_unknown) return -501;
  if (h->cl_conflict) return BAD;
  if (h->cl_seen && (uint64_t)h->cl > lim->max_body) return -413;
  return 0;
}

static void fill_request(const char *b, const rline_t *rl, const head_t *h,
                         size_t start, eddy_http_request_t *req) {
  req->method = rl->method;
  req->method_name = (eddy_http_slice_t){b + start, rl->method_end - start};
  req->target = (eddy_http_slice_t){b + rl->target,
                                    rl->target_end - rl->target};
  if (rl->path == rl->path_end)
    req->path = (eddy_http_slice_t){"/", 1};
  else
    req->path = (eddy_http_slice_t){b + rl->path, rl->path_end - rl->path};
  req->query = (eddy_http_slice_t){b + rl->query, rl->query_end - rl->query};
  req->target_form = (eddy_http_target_form_t)rl->form;
  req->minor_version = rl->minor;
  req->content_length = h->cl_seen ? h->cl : -1;
  req->nheaders = h->count;
  unsigned f = 0;
  if (h->hosts) f |= EDDY_HTTP_F_HOST;
  if (rl->form == EDDY_HTTP_TARGET_ABSOLUTE)
    req->host = (eddy_http_slice_t){b + rl->host, rl->host_end - rl->host};
  else if (h->hosts)
    req->host = (eddy_http_slice_t){b + h->host, h->host_end - h->host};
  else
    req->host = (eddy_http_slice_t){"", 0};
  if (h->te_seen) f |= EDDY_HTTP_F_CHUNKED;
  if (h->te_other) f |= EDDY_HTTP_F_TE_ENCODED;
  if (h->conn_close) f |= EDDY_HTTP_F_CONNECTION_CLOSE;
  if (!h->conn_close && (rl->minor == 1 || h->conn_keep_alive))
    f |= EDDY_HTTP_F_KEEP_ALIVE;
  if (h->expect) f |= EDDY_HTTP_F_EXPECT_CONTINUE;
  if (rl->minor == 1 && h->upgrade && h->conn_upgrade) f |= EDDY_HTTP_F_UPGRADE;
  req->flags = f;
}

static int parse_whole(const char *b, size_t len, eddy_http_request_t *req,
                       eddy_http_header_t *headers, size_t max_headers,
                       const eddy_http_limits_t *lim) {
  size_t rl_end = min_sz(len, lim->max_request_line + 2);
  rline_t rl;
  long r = skip_empty_lines(b, rl_end);
  if (r >= 0) {
    size_t start = (size_t)r;
    r = parse_request_line(b, start, rl_end, &rl);
    if (r == NEED) return rl_end < len ? -414 : NEED;
    if (r < 0) return (int)r;
    size_t hs = (size_t)r, end = min_sz(len, hs + lim->max_header_bytes);
    head_t h = {.minor = rl.minor, .max_store = max_headers};
    r = parse_fields(b, hs, hs, end, &h, headers);
    if (r == NEED) return end < len ? -431 : NEED;
    if (r < 0) return (int)r;
    int e = head_check(b, &rl, &h, lim);
    if (e < 0) return e;
    req->headers = headers;
    fill_request(b, &rl, &h, start, req);
    return (int)r;
  }
  return r == NEED && rl_end < len ? -414 : (int)r;
}

#define WHOLE 1

/* With last_len: the request line and every complete line below last_len
 * were checked by the previous call. Check only the cut line and the new
 * bytes; once the empty line is there, parse the whole head (once). */
static int parse_more(const char *b, size_t len, size_t last_len,
                      const eddy_http_limits_t *lim) {
  long r = skip_empty_lines(b, last_len);
  if (r < 0) return WHOLE;
  const char *nl = memchr(b + r, '\n', last_len - (size_t)r);
  if (!nl) return WHOLE;
  size_t hs = (size_t)(nl - b) + 1,
         end = min_sz(len, hs + lim->max_header_bytes);
  const char *q = memrchr(b + hs, '\n', last_len - hs);
  size_t p = q ? (size_t)(q - b) + 1 : hs;
  head_t h = {.minor = b[hs - 3] - '0'};
  r = parse_fields(b, p, last_len, end, &h, NULL);
  if (r == NEED) return end < len ? -431 : NEED;
  return r < 0 ? (int)r : WHOLE;
}

int eddy_http_parse_request(const char *buf, size_t len,
                            eddy_http_request_t *req,
                            eddy_http_header_t *headers, size_t max_headers,
                            size_t last_len, const eddy_http_limits_t *limits) {
  eddy_http_limits_t lim;
  resolve_limits(limits, &lim);
  if (last_len > 0 && last_len < len) {
    int r = parse_more(buf, len, last_len, &lim);
    if (r != WHOLE) return r;
  }
  return parse_whole(buf, len, req, headers, max_headers, &lim);
}

static int ascii_ieq(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
    if (x >= 'A' && x <= 'Z') x |= 0x20;
    if (y >= 'A' && y <= 'Z') y |= 0x20;
    if (x != y) return 0;
  }
  return 1;
}

const eddy_http_header_t *eddy_http_find_header(const eddy_http_request_t *req,
                                                const char *name,
                                                size_t name_len) {
  for (size_t i = 0; i < req->nheaders; i++) {
    const eddy_http_header_t *h = &req->headers[i];
    if (h->name.len == name_len && ascii_ieq(h->name.base, name, name_len))
      return h;
  }
  return NULL;
}

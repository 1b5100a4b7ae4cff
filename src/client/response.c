/*
 * The response-head parser (RFC 9112 §4, §6): as strict as the request
 * parser in src/http/parser.c, because a lenient client is what response
 * smuggling and cache poisoning feed on. Pure: no I/O, no allocation.
 */
#include <string.h>
#include <strings.h>

#include "eddy/client.h"
#include "http/parser.h"

#define NEED EDDY_HTTP_INCOMPLETE
#define BAD (-EPROTO)
#define MAX_STATUS_LINE 512

static int is_tchar(unsigned char c) {
  if ((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'))
    return 1;
  return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* HTAB, SP, VCHAR, obs-text. */
static int is_vbyte(unsigned char c) {
  return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int ieq(const char *s, size_t n, const char *lit) {
  size_t l = strlen(lit);
  if (n != l) return 0;
  for (size_t i = 0; i < n; i++)
    if (((unsigned char)s[i] | 0x20) != (unsigned char)lit[i]) return 0;
  return 1;
}

/* What the fields say about framing. */
typedef struct {
  int cl_seen, te_seen, te_chunked, te_chunked_last, conn_close,
      conn_keep_alive;
  int64_t cl;
} frame_t;

/* "HTTP/1.x SSS reason CRLF"; returns the index after it, NEED or BAD. */
static long status_line(const char *b, size_t len, eddy_client_head_t *h) {
  /* A status line is short: 512 bytes at most, whatever the split. */
  const char *eol = memchr(b, '\n',
                           len < MAX_STATUS_LINE ? len : MAX_STATUS_LINE);
  if (!eol) return len >= MAX_STATUS_LINE ? BAD : NEED;
  size_t n = (size_t)(eol - b);
  if (n < 13 || b[n - 1] != '\r' || memcmp(b, "HTTP/1.", 7) != 0) return BAD;
  int bare = n == 13 && b[12] == '\r'; /* "HTTP/1.1 200" without SP */
  if (bare) n = 14;
  if ((b[7] != '0' && b[7] != '1') || b[8] != ' ') return BAD;
  for (int i = 9; i < 12; i++)
    if (b[i] < '0' || b[i] > '9') return BAD;
  if (b[9] == '0' || (b[12] != ' ' && !bare)) return BAD;
  for (size_t i = 13; i < n - 1; i++)
    if (!is_vbyte((unsigned char)b[i])) return BAD;
  h->minor_version = b[7] - '0';
  h->status = (b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0');
  h->reason = (eddy_http_slice_t){b + 13, n - 14};
  return (long)(eol - b) + 1;
}

/* 1*DIGIT, or a list of one repeated value; anything else is BAD. */
static int content_length(frame_t *f, const char *v, size_t n) {
  int64_t value = eddy__http_content_length(v, n);
  if (value < 0) return BAD;
  if (f->cl_seen && f->cl != value) return BAD;
  f->cl_seen = 1;
  f->cl = value;
  return 0;
}

static int transfer_encoding(frame_t *f, const char *v, size_t n) {
  const char *t;
  size_t tl, i = 0;
  while (eddy__http_list_next(v, n, &i, &t, &tl)) {
    for (size_t k = 0; k < tl; k++)
      if (!is_tchar((unsigned char)t[k])) return BAD;
    /* Chunked twice is refused (RFC 9112 §7); chunked followed by another
     * coding leaves the body to the close (§6.3 rule 4), as Node does. */
    int chunked = ieq(t, tl, "chunked");
    if (chunked && f->te_chunked) return BAD;
    f->te_chunked |= chunked;
    f->te_chunked_last = chunked;
    f->te_seen = 1;
  }
  return 0;
}

static void connection(frame_t *f, const char *v, size_t n) {
  const char *t;
  size_t tl, i = 0;
  while (eddy__http_list_next(v, n, &i, &t, &tl)) {
    if (ieq(t, tl, "close"))
      f->conn_close = 1;
    else if (ieq(t, tl, "keep-alive"))
      f->conn_keep_alive = 1;
  }
}

static int field(frame_t *f, const eddy_http_header_t *fl) {
  const char *v = fl->value.base;
  size_t vl = fl->value.len;
  if (ieq(fl->name.base, fl->name.len, "content-length"))
    return content_length(f, v, vl);
  if (ieq(fl->name.base, fl->name.len, "transfer-encoding"))
    return transfer_encoding(f, v, vl);
  if (ieq(fl->name.base, fl->name.len, "connection")) connection(f, v, vl);
  return 0;
}

/* One field line at b[p]; fills *out, returns the index after its CRLF. */
static long field_line(const char *b, size_t p, size_t end,
                       eddy_http_header_t *out) {
  size_t i = p;
  while (i < end && is_tchar((unsigned char)b[i])) i++;
  if (i == end) return NEED;
  if (b[i] != ':' || i == p) return BAD; /* obs-fold, space before colon */
  size_t name_end = i++;
  while (i < end && is_vbyte((unsigned char)b[i])) i++;
  if (i == end || i + 1 == end) return NEED;
  if (b[i] != '\r' || b[i + 1] != '\n') return BAD;
  size_t s = name_end + 1, e = i;
  while (s < e && (b[s] == ' ' || b[s] == '\t')) s++;
  while (e > s && (b[e - 1] == ' ' || b[e - 1] == '\t')) e--;
  out->name = (eddy_http_slice_t){b + p, name_end - p};
  out->value = (eddy_http_slice_t){b + s, e - s};
  return (long)(i + 2);
}

static long fields(const char *b, size_t p, size_t end, eddy_client_head_t *h,
                   size_t max_headers, frame_t *f) {
  for (;;) {
    if (p == end || (b[p] == '\r' && p + 1 == end)) return NEED;
    if (b[p] == '\r') return b[p + 1] == '\n' ? (long)(p + 2) : BAD;
    if (h->nheaders == max_headers) return BAD;
    eddy_http_header_t *fl = &h->headers[h->nheaders];
    long r = field_line(b, p, end, fl);
    if (r < 0) return r;
    if (field(f, fl) < 0) return BAD;
    h->nheaders++;
    p = (size_t)r;
  }
}

static int framing(eddy_client_head_t *h, const frame_t *f) {
  if (f->te_seen && (f->cl_seen || h->minor_version == 0)) return BAD;
  h->content_length = f->cl_seen ? f->cl : -1;
  h->flags = 0;
  if (h->minor_version == 1 ? !f->conn_close : f->conn_keep_alive)
    h->flags |= EDDY_CLIENT_F_KEEP_ALIVE;
  if (f->te_seen && f->te_chunked_last) {
    h->flags |= EDDY_CLIENT_F_CHUNKED;
  } else if (f->te_seen || !f->cl_seen) {
    /* A coding without chunked, or no length: the body runs to close. */
    h->flags |= EDDY_CLIENT_F_UNTIL_CLOSE;
    if (h->status >= 200 && h->status != 204 && h->status != 304)
      h->flags &= ~(unsigned)EDDY_CLIENT_F_KEEP_ALIVE;
  }
  return 0;
}

int eddy_client_parse_response(const char *buf, size_t len,
                               eddy_client_head_t *head,
                               eddy_http_header_t *headers, size_t max_headers,
                               size_t max_head) {
  frame_t f = {0};
  size_t end = len < max_head ? len : max_head;
  head->headers = headers;
  head->nheaders = 0;
  long p = status_line(buf, end, head);
  if (p >= 0) p = fields(buf, (size_t)p, end, head, max_headers, &f);
  if (p == NEED) return len >= max_head ? BAD : NEED;
  if (p < 0) return BAD;
  if (framing(head, &f) < 0) return BAD;
  return (int)p;
}

const eddy_http_header_t *eddy_client_find_header(const eddy_client_head_t *h,
                                                  const char *name) {
  for (size_t i = 0; i < h->nheaders; i++)
    if (h->headers[i].name.len == strlen(name) &&
        strncasecmp(h->headers[i].name.base, name, h->headers[i].name.len) == 0)
      return &h->headers[i];
  return NULL;
}

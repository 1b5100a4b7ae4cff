/*
 * Chunked transfer coding decoder (RFC 9112 §7.1), incremental: the state
 * lives in eddy_http_chunked_t, so the body may be split anywhere. Data is
 * moved in bulk; the framing around it goes through a byte switch, which is
 * a few bytes per chunk.
 *
 * Strictness, against request smuggling: sizes are 1*HEXDIG and overflow is
 * an error (not a wrap); a size has at most 16 digits, leading zeros
 * included, so a client cannot keep a connection busy sending "0000..."
 * forever (RFC 9112 §7.1 sets no bound; 16 is what a 64-bit size needs);
 * extensions follow the grammar exactly (BWS ";" BWS token [BWS "=" BWS (token
 * / quoted-string)]) and are bounded; every line ends in CRLF (bare LF is 400);
 * the data is followed by CRLF exactly; trailers follow the field-line rules
 * and are bounded.
 */
#include <string.h>

#include "eddy/http_parser.h"
#include "http/parser.h"

enum {
  S_SIZE_FIRST,
  S_SIZE,
  S_SIZE_LF,
  S_DATA,
  S_DATA_CR,
  S_DATA_LF,
  E_PRE_SEMI,
  E_PRE_NAME,
  E_NAME,
  E_POST_NAME,
  E_PRE_VAL,
  E_TVAL,
  E_QVAL,
  E_QESC,
  E_AFTER_Q,
  T_START,
  T_NAME,
  T_VALUE,
  T_LF,
  T_END_LF,
  S_DONE,
  S_ERROR
};

#define BAD (-400)
#define MAX_SIZE_DIGITS 16
#define IS_WS(c) ((c) == ' ' || (c) == '\t')

void eddy_http_chunked_init(eddy_http_chunked_t *d,
                            const eddy_http_limits_t *limits) {
  memset(d, 0, sizeof(*d));
  d->_state = S_SIZE_FIRST;
  d->_max_body = limits && limits->max_body ? limits->max_body
                                            : EDDY_HTTP_DEFAULT_MAX_BODY;
  d->_max_ext = limits && limits->max_chunk_ext
                    ? limits->max_chunk_ext
                    : EDDY_HTTP_DEFAULT_MAX_CHUNK_EXT;
  d->_max_trailer = limits && limits->max_trailer_bytes
                        ? limits->max_trailer_bytes
                        : EDDY_HTTP_DEFAULT_MAX_TRAILER_BYTES;
}

/* The end of a size line's digits: the body limit applies now, so that an
 * overlong size is 413 and only an overflowing one is 400. */
static int size_done(eddy_http_chunked_t *d) {
  if (d->_remaining > d->_max_body - d->_total) return -413;
  return 0;
}

static int on_size(eddy_http_chunked_t *d, unsigned char c) {
  if (EDDY__HC(c, EDDY__HC_HEX)) {
    if (++d->_digits > MAX_SIZE_DIGITS) return BAD; /* zeros count too */
    d->_remaining = (d->_remaining << 4) | eddy__hexval(c);
    return S_SIZE;
  }
  int e = size_done(d);
  if (e < 0) return e;
  if (c == '\r') return S_SIZE_LF;
  if (c == ';') return E_PRE_NAME;
  return IS_WS(c) ? E_PRE_SEMI : BAD;
}

/* One byte of a chunk extension; returns the next state or BAD. */
static int on_ext(int st, unsigned char c) {
  int tchar = EDDY__HC(c, EDDY__HC_TCHAR);
  switch (st) {
  case E_PRE_SEMI: return IS_WS(c) ? st : c == ';' ? E_PRE_NAME : BAD;
  case E_PRE_NAME: return IS_WS(c) ? st : tchar ? E_NAME : BAD;
  case E_NAME:
    if (tchar) return st;
    __attribute__((fallthrough)); /* the name ended */
  case E_POST_NAME:
    if (IS_WS(c)) return E_POST_NAME;
    if (c == '=') return E_PRE_VAL;
    if (c == ';') return E_PRE_NAME;
    return c == '\r' && st == E_NAME ? S_SIZE_LF : BAD;
  case E_PRE_VAL:
    return IS_WS(c) ? st : c == '"' ? E_QVAL : tchar ? E_TVAL : BAD;
  case E_TVAL:
    if (tchar) return st;
    __attribute__((fallthrough)); /* the value ended */
  case E_AFTER_Q:
    return IS_WS(c)    ? E_PRE_SEMI
           : c == ';'  ? E_PRE_NAME
           : c == '\r' ? S_SIZE_LF
                       : BAD;
  case E_QVAL:
    if (c == '"') return E_AFTER_Q;
    if (c == '\\') return E_QESC;
    return EDDY__HC(c, EDDY__HC_VALUE) ? st : BAD;
  case E_QESC: return EDDY__HC(c, EDDY__HC_VALUE) ? E_QVAL : BAD;
  }
  return BAD;
}

/* One byte of the trailer section. */
static int on_trailer(int st, unsigned char c) {
  switch (st) {
  case T_START:
    if (c == '\r') return T_END_LF;
    return EDDY__HC(c, EDDY__HC_TCHAR) ? T_NAME : BAD; /* no obs-fold */
  case T_NAME:
    return EDDY__HC(c, EDDY__HC_TCHAR) ? st : c == ':' ? T_VALUE : BAD;
  case T_VALUE:
    return EDDY__HC(c, EDDY__HC_VALUE) ? st : c == '\r' ? T_LF : BAD;
  case T_LF: return c == '\n' ? T_START : BAD;
  case T_END_LF: return c == '\n' ? S_DONE : BAD;
  }
  return BAD;
}

/* One framing byte (any state but S_DATA); returns the next state. */
static int step(eddy_http_chunked_t *d, unsigned char c) {
  int st = d->_state;
  switch (st) {
  case S_SIZE_FIRST:
    if (!EDDY__HC(c, EDDY__HC_HEX)) return BAD;
    /* fall through */
  case S_SIZE: return on_size(d, c);
  case S_SIZE_LF:
    if (c != '\n') return BAD;
    d->_ext = 0;
    return d->_remaining ? S_DATA : T_START;
  case S_DATA_CR: return c == '\r' ? S_DATA_LF : BAD;
  case S_DATA_LF: d->_digits = 0; return c == '\n' ? S_SIZE_FIRST : BAD;
  }
  if (st >= T_START) {
    if (++d->_trailer > d->_max_trailer) return BAD;
    return on_trailer(st, c);
  }
  if (++d->_ext > d->_max_ext) return BAD;
  return on_ext(st, c);
}

int eddy_http_chunked_decode(eddy_http_chunked_t *d, const char *in, size_t len,
                             char *out, size_t *consumed, size_t *produced) {
  size_t i = 0, o = 0;
  int st = d->_state;
  while (i < len && st != S_DONE) {
    if (st == S_DATA) {
      size_t n = len - i;
      if (n > d->_remaining) n = (size_t)d->_remaining;
      memmove(out + o, in + i, n);
      i += n, o += n;
      d->_total += n;
      if ((d->_remaining -= n) == 0) st = S_DATA_CR;
      d->_state = st;
      continue;
    }
    st = step(d, (unsigned char)in[i++]);
    if (st < 0) {
      d->_state = S_ERROR;
      *consumed = i, *produced = o;
      return st;
    }
    d->_state = st;
  }
  *consumed = i, *produced = o;
  if (st == S_ERROR) return BAD;
  return st == S_DONE ? EDDY_HTTP_DONE : EDDY_HTTP_INCOMPLETE;
}

/*
 * The channel's frames: a length-prefixed decoder that never holds more
 * than one maximal frame plus one read, and rejects a bad length as soon
 * as its four bytes are in, before buffering the body.
 */
#include "cluster/frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void eddy__cluster_put_u64(uint8_t *p, uint64_t v) {
  for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

uint64_t eddy__cluster_get_u64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

void eddy__cluster_frame_head(uint8_t out[5], unsigned type, size_t n) {
  uint32_t len = (uint32_t)n + 1;
  out[0] = (uint8_t)(len >> 24);
  out[1] = (uint8_t)(len >> 16);
  out[2] = (uint8_t)(len >> 8);
  out[3] = (uint8_t)len;
  out[4] = (uint8_t)type;
}

void eddy__cluster_frame_decoder_init(eddy__frame_decoder_t *d) {
  memset(d, 0, sizeof(*d));
}

void eddy__cluster_frame_decoder_free(eddy__frame_decoder_t *d) {
  free(d->buf);
  memset(d, 0, sizeof(*d));
}

/* The size a payload of `type` must have, or -1 for any size. */
static long fixed_size(unsigned type) {
  switch (type) {
  case FRAME_ONLINE:
  case FRAME_LISTENING:
  case FRAME_CONN: return 0;
  case FRAME_HEARTBEAT: return FRAME_REPORT_SIZE;
  case FRAME_SHUTDOWN: return 8;
  case FRAME_RECEIPT: return 9;
  default: return -1;
  }
}

/* Checks a frame's head (length and type byte, when there). */
static int check_head(const uint8_t *p, size_t have) {
  uint32_t len = get_u32(p);
  if (len == 0) return -EPROTO;
  if (len > FRAME_MAX_BODY) return -EMSGSIZE;
  if (have < FRAME_HEADER + 1) return 0;
  unsigned type = p[FRAME_HEADER];
  if (type == 0 || type >= FRAME_TYPES) return -EPROTO;
  long size = fixed_size(type);
  if (size >= 0 && (long)len - 1 != size) return -EPROTO;
  if (type == FRAME_STATS && (len - 1 < FRAME_STATS_HEAD ||
                              (len - 1 - FRAME_STATS_HEAD) % FRAME_STATS_ENTRY))
    return -EPROTO;
  return 0;
}

/* Calls cb for each complete frame at the front of p[0..n); sets *used. */
static int split(const uint8_t *p, size_t n, size_t *used, eddy__frame_cb cb,
                 void *arg) {
  size_t off = 0;
  int r = 0;
  while (n - off >= FRAME_HEADER) {
    r = check_head(p + off, n - off);
    if (r) break;
    size_t len = get_u32(p + off);
    if (n - off < FRAME_HEADER + len) break;
    const uint8_t *body = p + off + FRAME_HEADER;
    off += FRAME_HEADER + len;
    r = cb(arg, body[0], body + 1, len - 1);
    if (r) break;
  }
  *used = off;
  return r;
}

static int append(eddy__frame_decoder_t *d, const void *data, size_t n) {
  if (n == 0) return 0;
  if (d->len + n > d->cap) {
    size_t cap = d->cap ? d->cap : 4096;
    while (cap < d->len + n) cap *= 2;
    uint8_t *b = realloc(d->buf, cap);
    if (!b) return -ENOMEM;
    d->buf = b;
    d->cap = cap;
  }
  memcpy(d->buf + d->len, data, n);
  d->len += n;
  return 0;
}

int eddy__cluster_frame_feed(eddy__frame_decoder_t *d, const void *data,
                             size_t n, eddy__frame_cb cb, void *arg) {
  size_t used;
  int r;
  if (d->len == 0) { /* the common case: whole frames, no copy */
    r = split(data, n, &used, cb, arg);
    if (r) return r;
    return append(d, (const uint8_t *)data + used, n - used);
  }
  r = append(d, data, n);
  if (r) return r;
  r = split(d->buf, d->len, &used, cb, arg);
  if (r) return r;
  memmove(d->buf, d->buf + used, d->len - used);
  d->len -= used;
  /* Give back a big buffer once the big frame is through. */
  if (d->len == 0 && d->cap > 65536) {
    free(d->buf);
    d->buf = NULL;
    d->cap = 0;
  }
  return 0;
}

void eddy__cluster_report_encode(const eddy_cluster_report_t *r,
                                 uint8_t out[FRAME_REPORT_SIZE]) {
  double u = r->utilization < 0 ? 0 : r->utilization > 1 ? 1 : r->utilization;
  eddy__cluster_put_u64(out, r->pid);
  eddy__cluster_put_u64(out + 8, r->rss_bytes);
  eddy__cluster_put_u64(out + 16, r->delay_p99_ns);
  eddy__cluster_put_u64(out + 24, (uint64_t)(u * 1e6 + 0.5));
  eddy__cluster_put_u64(out + 32, r->connections);
  eddy__cluster_put_u64(out + 40, r->requests);
  eddy__cluster_put_u64(out + 48, r->request_p99_ns);
}

int eddy__cluster_report_decode(const uint8_t *p, size_t n,
                                eddy_cluster_report_t *r) {
  if (n != FRAME_REPORT_SIZE) return -EPROTO;
  uint64_t u = eddy__cluster_get_u64(p + 24);
  if (u > 1000000) return -EPROTO;
  r->pid = eddy__cluster_get_u64(p);
  r->rss_bytes = eddy__cluster_get_u64(p + 8);
  r->delay_p99_ns = eddy__cluster_get_u64(p + 16);
  r->utilization = (double)u / 1e6;
  r->connections = eddy__cluster_get_u64(p + 32);
  r->requests = eddy__cluster_get_u64(p + 40);
  r->request_p99_ns = eddy__cluster_get_u64(p + 48);
  return 0;
}

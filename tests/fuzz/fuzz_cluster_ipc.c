/* Fuzzes the cluster channel's frame decoder: bytes fed in pieces (the
 * first byte picks the piece size) must give the same frames as one feed,
 * every frame handed out is valid, and nothing is read out of bounds.
 * This is what a worker could send the primary. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/frame.h"

typedef struct {
  uint64_t sum; /* a digest of every frame seen */
  unsigned frames;
} seen_t;

static int on_frame(void *arg, unsigned type, const uint8_t *p, size_t n) {
  seen_t *s = arg;
  if (type == 0 || type >= FRAME_TYPES || n > EDDY_CLUSTER_MAX_MESSAGE)
    abort();
  if (type == FRAME_RECEIPT && n != 9) abort(); /* the primary reads 9 */
  if (type == FRAME_HEARTBEAT) {
    eddy_cluster_report_t r;
    if (n != FRAME_REPORT_SIZE) abort();
    eddy__cluster_report_decode(p, n, &r);
  }
  s->frames++;
  s->sum = s->sum * 31 + type + n;
  for (size_t i = 0; i < n; i++) s->sum = s->sum * 131 + p[i];
  return 0;
}

static int run(const uint8_t *data, size_t size, size_t piece, seen_t *s) {
  eddy__frame_decoder_t d;
  int r = 0;
  eddy__cluster_frame_decoder_init(&d);
  for (size_t off = 0; off < size && r == 0; off += piece) {
    size_t n = size - off < piece ? size - off : piece;
    r = eddy__cluster_frame_feed(&d, data + off, n, on_frame, s);
  }
  if (d.len > FRAME_HEADER + FRAME_MAX_BODY + piece) abort();
  eddy__cluster_frame_decoder_free(&d);
  return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t piece = (size_t)data[0] % 64 + 1;
  seen_t whole = {0}, split = {0};
  int a = run(data + 1, size - 1, size, &whole);
  int b = run(data + 1, size - 1, piece, &split);
  if (a != b || whole.frames != split.frames || whole.sum != split.sum)
    abort();
  return 0;
}

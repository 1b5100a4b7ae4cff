/*
 * eddy cluster — the frames of the primary/worker channel, and their
 * decoder. Pure: no loop, no I/O, any thread (the fuzzer drives it).
 *
 * A frame is a 4-byte big-endian length L, then L bytes: a type byte and
 * L - 1 bytes of payload. L is 1 .. EDDY_CLUSTER_MAX_MESSAGE + 1; the
 * fixed-size types must have their exact size.
 */
#ifndef EDDY_CLUSTER_FRAME_H
#define EDDY_CLUSTER_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "eddy/cluster.h"

enum {
  FRAME_ONLINE = 1,    /* worker -> primary, empty */
  FRAME_LISTENING = 2, /* worker -> primary, empty */
  FRAME_HEARTBEAT = 3, /* worker -> primary, FRAME_REPORT_SIZE bytes */
  FRAME_MESSAGE = 4,   /* either way, the program's bytes */
  FRAME_SHUTDOWN = 5,  /* primary -> worker, 8 bytes: grace ms */
  FRAME_CONN = 6,      /* primary -> worker, empty, carries a connection */
  FRAME_STATS = 7,     /* primary -> worker: every worker's last report */
  FRAME_RECEIPT = 8,   /* worker -> primary, 9 bytes: the CONN's number
                        * (u64, the first is 1), then 1 taken, 0 refused */
  FRAME_TYPES
};

#define FRAME_HEADER 4u
#define FRAME_MAX_BODY (EDDY_CLUSTER_MAX_MESSAGE + 1u)
/* pid, rss, delay p99, utilization (millionths), connections, requests,
 * request p99 */
#define FRAME_REPORT_SIZE 56u
/* A stalled callback's label in the stall note and in STATS (with NUL). */
#define FRAME_LABEL_SIZE 112u

typedef struct {
  uint8_t *buf; /* bytes of incomplete frames */
  size_t len;
  size_t cap;
} eddy__frame_decoder_t;

/* A complete, valid frame; return non-zero to stop the feed (it then
 * returns that value). */
typedef int (*eddy__frame_cb)(void *arg, unsigned type, const uint8_t *p,
                              size_t n);

void eddy__cluster_frame_decoder_init(eddy__frame_decoder_t *d);
void eddy__cluster_frame_decoder_free(eddy__frame_decoder_t *d);

/*
 * Adds `n` bytes and calls `cb` for each complete frame, in order.
 * Returns 0, the callback's non-zero value, -EMSGSIZE (length above the
 * maximum), -EPROTO (length 0, unknown type, wrong size) or -ENOMEM. After
 * an error the decoder must not be fed again.
 */
int eddy__cluster_frame_feed(eddy__frame_decoder_t *d, const void *data,
                             size_t n, eddy__frame_cb cb, void *arg);

/* Writes the 5-byte head (length, type) of a frame with `n` payload
 * bytes into out. */
void eddy__cluster_frame_head(uint8_t out[5], unsigned type, size_t n);

/* A report as payload bytes, and back (0 or -EPROTO). */
void eddy__cluster_report_encode(const eddy_cluster_report_t *r,
                                 uint8_t out[FRAME_REPORT_SIZE]);
int eddy__cluster_report_decode(const uint8_t *p, size_t n,
                                eddy_cluster_report_t *r);

/* STATS: restart counts by cause, the requests of the workers that have
 * exited (their last reports), then per worker: id, slot, report, the
 * monotonic start (ns) of the callback that blocks its loop now (0: none)
 * and that callback's label (NUL-padded; not NUL-terminated when full). */
#define FRAME_STATS_HEAD (8u * EDDY_CLUSTER_CAUSES + 8u)
#define FRAME_STATS_BLOCKED (16u + FRAME_REPORT_SIZE)
#define FRAME_STATS_LABEL (FRAME_STATS_BLOCKED + 8u)
#define FRAME_STATS_ENTRY (FRAME_STATS_LABEL + FRAME_LABEL_SIZE)

/* Big-endian 64-bit helpers. */
void eddy__cluster_put_u64(uint8_t *p, uint64_t v);
uint64_t eddy__cluster_get_u64(const uint8_t *p);

#endif

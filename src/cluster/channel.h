/*
 * eddy cluster — a framed channel over one end of a socketpair, used the
 * same way by the primary (one per worker) and by a worker. Loop thread.
 */
#ifndef EDDY_CLUSTER_CHANNEL_H
#define EDDY_CLUSTER_CHANNEL_H

#include "cluster/frame.h"
#include "eddy/net.h"

/* Bytes queued for a peer that does not read before sends fail. */
#define CHANNEL_MAX_QUEUED (1u << 20)

typedef struct eddy__channel_s eddy__channel_t;

/* A valid frame arrived. Return non-zero after closing the channel. */
typedef int (*eddy__channel_frame_cb)(eddy__channel_t *ch, unsigned type,
                                      const uint8_t *p, size_t n);
/* The channel ended: EDDY_EOF (peer closed), -EPROTO / -EMSGSIZE (a bad
 * frame), or a read error. The owner closes the channel. Called once. */
typedef void (*eddy__channel_end_cb)(eddy__channel_t *ch, int err);
/* The channel is closed; its memory may go. */
typedef void (*eddy__channel_closed_cb)(eddy__channel_t *ch);

struct eddy__channel_s {
  void *data;
  eddy_unix_t sock;
  eddy__frame_decoder_t dec;
  eddy__channel_frame_cb on_frame;
  eddy__channel_end_cb on_end;
  eddy__channel_closed_cb on_closed;
  int open;  /* 1 from open until close is requested */
  int ended; /* on_end has run */
  char rbuf[4096];
};

/* Wraps `fd` (taken, even on error: it is closed) and starts reading.
 * On an error the channel is closing already: on_closed will run. */
int eddy__cluster_channel_open(eddy_loop_t *loop, eddy__channel_t *ch, int fd);

/* Queues one frame (head + copy of `n` bytes). 0, -EPIPE (closed),
 * -EMSGSIZE, -ENOMEM, EDDY_EQUEUEFULL. */
int eddy__cluster_channel_send(eddy__channel_t *ch, unsigned type,
                               const void *p, size_t n);

/* Queues an empty frame of `type` carrying a copy of the descriptor `fd`.
 * The caller keeps `fd` open until the frame is sent (it waits for the
 * peer's receipt, later still) and closes it itself. Errors as for
 * eddy__channel_send. */
int eddy__cluster_channel_send_fd(eddy__channel_t *ch, unsigned type, int fd);

/* Receives descriptors from the peer: `cb` owns each one. */
int eddy__cluster_channel_recv_fds(eddy__channel_t *ch, eddy_fd_cb cb);

/* Bytes waiting for the peer to read. */
size_t eddy__cluster_channel_queued(eddy__channel_t *ch);

/* Closes the socket; on_closed runs later. Idempotent. */
void eddy__cluster_channel_close(eddy__channel_t *ch);

/* unref: an open channel does not keep the loop alive. */
void eddy__cluster_channel_unref(eddy__channel_t *ch);

#endif

/*
 * The framed channel: reads into a small fixed buffer and hands the bytes
 * to the frame decoder; each send is one allocation holding the write
 * request, the head and a copy of the payload, freed in its callback.
 */
#include "cluster/channel.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  eddy_write_t req;
  uint8_t bytes[]; /* head, then payload */
} send_t;

static void on_sock_closed(eddy_handle_t *h);

static void on_alloc(eddy_stream_t *s, size_t suggested, eddy_buf_t *buf) {
  eddy__channel_t *ch = s->data;
  *buf = eddy_buf(ch->rbuf, sizeof(ch->rbuf));
}

static int deliver(void *arg, unsigned type, const uint8_t *p, size_t n) {
  eddy__channel_t *ch = arg;
  return ch->on_frame(ch, type, p, n);
}

static void end(eddy__channel_t *ch, int err) {
  if (ch->ended) return;
  ch->ended = 1;
  eddy_read_stop(EDDY_STREAM(&ch->sock));
  ch->on_end(ch, err);
}

static void on_read(eddy_stream_t *s, ssize_t nread, const eddy_buf_t *buf) {
  eddy__channel_t *ch = s->data;
  if (nread < 0) {
    end(ch, (int)nread);
    return;
  }
  if (nread == 0 || !ch->open) return;
  int r = eddy__cluster_frame_feed(&ch->dec, buf->base, (size_t)nread, deliver,
                                   ch);
  if (r < 0) end(ch, r);
}

int eddy__cluster_channel_open(eddy_loop_t *loop, eddy__channel_t *ch, int fd) {
  eddy__cluster_frame_decoder_init(&ch->dec);
  ch->open = 0;
  ch->ended = 0;
  eddy_unix_init(loop, &ch->sock);
  ch->sock.data = ch;
  int r = eddy_stream_open(EDDY_STREAM(&ch->sock), fd);
  if (r == 0) r = eddy_read_start(EDDY_STREAM(&ch->sock), on_alloc, on_read);
  ch->open = 1;
  if (r < 0) {
    /* The handle may hold no fd: close fd and handle both. on_closed
     * still runs, so the owner frees the memory at one place. */
    if (eddy_stream_fd(EDDY_STREAM(&ch->sock)) < 0) close(fd);
    eddy__cluster_channel_close(ch);
  }
  return r;
}

static void on_sent(eddy_write_t *req, int status) { free(req->data); }

int eddy__cluster_channel_send(eddy__channel_t *ch, unsigned type,
                               const void *p, size_t n) {
  if (!ch->open || ch->ended) return -EPIPE;
  if (n > EDDY_CLUSTER_MAX_MESSAGE) return -EMSGSIZE;
  if (eddy_stream_queued(EDDY_STREAM(&ch->sock)) > CHANNEL_MAX_QUEUED)
    return EDDY_EQUEUEFULL;
  send_t *s = malloc(sizeof(*s) + 5 + n);
  if (!s) return -ENOMEM;
  eddy__cluster_frame_head(s->bytes, type, n);
  if (n) memcpy(s->bytes + 5, p, n);
  s->req.data = s;
  eddy_buf_t b = eddy_buf(s->bytes, 5 + n);
  int r = eddy_write(&s->req, EDDY_STREAM(&ch->sock), &b, 1, on_sent);
  if (r < 0) {
    free(s);
    return r;
  }
  return 0;
}

typedef struct {
  eddy_write_t req;
  uint8_t head[5];
} send_fd_t;

/* The caller keeps its copy of the fd open until the peer's receipt
 * (round-robin's held connections), so nothing to close here. */
static void on_fd_sent(eddy_write_t *req, int status) { free(req->data); }

int eddy__cluster_channel_send_fd(eddy__channel_t *ch, unsigned type, int fd) {
  int r = -EPIPE;
  send_fd_t *s = NULL;
  if (ch->open && !ch->ended) {
    s = malloc(sizeof(*s));
    r = s ? 0 : -ENOMEM;
  }
  if (r == 0) {
    s->req.data = s;
    eddy__cluster_frame_head(s->head, type, 0);
    eddy_buf_t b = eddy_buf(s->head, sizeof(s->head));
    r = eddy_write_fd(&s->req, EDDY_STREAM(&ch->sock), &b, 1, fd, on_fd_sent);
  }
  if (r < 0) free(s);
  return r < 0 ? r : 0;
}

int eddy__cluster_channel_recv_fds(eddy__channel_t *ch, eddy_fd_cb cb) {
  return eddy_unix_recv_fds(&ch->sock, cb);
}

size_t eddy__cluster_channel_queued(eddy__channel_t *ch) {
  return ch->open ? eddy_stream_queued(EDDY_STREAM(&ch->sock)) : 0;
}

static void on_sock_closed(eddy_handle_t *h) {
  eddy__channel_t *ch = h->data;
  eddy__cluster_frame_decoder_free(&ch->dec);
  if (ch->on_closed) ch->on_closed(ch);
}

void eddy__cluster_channel_close(eddy__channel_t *ch) {
  if (!ch->open) return;
  ch->open = 0;
  ch->ended = 1;
  eddy_close(EDDY_HANDLE(&ch->sock), on_sock_closed);
}

void eddy__cluster_channel_unref(eddy__channel_t *ch) {
  eddy_unref(EDDY_HANDLE(&ch->sock));
}

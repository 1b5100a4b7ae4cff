/*
 * Round-robin hand-off (Node's default on Linux): the primary accepts and
 * sends each connection to the next worker in slot order over its channel
 * (SCM_RIGHTS). Unlike Node it skips a worker whose heartbeat is late (its
 * loop may be stuck: the connection would wait there until the watchdog
 * kills it, and then be lost) or whose channel is backed up. When no
 * worker can take one, the primary stops accepting and the connections
 * wait in the kernel's backlog until one can.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "cluster/internal.h"
#include "eddy/log.h"

/* Fairness bound: connections handed out per readable event. */
#define RR_BATCH 32
/* A channel with this much unread is a worker that is not keeping up. */
#define RR_MAX_QUEUED (64u * 1024u)

static int eligible(eddy_cluster_t *c, worker_t *w, uint64_t now) {
  return w && w->state == W_LISTENING && w->ch.open && !w->ch.ended &&
         now - w->last_beat_ms <= 2 * c->opts.heartbeat_ms + 50 &&
         eddy__cluster_channel_queued(&w->ch) < RR_MAX_QUEUED;
}

/* The next worker that can take a connection; *slot_out is its slot. The
 * turn advances only once a connection is really handed over. */
static worker_t *pick(eddy_cluster_t *c, unsigned *slot_out) {
  uint64_t now = eddy_loop_now(&c->loop);
  unsigned n = c->opts.workers;
  for (unsigned i = 0; i < n; i++) {
    unsigned slot = (c->rr_next + i) % n;
    worker_t *w = c->slots[slot].current;
    if (eligible(c, w, now)) {
      *slot_out = slot;
      return w;
    }
  }
  return NULL;
}

static void pause_rr(eddy_cluster_t *c) {
  c->rr_paused = 1;
  eddy_io_stop(&c->rr_io);
}

/* Hands `fd` to the next worker that takes it; 0, or -1 if none did. */
static int hand_over(eddy_cluster_t *c, int fd) {
  for (unsigned tries = 0; tries < c->opts.workers; tries++) {
    unsigned slot;
    worker_t *w = pick(c, &slot);
    if (!w) return -1;
    c->rr_next = slot + 1;
    /* A worker that just died fails here (EPIPE): try the next one. */
    if (eddy__cluster_channel_send_fd(&w->ch, FRAME_CONN, fd) == 0) return 0;
  }
  return -1;
}

static void on_readable(eddy_io_t *io, unsigned events) {
  eddy_cluster_t *c = io->data;
  for (int i = 0; i < RR_BATCH; i++) {
    unsigned slot;
    if (!pick(c, &slot)) {
      pause_rr(c);
      return;
    }
    int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE) pause_rr(c); /* tick retries */
      return;
    }
    if (hand_over(c, fd) < 0) close(fd); /* that client sees a reset */
  }
}

int eddy__cluster_rr_start(eddy_cluster_t *c) {
  int r = eddy_io_init(&c->loop, &c->rr_io, c->listen_fd, on_readable);
  if (r < 0) return r;
  c->rr_io.data = c;
  pause_rr(c); /* until a worker listens */
  return 0;
}

void eddy__cluster_rr_kick(eddy_cluster_t *c) {
  if (!c->rr_paused || c->stopping ||
      c->opts.share != EDDY_CLUSTER_ROUND_ROBIN || c->listen_fd < 0)
    return;
  uint64_t now = eddy_loop_now(&c->loop);
  for (unsigned i = 0; i < c->opts.workers; i++) {
    if (!eligible(c, c->slots[i].current, now)) continue;
    c->rr_paused = 0;
    eddy_io_start(&c->rr_io, EDDY_READABLE);
    return;
  }
}

void eddy__cluster_rr_stop(eddy_cluster_t *c) {
  if (c->opts.share != EDDY_CLUSTER_ROUND_ROBIN || !c->rr_io.loop) return;
  if (!eddy_is_closing(EDDY_HANDLE(&c->rr_io)))
    eddy_close(EDDY_HANDLE(&c->rr_io), NULL);
}

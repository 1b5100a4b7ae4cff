/*
 * Round-robin hand-off (Node's default on Linux): the primary accepts and
 * sends each connection to the next worker in slot order over its channel
 * (SCM_RIGHTS). Unlike Node it skips a worker whose heartbeat is late (its
 * loop may be stuck: the connection would wait there until the watchdog
 * kills it, and then be lost) or whose channel is backed up. When no
 * worker can take one, the primary stops accepting and the connections
 * wait in the kernel's backlog until one can.
 *
 * The primary keeps its copy of each connection until the worker's
 * receipt, which the worker writes before it reads a byte: a worker that
 * dies first (a SIGKILL lands while the connection is on its way, or
 * while the kernel tears the process down and its channel still takes
 * messages) or refuses it (it is stopping) leaves the connection
 * untouched, and it goes to another worker instead of being lost. Node
 * loses it.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster/internal.h"
#include "eddy/log.h"

/* Fairness bound: connections handed out per readable event. */
#define RR_BATCH 32
/* A channel with this much unread is a worker that is not keeping up. */
#define RR_MAX_QUEUED (64u * 1024u)

static int eligible(eddy_cluster_t *c, worker_t *w, uint64_t now) {
  return w && w->state == W_LISTENING && !w->refuses && w->ch.open &&
         !w->ch.ended &&
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

/* Room for one more held connection; -ENOMEM. */
static int held_reserve(worker_t *w) {
  if (w->held_n < w->held_cap) return 0;
  unsigned cap = w->held_cap ? 2 * w->held_cap : 16;
  int *h = malloc(cap * sizeof(*h));
  if (!h) return -ENOMEM;
  for (unsigned i = 0; i < w->held_n; i++)
    h[i] = w->held[(w->held_first + i) % w->held_cap];
  free(w->held);
  w->held = h, w->held_cap = cap, w->held_first = 0;
  return 0;
}

static int held_pop(worker_t *w) {
  int fd = w->held[w->held_first];
  w->held_first = (w->held_first + 1) % w->held_cap;
  w->held_n--;
  w->held_done++;
  return fd;
}

/* Hands `fd` to the next worker that takes it and holds it until the
 * receipt; else closes it (that client sees a reset). */
static void hand_over(eddy_cluster_t *c, int fd) {
  for (unsigned tries = 0; tries < c->opts.workers; tries++) {
    unsigned slot;
    worker_t *w = pick(c, &slot);
    if (!w || held_reserve(w) < 0) break;
    c->rr_next = slot + 1;
    /* A worker that just died fails here (EPIPE): try the next one. */
    if (eddy__cluster_channel_send_fd(&w->ch, FRAME_CONN, fd) == 0) {
      w->held[(w->held_first + w->held_n++) % w->held_cap] = fd;
      return;
    }
  }
  close(fd);
}

/*
 * Receipts come in order, one per connection, unless the worker could not
 * send one (its channel full): it closed that connection unread, so a
 * number skipped is a connection to hand on.
 */
int eddy__cluster_rr_receipt(worker_t *w, const uint8_t *p) {
  uint64_t number = eddy__cluster_get_u64(p);
  unsigned taken = p[8];
  if (taken > 1 || number <= w->held_done || number - w->held_done > w->held_n)
    return -EPROTO;
  while (w->held_done + 1 < number) hand_over(w->c, held_pop(w));
  int fd = held_pop(w);
  if (taken) {
    close(fd); /* the worker has its own copy */
  } else {
    w->refuses = 1; /* its server has closed: no more for it */
    hand_over(w->c, fd);
  }
  return 0;
}

void eddy__cluster_rr_release(worker_t *w, int hand_on) {
  while (w->held_n) {
    int fd = held_pop(w);
    if (hand_on && !w->c->stopping)
      hand_over(w->c, fd);
    else
      close(fd);
  }
  free(w->held);
  w->held = NULL;
  w->held_cap = w->held_first = 0;
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
    hand_over(c, fd);
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

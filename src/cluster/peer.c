/*
 * The primary's side of a worker's channel: frames become events, and a
 * bad frame closes the channel (logged) and has the worker replaced.
 * Nothing a worker sends can do more than that to the primary: the
 * decoder bounds every length before it buffers, and a report is only
 * numbers.
 */
#include "cluster/internal.h"
#include "eddy/log.h"

void eddy__cluster_peer_event(worker_t *w, eddy_cluster_event_type_t type) {
  eddy_cluster_event_t ev = {.type = type,
                             .worker = w->id,
                             .slot = w->slot,
                             .pid = (int)w->pid};
  if (type == EDDY_CLUSTER_HEARTBEAT) ev.report = &w->last;
  if (w->c->opts.on_event) w->c->opts.on_event(w->c, &ev);
}

static void message_event(worker_t *w, const uint8_t *p, size_t n) {
  eddy_cluster_event_t ev = {.type = EDDY_CLUSTER_MESSAGE,
                             .worker = w->id,
                             .slot = w->slot,
                             .pid = (int)w->pid,
                             .message = p,
                             .len = n};
  if (w->c->opts.on_event) w->c->opts.on_event(w->c, &ev);
}

static void heartbeat(worker_t *w, const uint8_t *p, size_t n) {
  /* The size was checked by the decoder; decode checks the values. */
  eddy_cluster_report_t r;
  if (eddy__cluster_report_decode(p, n, &r) < 0) return;
  w->last = r;
  w->have_report = 1;
  w->last_beat_ms = eddy_loop_now(&w->c->loop);
  eddy__cluster_peer_event(w, EDDY_CLUSTER_HEARTBEAT);
  eddy__cluster_on_report(w);
  eddy__cluster_rr_kick(w->c);
}

/* Closes the channel of a worker that sent `what` and replaces it. Its
 * held connections are closed, not handed on: receipts after the bad
 * frame go unread, so the worker may have read them. */
static int bad_frame(worker_t *w, unsigned type, const char *what) {
  eddy_log(EDDY_LOG_ERROR,
           "cluster: worker %u (pid %d) sent frame type %u, %s; closing its "
           "channel",
           w->id, (int)w->pid, type, what);
  eddy__cluster_rr_release(w, 0);
  eddy__cluster_channel_close(&w->ch);
  eddy__cluster_replace(w, EDDY_CLUSTER_CAUSE_IPC);
  return 1;
}

static int on_frame(eddy__channel_t *ch, unsigned type, const uint8_t *p,
                    size_t n) {
  worker_t *w = ch->data;
  w->last_beat_ms = eddy_loop_now(&w->c->loop); /* any frame is a sign */
  switch (type) {
  case FRAME_ONLINE:
    if (w->state == W_STARTING) w->state = W_ONLINE;
    eddy__cluster_peer_event(w, EDDY_CLUSTER_ONLINE);
    break;
  case FRAME_LISTENING:
    if (w->state < W_LISTENING) w->state = W_LISTENING;
    eddy__cluster_peer_event(w, EDDY_CLUSTER_LISTENING);
    eddy__cluster_on_listening(w);
    eddy__cluster_rr_kick(w->c);
    break;
  case FRAME_HEARTBEAT: heartbeat(w, p, n); break;
  case FRAME_MESSAGE: message_event(w, p, n); break;
  case FRAME_RECEIPT:
    if (eddy__cluster_rr_receipt(w, p) < 0)
      return bad_frame(w, type, "a receipt for no connection");
    break;
  default: return bad_frame(w, type, "which only the primary sends");
  }
  return 0;
}

static void on_end(eddy__channel_t *ch, int err) {
  worker_t *w = ch->data;
  /* Every receipt it wrote came before the end: its held connections are
   * untouched. Not so after a bad channel, whose rest went unread. */
  eddy__cluster_rr_release(w, err != -EPROTO && err != -EMSGSIZE);
  eddy__cluster_channel_close(ch);
  /* EOF, or a reset when it died with bytes unread (a SIGKILL while
   * connections were on their way): it is gone; the reaper hears of it.
   * Only what it sent can make the channel bad. */
  if (err != -EPROTO && err != -EMSGSIZE) return;
  eddy_log(EDDY_LOG_ERROR,
           "cluster: worker %u (pid %d): bad IPC channel: %s (%s); closed "
           "it, replacing the worker",
           w->id, (int)w->pid, eddy_strerror(err), eddy_err_name(err));
  eddy__cluster_replace(w, EDDY_CLUSTER_CAUSE_IPC);
}

static void on_closed(eddy__channel_t *ch) {
  worker_t *w = ch->data;
  w->ch_closed = 1;
  eddy__cluster_worker_free_maybe(w);
}

void eddy__cluster_peer_start(worker_t *w, int fd) {
  w->ch.data = w;
  w->ch.on_frame = on_frame;
  w->ch.on_end = on_end;
  w->ch.on_closed = on_closed;
  if (eddy__cluster_channel_open(&w->c->loop, &w->ch, fd) == 0)
    eddy__cluster_channel_unref(&w->ch);
}

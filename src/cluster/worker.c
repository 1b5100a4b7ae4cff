/*
 * The worker process: its loop, its channel to the primary, and the way it
 * stops. A stop (SHUTDOWN from the primary, SIGTERM, or the primary gone)
 * calls the program's shutdown callback, which closes its servers with the
 * grace time, and unreferences the channel: the loop then ends when the
 * program's last handle closes, and the process exits 0. SIGINT and SIGHUP
 * are the primary's business (a terminal sends them to the whole group).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/worker.h"
#include "eddy/log.h"

static int started_as_worker;

int eddy_cluster_is_worker(void) {
  return started_as_worker || getenv(CLUSTER_ENV) != NULL;
}

/* Pauses every listener of the loop on the inherited socket. */
static void pause_listener(eddy_handle_t *h, void *arg) {
  wpriv_t *p = arg;
  if ((h->type == EDDY_HANDLE_TCP || h->type == EDDY_HANDLE_UNIX) &&
      !eddy_is_closing(h) && p->pub.listen_fd >= 0 &&
      eddy_stream_fd((eddy_stream_t *)h) == p->pub.listen_fd)
    eddy_listen_pause((eddy_stream_t *)h, 1);
}

static void on_drained(eddy_timer_t *t) {
  wpriv_t *p = t->data;
  uint64_t grace = p->stop_grace_ms;
  p->rr_listener = NULL; /* the program closes its server now */
  eddy_close(EDDY_HANDLE(t), NULL);
  if (p->on_shutdown)
    p->on_shutdown(&p->pub, grace > DRAIN_MS ? grace - DRAIN_MS : 1);
  else
    eddy_loop_stop(&p->loop);
}

/*
 * Stops accepting first, and closes the servers DRAIN_MS later: a server
 * closes the connections that have no request yet, and one accepted just
 * before the close may have its request in the socket, unread. Once the
 * listener is paused, new connections wait in the shared queue for the
 * other workers, and those already accepted are read meanwhile.
 */
static void begin_stop(wpriv_t *p, uint64_t grace_ms) {
  if (p->stopping) return;
  p->stopping = 1;
  p->stop_grace_ms = grace_ms;
  eddy__cluster_channel_unref(&p->ch);
  eddy_loop_walk(&p->loop, pause_listener, p);
  eddy_timer_init(&p->loop, &p->drain);
  p->drain.data = p;
  eddy_timer_start(&p->drain, on_drained, DRAIN_MS, 0);
}

static int on_frame(eddy__channel_t *ch, unsigned type, const uint8_t *d,
                    size_t n) {
  wpriv_t *p = ch->data;
  if (type == FRAME_SHUTDOWN) {
    begin_stop(p, eddy__cluster_get_u64(d));
  } else if (type == FRAME_STATS) {
    eddy__cluster_stats_keep(p, d, n);
  } else if (type == FRAME_CONN) {
    /* Its descriptor went to eddy__cluster_rr_worker_on_fd already. */
  } else if (type == FRAME_MESSAGE) {
    if (p->on_message) p->on_message(&p->pub, d, n);
  } else {
    eddy_log(EDDY_LOG_ERROR,
             "cluster: worker %u: primary sent frame type "
             "%u; closing the channel",
             p->pub.id, type);
    eddy__cluster_channel_close(ch);
    begin_stop(p, p->opts.grace_ms);
    return 1;
  }
  return 0;
}

static void on_end(eddy__channel_t *ch, int err) {
  wpriv_t *p = ch->data;
  if (err != EDDY_EOF)
    eddy_log(EDDY_LOG_ERROR, "cluster: worker %u: channel: %s", p->pub.id,
             eddy_strerror(err));
  eddy__cluster_channel_close(ch);
  begin_stop(p, p->opts.grace_ms); /* the primary is gone */
}

static void on_term(eddy_signal_t *s, int signum) {
  wpriv_t *p = s->data;
  begin_stop(p, p->opts.grace_ms);
}

static void on_ignored(eddy_signal_t *s, int signum) {}

static void watch(wpriv_t *p, eddy_signal_t *s, eddy_signal_cb cb, int sig) {
  eddy_signal_init(&p->loop, s);
  s->data = p;
  eddy_signal_start(s, cb, sig);
  eddy_unref(EDDY_HANDLE(s));
}

static void close_own(wpriv_t *p) {
  eddy_handle_t *hs[] = {EDDY_HANDLE(&p->sig_term), EDDY_HANDLE(&p->sig_int),
                         EDDY_HANDLE(&p->sig_hup)};
  eddy__cluster_report_stop(p);
  eddy__cluster_channel_close(&p->ch);
  for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
    if (!eddy_is_closing(hs[i])) eddy_close(hs[i], NULL);
}

static int setup(wpriv_t *p, const eddy__handoff_t *h) {
  eddy_cluster_worker_t *w = &p->pub;
  int r = eddy_loop_init(&p->loop);
  if (r < 0) return r;
  w->loop = &p->loop;
  w->id = h->id;
  w->slot = h->slot;
  w->listen_fd = h->listen_fd;
  if (h->opts.share == EDDY_CLUSTER_ROUND_ROBIN &&
      (w->listen_fd = eddy__cluster_rr_worker_socket()) < 0)
    return w->listen_fd;
  w->listen_flags = h->opts.share == EDDY_CLUSTER_SHARED
                        ? EDDY_HTTP_LISTEN_EXCLUSIVE
                        : 0;
  w->opts = &p->opts;
  w->data = p->opts.data;
  w->_p = p;
  p->note = eddy__cluster_note_map(h->note_fd);
  p->ch.data = p;
  p->ch.on_frame = on_frame;
  p->ch.on_end = on_end;
  watch(p, &p->sig_term, on_term, SIGTERM);
  watch(p, &p->sig_int, on_ignored, SIGINT);
  watch(p, &p->sig_hup, on_ignored, SIGHUP);
  r = eddy__cluster_channel_open(&p->loop, &p->ch, h->ipc_fd);
  if (r == 0 && h->opts.share == EDDY_CLUSTER_ROUND_ROBIN)
    r = eddy__cluster_channel_recv_fds(&p->ch, eddy__cluster_rr_worker_on_fd);
  if (r == 0) r = eddy__cluster_channel_send(&p->ch, FRAME_ONLINE, NULL, 0);
  return r;
}

static int serve(wpriv_t *p, eddy_cluster_worker_main_cb main_cb) {
  int r = eddy__cluster_report_start(p);
  if (r == 0) r = main_cb(&p->pub);
  if (r != 0) {
    eddy_log(EDDY_LOG_ERROR, "cluster: worker %u: worker_main returned %d",
             p->pub.id, r);
    return r < 0 ? 1 : r;
  }
  eddy__cluster_rr_worker_ready(p);
  eddy__cluster_channel_send(&p->ch, FRAME_LISTENING, NULL, 0);
  eddy__cluster_report_send(p);
  eddy_run(&p->loop, EDDY_RUN_DEFAULT);
  return 0;
}

int eddy__cluster_worker_run(const char *env,
                             eddy_cluster_worker_main_cb main_cb,
                             const eddy_cluster_opts_t *o) {
  eddy__handoff_t h;
  if (eddy__cluster_handoff_parse(env, &h) < 0) return 2;
  started_as_worker = 1;
  unsetenv(CLUSTER_ENV); /* its own children are not workers */
  wpriv_t *p = calloc(1, sizeof(*p));
  if (!p) return 1;
  p->statm_fd = -1;
  p->opts = *o;
  eddy__cluster_opts_defaults(&p->opts);
  p->opts.share = h.opts.share;
  p->opts.heartbeat_ms = h.opts.heartbeat_ms;
  p->opts.stall_timeout_ms = h.opts.stall_timeout_ms;
  p->opts.grace_ms = h.opts.grace_ms;
  int r = setup(p, &h);
  r = r == 0 ? serve(p, main_cb) : 1;
  close_own(p);
  /* Enough iterations for the close callbacks; a program without a
   * shutdown callback may still have its server open (-EBUSY below):
   * the process exits anyway. */
  for (int i = 0; i < 16 && eddy_run(&p->loop, EDDY_RUN_NOWAIT); i++) {
  }
  eddy_loop_close(&p->loop);
  eddy__cluster_note_unmap(p->note);
  free(p->stats);
  free(p);
  eddy_log_flush(1000);
  return r;
}

int eddy_cluster_worker_send(eddy_cluster_worker_t *w, const void *data,
                             size_t len) {
  return eddy__cluster_channel_send(&w->_p->ch, FRAME_MESSAGE, data, len);
}

void eddy_cluster_worker_on_shutdown(eddy_cluster_worker_t *w,
                                     eddy_cluster_shutdown_cb cb) {
  w->_p->on_shutdown = cb;
}

void eddy_cluster_worker_on_message(eddy_cluster_worker_t *w,
                                    eddy_cluster_message_cb cb) {
  w->_p->on_message = cb;
}

void eddy_cluster_worker_on_stats(eddy_cluster_worker_t *w,
                                  eddy_cluster_stats_cb cb) {
  w->_p->on_stats = cb;
}

int eddy_cluster_worker_stopping(const eddy_cluster_worker_t *w) {
  return w->_p->stopping;
}

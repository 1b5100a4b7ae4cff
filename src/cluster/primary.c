/*
 * The primary: opens the sockets, starts the slots, and turns signals into
 * loop events (signalfd): SIGCHLD reaps, SIGTERM/SIGINT shut down (a
 * second one forces), SIGHUP reloads. It never runs a handler.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cluster/internal.h"
#include "eddy/log.h"

static worker_t *find_pid(eddy_cluster_t *c, pid_t pid) {
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &c->workers) {
    worker_t *w = EDDY_CONTAINER_OF(q, worker_t, node);
    if (w->pid == pid && w->state != W_DEAD) return w;
  }
  return NULL;
}

static void on_chld(eddy_signal_t *s, int signum) {
  eddy_cluster_t *c = s->data;
  int status;
  pid_t pid;
  /* signalfd coalesces: one SIGCHLD may stand for several exits. */
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    worker_t *w = find_pid(c, pid);
    if (w) eddy__cluster_on_exit(w, status);
  }
}

static void each_live(eddy_cluster_t *c, void (*fn)(worker_t *, int)) {
  eddy_queue_t *q, *next;
  for (q = c->workers.next; q != &c->workers; q = next) {
    next = q->next;
    worker_t *w = EDDY_CONTAINER_OF(q, worker_t, node);
    if (w->state != W_DEAD) fn(w, -1);
  }
}

static void on_stop_signal(eddy_signal_t *s, int signum) {
  eddy_cluster_t *c = s->data;
  if (c->stopping) {
    eddy_log(EDDY_LOG_WARN, "cluster: %s again: killing the workers",
             strsignal(signum));
    c->stopping = 2;
    each_live(c, eddy__cluster_kill_worker);
    return;
  }
  eddy_log(EDDY_LOG_INFO, "cluster: %s: graceful shutdown (grace %llu ms)",
           strsignal(signum), (unsigned long long)c->opts.grace_ms);
  c->stopping = 1;
  c->reloading = 0;
  for (unsigned i = 0; i < c->opts.workers; i++)
    eddy_timer_stop(&c->slots[i].restart);
  /* The workers hold their own copies; ours would keep connections
   * queued that no one will accept. */
  eddy__cluster_rr_stop(c);
  eddy__cluster_sockets_close(c);
  each_live(c, eddy__cluster_stop_worker);
  eddy__cluster_primary_maybe_done(c);
}

static void on_hup(eddy_signal_t *s, int signum) {
  eddy__cluster_reload_start(s->data);
}

void eddy__cluster_primary_maybe_done(eddy_cluster_t *c) {
  if (!c->stopping || eddy_is_closing(EDDY_HANDLE(&c->tick))) return;
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &c->workers) {
    if (EDDY_CONTAINER_OF(q, worker_t, node)->state != W_DEAD) return;
  }
  eddy_log(EDDY_LOG_INFO, "cluster: every worker has exited");
  eddy_close(EDDY_HANDLE(&c->tick), NULL);
  eddy_close(EDDY_HANDLE(&c->stats), NULL);
  eddy_close(EDDY_HANDLE(&c->sig_term), NULL);
  eddy_close(EDDY_HANDLE(&c->sig_int), NULL);
  eddy_close(EDDY_HANDLE(&c->sig_hup), NULL);
  eddy_close(EDDY_HANDLE(&c->sig_chld), NULL);
  for (unsigned i = 0; i < c->opts.workers; i++)
    eddy_close(EDDY_HANDLE(&c->slots[i].restart), NULL);
}

static void on_stats_timer(eddy_timer_t *t) {
  eddy__cluster_stats_broadcast(t->data);
}

static int watch(eddy_cluster_t *c, eddy_signal_t *s, eddy_signal_cb cb,
                 int signum) {
  eddy_signal_init(&c->loop, s);
  s->data = c;
  return eddy_signal_start(s, cb, signum);
}

static int setup(eddy_cluster_t *c) {
  int r = eddy__cluster_exe_path(c->exe, sizeof(c->exe));
  if (r < 0) return r;
  c->slots = calloc(c->opts.workers, sizeof(*c->slots));
  if (!c->slots) return -ENOMEM;
  for (unsigned i = 0; i < c->opts.workers; i++) {
    c->slots[i].listen_fd = -1;
    eddy_timer_init(&c->loop, &c->slots[i].restart);
    c->slots[i].restart.data = c;
  }
  r = eddy__cluster_sockets_open(c);
  if (r == 0 && c->opts.share == EDDY_CLUSTER_ROUND_ROBIN)
    r = eddy__cluster_rr_start(c);
  if (r < 0) return r;
  if ((r = watch(c, &c->sig_chld, on_chld, SIGCHLD)) < 0 ||
      (r = watch(c, &c->sig_term, on_stop_signal, SIGTERM)) < 0 ||
      (r = watch(c, &c->sig_int, on_stop_signal, SIGINT)) < 0 ||
      (r = watch(c, &c->sig_hup, on_hup, SIGHUP)) < 0)
    return r;
  uint64_t every = c->opts.stall_timeout_ms / 4;
  eddy_timer_init(&c->loop, &c->tick);
  c->tick.data = c;
  if (every < 10) every = 10;
  if (every > 250) every = 250;
  eddy_timer_init(&c->loop, &c->stats);
  c->stats.data = c;
  r = eddy_timer_start(&c->stats, on_stats_timer, c->opts.heartbeat_ms,
                       c->opts.heartbeat_ms);
  if (r < 0) return r;
  return eddy_timer_start(&c->tick, eddy__cluster_tick, every, every);
}

static int run(eddy_cluster_t *c) {
  int r = setup(c);
  if (r < 0) {
    eddy_log(EDDY_LOG_ERROR, "cluster: cannot start: %s:%d: %s", c->opts.host,
             c->opts.port, eddy_strerror(r));
    return r;
  }
  eddy_log(EDDY_LOG_INFO,
           "cluster: primary pid %d: %u workers on "
           "http://%s:%d/ (%s socket)",
           (int)getpid(), c->opts.workers, c->opts.host, c->port,
           c->opts.share == EDDY_CLUSTER_REUSEPORT     ? "SO_REUSEPORT"
           : c->opts.share == EDDY_CLUSTER_ROUND_ROBIN ? "round-robin"
                                                       : "shared");
  for (unsigned i = 0; i < c->opts.workers; i++) eddy__cluster_start_slot(c, i);
  eddy_run(&c->loop, EDDY_RUN_DEFAULT);
  return c->stopping == 2 ? 1 : 0;
}

static void close_handle(eddy_handle_t *h) {
  if (h->loop && !eddy_is_closing(h)) eddy_close(h, NULL);
}

static void teardown(eddy_cluster_t *c) {
  /* After a start-up error, close what setup made and let it finish. */
  close_handle(EDDY_HANDLE(&c->tick));
  close_handle(EDDY_HANDLE(&c->stats));
  close_handle(EDDY_HANDLE(&c->rr_io));
  close_handle(EDDY_HANDLE(&c->sig_term));
  close_handle(EDDY_HANDLE(&c->sig_int));
  close_handle(EDDY_HANDLE(&c->sig_hup));
  close_handle(EDDY_HANDLE(&c->sig_chld));
  for (unsigned i = 0; c->slots && i < c->opts.workers; i++)
    close_handle(EDDY_HANDLE(&c->slots[i].restart));
  eddy_run(&c->loop, EDDY_RUN_DEFAULT);
  eddy_loop_close(&c->loop);
  if (c->slots) eddy__cluster_sockets_close(c);
  free(c->slots);
  free(c->own_argv);
  free(c);
}

int eddy__cluster_primary_main(int argc, char **argv,
                               const eddy_cluster_opts_t *o,
                               eddy_cluster_worker_main_cb worker_main) {
  eddy_cluster_t *c = calloc(1, sizeof(*c));
  if (!c) return -ENOMEM;
  c->opts = *o;
  eddy__cluster_opts_defaults(&c->opts);
  c->own_argv = eddy__cluster_cmdline();
  c->argv = c->own_argv ? c->own_argv : argv;
  c->worker_main = worker_main;
  c->listen_fd = -1;
  eddy_queue_init(&c->workers);
  int r = eddy_loop_init(&c->loop);
  if (r < 0) {
    free(c);
    return r;
  }
  r = run(c);
  teardown(c);
  eddy_log_flush(1000);
  return r;
}

int eddy_cluster_port(const eddy_cluster_t *c) { return c->port; }

void *eddy_cluster_data(const eddy_cluster_t *c) { return c->opts.data; }

uint64_t eddy_cluster_restarts(const eddy_cluster_t *c,
                               eddy_cluster_cause_t cause) {
  return (unsigned)cause < EDDY_CLUSTER_CAUSES ? c->restarts[cause] : 0;
}

int eddy_cluster_send(eddy_cluster_t *c, unsigned worker, const void *data,
                      size_t len) {
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &c->workers) {
    worker_t *w = EDDY_CONTAINER_OF(q, worker_t, node);
    if (w->id != worker || w->state == W_DEAD) continue;
    int r = eddy__cluster_channel_send(&w->ch, FRAME_MESSAGE, data, len);
    return r == -EPIPE ? -ENOENT : r;
  }
  return -ENOENT;
}

/*
 * eddy cluster — private interface of the primary's files and the
 * worker's. Loop thread of the process, always.
 */
#ifndef EDDY_CLUSTER_INTERNAL_H
#define EDDY_CLUSTER_INTERNAL_H

#include <stdatomic.h>
#include <sys/types.h>

#include "cluster/channel.h"
#include "eddy/cluster.h"

/* The environment variable that makes a process a worker. */
#define CLUSTER_ENV "EDDY_CLUSTER_WORKER"

/* What the primary hands a worker through CLUSTER_ENV. */
typedef struct {
  unsigned id, slot;
  int ipc_fd, listen_fd, note_fd;
  eddy_cluster_opts_t opts; /* share and durations only */
} eddy__handoff_t;

int eddy__cluster_handoff_format(const eddy__handoff_t *h, char *out,
                                 size_t max);
int eddy__cluster_handoff_parse(const char *s, eddy__handoff_t *h);
void eddy__cluster_opts_defaults(eddy_cluster_opts_t *o);

/* ---- the stall note: a page the worker's stall detector writes (on its
 * own thread, while the loop is stuck) and the primary reads. The worker's
 * loop acknowledges each heartbeat the reports written so far (a running
 * loop is not stuck in them): a report not yet acknowledged is a stall
 * going on now. */
typedef struct {
  _Atomic uint32_t seq;   /* odd while being written */
  _Atomic uint32_t acked; /* seq the loop has seen as over */
  _Atomic uint64_t running_ms;
  _Atomic uint64_t since_ns; /* eddy_hrtime() when the callback started */
  char label[FRAME_LABEL_SIZE];
} eddy__stall_note_t;

/* Primary: a fresh shared page; its fd (close-on-exec) in *fd. */
eddy__stall_note_t *eddy__cluster_note_create(int *fd);
/* Worker: maps the page from `fd` (closed). NULL on failure. */
eddy__stall_note_t *eddy__cluster_note_map(int fd);
void eddy__cluster_note_unmap(eddy__stall_note_t *n);
/* Stall detector's thread: a callback labelled `label` has run
 * `running_ns` and still runs. */
void eddy__cluster_note_write(eddy__stall_note_t *n, const char *label,
                              uint64_t running_ns);
/* Worker's loop thread: every report written so far is over. */
void eddy__cluster_note_ack(eddy__stall_note_t *n);
/* Copies the label (or "" if none) and returns how long it had run. */
uint64_t eddy__cluster_note_read(eddy__stall_note_t *n, char *out, size_t max);
/* Primary: if the loop is stuck now (a report not acknowledged), copies
 * the label and returns the callback's start (eddy_hrtime()), else 0. */
uint64_t eddy__cluster_note_blocked(eddy__stall_note_t *n, char *out,
                                    size_t max);

/* ---- the primary */

typedef enum {
  W_STARTING = 0, /* forked, not yet online */
  W_ONLINE,
  W_LISTENING,
  W_STOPPING, /* asked to stop (or SIGTERMed), deadline set */
  W_DEAD      /* reaped */
} worker_state_t;

typedef struct worker_s {
  eddy_queue_t node; /* in cluster->workers */
  struct eddy_cluster_s *c;
  unsigned id, slot;
  pid_t pid;
  worker_state_t state;
  eddy__channel_t ch;
  int ch_closed; /* the channel's close callback has run */
  uint64_t started_ms, last_beat_ms, stop_deadline_ms;
  eddy_cluster_report_t last;
  int have_report;
  unsigned rss_over;         /* reports in a row above max_rss_mb */
  int kill_cause;            /* -1, or the cause we stopped/killed it for */
  struct worker_s *replaces; /* the worker this one will replace */
  eddy__stall_note_t *note;
  /* ROUND_ROBIN: connections sent and not yet acknowledged, oldest first
   * (a ring): ours to close on a receipt, or to hand to another worker
   * if this one refuses them or its channel ends. */
  int *held;
  unsigned held_first, held_n, held_cap;
  uint64_t held_done; /* popped so far: held[held_first] is number
                       * held_done + 1 (the worker counts from 1) */
  int refuses;        /* it refused one (its server closed): send no more */
} worker_t;

typedef struct {
  worker_t *current; /* NULL while waiting to restart */
  eddy_timer_t restart;
  uint64_t delay_ms; /* backoff: 0 until it crashes early */
  int listen_fd;     /* REUSEPORT: this slot's socket, else -1 */
} slot_t;

struct eddy_cluster_s {
  eddy_loop_t loop;
  eddy_cluster_opts_t opts;
  char exe[4096];
  char **argv;     /* the workers' arguments */
  char **own_argv; /* argv when read from /proc (freed at the end) */
  eddy_cluster_worker_main_cb worker_main;
  slot_t *slots;
  eddy_queue_t workers;
  unsigned next_id;
  int listen_fd; /* SHARED: the socket, else -1 */
  int port;
  eddy_signal_t sig_term, sig_int, sig_hup, sig_chld;
  eddy_timer_t tick;
  uint64_t last_tick_ms;
  eddy_timer_t stats; /* sends every worker the cluster's reports */
  int stopping;       /* 1 graceful shutdown, 2 forced */
  int reloading;      /* next slot to reload + 1, 0 when not reloading */
  eddy_io_t rr_io;    /* ROUND_ROBIN: our listening socket */
  int rr_paused;      /* no worker could take one: wait in the backlog */
  unsigned rr_next;   /* the slot to try first */
  uint64_t restarts[EDDY_CLUSTER_CAUSES];
  uint64_t requests_retired; /* last reports of the workers that exited */
  uint64_t forks;
};

/* sockets.c */
int eddy__cluster_sockets_open(struct eddy_cluster_s *c);
void eddy__cluster_sockets_close(struct eddy_cluster_s *c);
int eddy__cluster_socket_for(struct eddy_cluster_s *c, unsigned slot);
/* spawn.c */
int eddy__cluster_exe_path(char *out, size_t max);
char **eddy__cluster_cmdline(void);
worker_t *eddy__cluster_spawn(struct eddy_cluster_s *c, unsigned slot);
/* peer.c: the primary's side of a worker's channel */
void eddy__cluster_peer_start(worker_t *w, int fd);
void eddy__cluster_peer_event(worker_t *w, eddy_cluster_event_type_t type);
/* supervise.c */
void eddy__cluster_start_slot(struct eddy_cluster_s *c, unsigned slot);
void eddy__cluster_replace(worker_t *old, eddy_cluster_cause_t cause);
void eddy__cluster_stop_worker(worker_t *w, int cause);
void eddy__cluster_kill_worker(worker_t *w, int cause);
void eddy__cluster_on_listening(worker_t *w);
void eddy__cluster_on_report(worker_t *w);
void eddy__cluster_on_exit(worker_t *w, int status);
void eddy__cluster_tick(eddy_timer_t *t);
void eddy__cluster_worker_free_maybe(worker_t *w);
/* roundrobin.c */
int eddy__cluster_rr_start(struct eddy_cluster_s *c);
void eddy__cluster_rr_kick(struct eddy_cluster_s *c);
void eddy__cluster_rr_stop(struct eddy_cluster_s *c);
/* The worker's receipt (FRAME_RECEIPT's 9 bytes) for one of its held
 * connections; -EPROTO for a number not held or a bad value. */
int eddy__cluster_rr_receipt(worker_t *w, const uint8_t *p);
/* The worker's channel ended: its held connections go to other workers
 * (`hand_on`: it ended cleanly, every receipt was read) or are closed. */
void eddy__cluster_rr_release(worker_t *w, int hand_on);
/* metrics.c */
void eddy__cluster_stats_broadcast(struct eddy_cluster_s *c);
/* reload.c */
void eddy__cluster_reload_start(struct eddy_cluster_s *c);
void eddy__cluster_reload_next(struct eddy_cluster_s *c);
/* primary.c */
int eddy__cluster_primary_main(int argc, char **argv,
                               const eddy_cluster_opts_t *o,
                               eddy_cluster_worker_main_cb worker_main);
void eddy__cluster_primary_maybe_done(struct eddy_cluster_s *c);
/* worker.c */
int eddy__cluster_worker_run(const char *env,
                             eddy_cluster_worker_main_cb main_cb,
                             const eddy_cluster_opts_t *o);

#endif

/*
 * eddy cluster — the worker process's private state (worker.c, report.c).
 */
#ifndef EDDY_CLUSTER_WORKER_H
#define EDDY_CLUSTER_WORKER_H

#include "cluster/internal.h"

struct eddy__cluster_worker_private_s {
  eddy_cluster_worker_t pub;
  eddy_loop_t loop;
  eddy_cluster_opts_t opts;
  eddy__channel_t ch;
  eddy_timer_t beat;
  eddy_timer_t drain; /* between pausing the listener and the close */
  uint64_t stop_grace_ms;
  eddy_signal_t sig_term, sig_int, sig_hup;
  eddy__stall_note_t *note;
  eddy_cluster_shutdown_cb on_shutdown;
  eddy_cluster_message_cb on_message;
  eddy_cluster_stats_cb on_stats;
  int stopping;
  eddy_elu_t elu_prev;
  int statm_fd;
  eddy_stream_t *rr_listener; /* ROUND_ROBIN: takes handed connections */
  uint64_t rr_received;       /* ROUND_ROBIN: connections received */
  uint8_t *stats;             /* the last STATS payload, or NULL */
  size_t stats_len;
};

typedef struct eddy__cluster_worker_private_s wpriv_t;

/* From pausing the listener to closing the servers, on a stop. */
#define DRAIN_MS 20

/* handoff.c: round-robin hand-off, the worker's side */
int eddy__cluster_rr_worker_socket(void);
void eddy__cluster_rr_worker_ready(wpriv_t *p);
void eddy__cluster_rr_worker_on_fd(eddy_unix_t *u, int fd);

/* metrics.c */
void eddy__cluster_stats_keep(wpriv_t *p, const uint8_t *d, size_t n);

/* report.c: starts the heartbeat timer and the loop's self-measurement. */
int eddy__cluster_report_start(wpriv_t *p);
void eddy__cluster_report_send(wpriv_t *p);
void eddy__cluster_report_stop(wpriv_t *p);

#endif

/*
 * eddy — cluster mode: one worker process per core under a primary that
 * supervises them (Node's cluster module, with what PM2 adds).
 *
 * The same program is the primary or a worker, as in Node's
 * `if (cluster.isPrimary) ... else ...`:
 *
 *   static int worker_main(eddy_cluster_worker_t *w) {
 *     eddy_http_server_init(w->loop, &server, NULL, handler);
 *     eddy_cluster_worker_on_shutdown(w, on_shutdown);  // drain, see below
 *     return eddy_http_server_listen_fd(&server, w->listen_fd,
 *                                       w->listen_flags);
 *   }
 *   int main(int argc, char **argv) {
 *     eddy_cluster_opts_t o = {.port = 8080};
 *     eddy_cluster_opts_parse(&o, &argc, argv);  // --workers, ...
 *     return eddy_cluster_main(argc, argv, &o, worker_main);
 *   }
 *
 * The primary opens the listening socket(s), starts the workers and never
 * runs a handler. A worker is started by fork and exec of the program's own
 * path (read from /proc/self/exe when the primary starts, so after a new
 * binary is installed at that path, a rolling reload runs the new code),
 * with the arguments the process was started with (/proc/self/cmdline,
 * whatever the program took out of argv since); eddy_cluster_main() sees
 * from its environment
 * that it is a worker and calls worker_main with its loop and socket.
 *
 * Sharing the port (eddy_cluster_share_t): the default is one socket
 * opened by the primary and inherited by every worker, accepted with
 * EPOLLEXCLUSIVE. docs/ARCHITECTURE.md says why (measured).
 *
 * Supervision, all on the primary's loop (signals arrive through a
 * signalfd, never in a handler):
 *   - heartbeats: each worker reports from its own loop every heartbeat_ms
 *     (RSS, loop delay p99, utilization, connections, requests, request
 *     p99), so a stuck loop is silence;
 *   - what blocks: a worker's stall detector (a thread beside its loop,
 *     threshold min(heartbeat_ms, stall_timeout_ms / 2)) writes the label
 *     of a callback that runs too long into a page shared with the
 *     primary, which passes it on to the other workers' metrics until the
 *     stuck worker's loop runs again;
 *   - stall watchdog: a worker silent for stall_timeout_ms is logged (its
 *     last report and the label of the callback that is running, from its
 *     stall detector), killed with SIGKILL and replaced; before it first
 *     listens a worker may be silent for twice that, and at least 10 s
 *     (exec and set-up on a busy machine);
 *   - memory: a worker whose RSS is above max_rss_mb in two reports in a
 *     row is replaced gracefully (the new one first, then the old drains);
 *   - crashes: a worker that exits unexpectedly is replaced; one that dies
 *     again before stable_ms of uptime waits backoff_first_ms, then 1.5
 *     times longer each time up to backoff_max_ms (PM2's model), so a
 *     worker that crashes at start cannot make a fork storm;
 *   - SIGTERM or SIGINT: graceful shutdown (workers stop accepting, finish
 *     what is in flight for up to grace_ms, exit; the primary returns 0);
 *     a second signal kills the workers (the primary returns 1);
 *   - SIGHUP: rolling reload; for each worker in turn a replacement is
 *     started, and the old one is stopped gracefully once the replacement
 *     listens. If a replacement dies before listening, the old worker
 *     stays and the reload stops there.
 *
 * IPC: framed messages both ways over a socketpair (a 4-byte big-endian
 * length, a type byte, the payload). A frame that is malformed or larger
 * than EDDY_CLUSTER_MAX_MESSAGE closes that channel and is logged; the
 * primary then replaces that worker. It never crashes the primary.
 *
 * Threads: everything here runs on the loop thread of its process.
 * Errors: 0 or a negative errno.
 */
#ifndef EDDY_CLUSTER_H
#define EDDY_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

#include "eddy/http.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest payload of a program's own message (either way). */
#define EDDY_CLUSTER_MAX_MESSAGE (64u * 1024u)

/* How the workers share the listening port. */
typedef enum {
  /* One socket, opened by the primary, inherited by every worker, each
   * accepting with EPOLLEXCLUSIVE: a busy or stuck worker is not waiting
   * in epoll, so the kernel wakes another. A worker accepts one
   * connection per event and then moves behind the others in the socket's
   * queue, so idle workers take turns. */
  EDDY_CLUSTER_SHARED = 0,
  /* One SO_REUSEPORT socket per worker slot, opened by the primary and
   * kept across replacements: the kernel spreads connections by a hash
   * of the addresses, and connections queued on a worker that dies wait
   * for its replacement instead of being reset; those queued on a stuck
   * worker wait until the watchdog replaces it. */
  EDDY_CLUSTER_REUSEPORT,
  /* The primary accepts and hands each connection to the next worker in
   * turn over its channel (SCM_RIGHTS), as Node does by default on
   * Linux, but skipping a worker whose heartbeat is late or whose channel
   * is backed up. The worker's server listens on a private socket that
   * the handed connections are offered to (eddy_listen_offer): close
   * that server only from the shutdown callback. The primary keeps each
   * connection until the worker's receipt (sent before a byte is read),
   * so one a dying worker never took goes to another worker. Costs the
   * primary an accept and a sendmsg per connection, the worker a write. */
  EDDY_CLUSTER_ROUND_ROBIN
} eddy_cluster_share_t;

/* A worker's heartbeat report. */
typedef struct {
  uint64_t pid;
  uint64_t rss_bytes;      /* resident set size */
  uint64_t delay_p99_ns;   /* event-loop delay p99 since the last report */
  double utilization;      /* loop utilization since the last report, 0..1 */
  uint64_t connections;    /* open connections (from the stats callback) */
  uint64_t requests;       /* requests served so far (stats callback) */
  uint64_t request_p99_ns; /* p99 of the durations of the requests that
                              ended since the last report, 0 if none
                              (stats callback; 0 if it does not say) */
} eddy_cluster_report_t;

/* What happened to a worker (primary side). */
typedef enum {
  EDDY_CLUSTER_FORK = 1,  /* the process was started */
  EDDY_CLUSTER_ONLINE,    /* it runs and talks on its channel */
  EDDY_CLUSTER_LISTENING, /* worker_main returned 0: it serves */
  EDDY_CLUSTER_EXIT,      /* it exited (exit_code or signal) */
  EDDY_CLUSTER_HEARTBEAT, /* a report arrived (report) */
  EDDY_CLUSTER_MESSAGE    /* the worker sent a message (message, len) */
} eddy_cluster_event_type_t;

/* Why the primary replaced a worker (restart counters). */
typedef enum {
  EDDY_CLUSTER_CAUSE_CRASH = 0, /* exited by itself */
  EDDY_CLUSTER_CAUSE_STALL,     /* silent past the stall timeout */
  EDDY_CLUSTER_CAUSE_MEMORY,    /* RSS above the limit */
  EDDY_CLUSTER_CAUSE_RELOAD,    /* rolling reload (SIGHUP) */
  EDDY_CLUSTER_CAUSE_IPC,       /* malformed frame on its channel */
  EDDY_CLUSTER_CAUSES
} eddy_cluster_cause_t;

typedef struct {
  eddy_cluster_event_type_t type;
  unsigned worker; /* worker id: 1, 2, ... never reused */
  unsigned slot;   /* 0 .. workers-1: the place it fills */
  int pid;
  int exit_code; /* EXIT: exit status, or -1 if killed by a signal */
  int signal;    /* EXIT: the signal that killed it, else 0 */
  const eddy_cluster_report_t *report; /* HEARTBEAT */
  const void *message;                 /* MESSAGE: valid during the call */
  size_t len;
} eddy_cluster_event_t;

typedef struct eddy_cluster_s eddy_cluster_t;
typedef struct eddy_cluster_worker_s eddy_cluster_worker_t;

/* The primary's event hook; `ev` is valid during the call only. */
typedef void (*eddy_cluster_event_cb)(eddy_cluster_t *c,
                                      const eddy_cluster_event_t *ev);

/* Options; zero means the default shown. Durations in ms. */
typedef struct {
  unsigned workers;               /* number of CPUs online */
  const char *host;               /* "127.0.0.1" (numeric) */
  int port;                       /* 0: a free port, eddy_cluster_port() */
  int backlog;                    /* 511 */
  eddy_cluster_share_t share;     /* EDDY_CLUSTER_SHARED */
  uint64_t heartbeat_ms;          /* 1000 */
  uint64_t stall_timeout_ms;      /* 5000 */
  uint64_t max_rss_mb;            /* 0: no limit */
  uint64_t grace_ms;              /* 10000 */
  uint64_t backoff_first_ms;      /* 100 */
  uint64_t backoff_max_ms;        /* 15000 */
  uint64_t stable_ms;             /* 30000: uptime that resets the backoff */
  eddy_cluster_event_cb on_event; /* primary; may be NULL */
  void *data;                     /* the program's, both sides */
} eddy_cluster_opts_t;

/* A worker's view of itself, handed to worker_main. */
struct eddy_cluster_worker_s {
  void *data;            /* opts->data at first; the program's */
  eddy_loop_t *loop;     /* read-only: the worker's loop */
  unsigned id;           /* read-only: worker id (see the event) */
  unsigned slot;         /* read-only */
  int listen_fd;         /* the listening socket; worker_main takes it */
  unsigned listen_flags; /* for eddy_http_server_listen_fd() */
  const eddy_cluster_opts_t *opts; /* read-only: the options in force */
  struct eddy__cluster_worker_private_s *_p; /* private */
};

/* The program's code in a worker: set up servers on w->loop and return 0
 * (the worker then runs the loop), or a non-zero exit status. */
typedef int (*eddy_cluster_worker_main_cb)(eddy_cluster_worker_t *w);
/* The primary asks the worker to stop (shutdown, reload, memory): close
 * the servers with this grace, e.g. eddy_http_server_close(s, grace_ms). */
typedef void (*eddy_cluster_shutdown_cb)(eddy_cluster_worker_t *w,
                                         uint64_t grace_ms);
/* A message from the primary; `data` is valid during the call only. */
typedef void (*eddy_cluster_message_cb)(eddy_cluster_worker_t *w,
                                        const void *data, size_t len);
/* Fills the connections and requests of the next heartbeat report. */
typedef void (*eddy_cluster_stats_cb)(eddy_cluster_worker_t *w,
                                      eddy_cluster_report_t *report);

/*
 * Runs the program as the primary or, when started by a primary, as a
 * worker. Primary: opens the socket(s), starts opts->workers workers,
 * supervises them until SIGTERM/SIGINT and returns the process's exit
 * status (0 after a graceful shutdown, 1 if forced). Worker: calls
 * worker_main, runs its loop until every handle is closed (after the
 * shutdown callback closed the servers, or at once if there is none:
 * the loop is then stopped) and returns 0, or worker_main's status.
 * Either way the caller returns the value from main(). Before any worker
 * starts: -EINVAL (NULL worker_main, bad host), -EADDRINUSE, ...
 * Call it from main(), before other threads are started.
 */
EDDY_EXTERN int eddy_cluster_main(int argc, char **argv,
                                  const eddy_cluster_opts_t *opts,
                                  eddy_cluster_worker_main_cb worker_main);

/* 1 in a process a cluster primary started (before or inside
 * eddy_cluster_main), else 0. Any thread. */
EDDY_EXTERN int eddy_cluster_is_worker(void);

/*
 * Takes the cluster flags out of argv (shifting the rest down and
 * updating *argc) into `opts`: --workers N|auto, --heartbeat-ms MS,
 * --stall-timeout-ms MS, --max-rss-mb MB, --grace-ms MS,
 * --share shared|reuseport|roundrobin. Returns 0, or -EINVAL for a bad value
 * (argv then unchanged from that flag on). Any thread.
 */
EDDY_EXTERN int eddy_cluster_opts_parse(eddy_cluster_opts_t *opts, int *argc,
                                        char **argv);

/* The help text of those flags (static string). */
EDDY_EXTERN const char *eddy_cluster_flags_help(void);

/* Primary: the listening port (useful with port 0). */
EDDY_EXTERN int eddy_cluster_port(const eddy_cluster_t *c);

/* Primary: opts->data. */
EDDY_EXTERN void *eddy_cluster_data(const eddy_cluster_t *c);

/* Primary: replacements so far for `cause` (restart counters). */
EDDY_EXTERN uint64_t eddy_cluster_restarts(const eddy_cluster_t *c,
                                           eddy_cluster_cause_t cause);

/*
 * Primary: sends `len` bytes (copied; at most EDDY_CLUSTER_MAX_MESSAGE) to
 * the worker with id `worker`, whose message callback gets them. Returns
 * 0, -ENOENT (no such live worker), -EMSGSIZE, -ENOMEM, or
 * EDDY_EQUEUEFULL (1 MiB already waits for that worker to read).
 */
EDDY_EXTERN int eddy_cluster_send(eddy_cluster_t *c, unsigned worker,
                                  const void *data, size_t len);

/* Worker: sends a message to the primary (its MESSAGE event); errors as
 * eddy_cluster_send, and -EPIPE once the channel is closed. */
EDDY_EXTERN int eddy_cluster_worker_send(eddy_cluster_worker_t *w,
                                         const void *data, size_t len);

/* Worker: sets the callbacks above (each may be NULL). */
EDDY_EXTERN void eddy_cluster_worker_on_shutdown(eddy_cluster_worker_t *w,
                                                 eddy_cluster_shutdown_cb cb);
EDDY_EXTERN void eddy_cluster_worker_on_message(eddy_cluster_worker_t *w,
                                                eddy_cluster_message_cb cb);
EDDY_EXTERN void eddy_cluster_worker_on_stats(eddy_cluster_worker_t *w,
                                              eddy_cluster_stats_cb cb);

/*
 * Worker: writes the whole cluster's metrics in the Prometheus text
 * format into buf (at most max bytes with the NUL, like snprintf): per
 * worker (labels worker, slot, pid) requests, connections, RSS, loop
 * delay p99, utilization and request p99 (eddy_worker_*); while a
 * worker's loop is stuck in one callback, eddy_worker_blocked_seconds
 * with a label route naming that callback (e.g. "GET /blocking"), absent
 * otherwise; then the totals (eddy_cluster_*: workers, requests with
 * those of exited workers so the counter never goes down, connections,
 * RSS, request_p99_seconds = the highest worker p99, which
 * is at least the cluster's p99) and restarts by cause (crash, stall,
 * memory, reload, ipc). The primary sends every worker these figures each
 * heartbeat interval, so any worker can answer GET /metrics for all; they
 * are at most two intervals old. Two calls in one callback give the same
 * text (the blocked time is counted to the loop's cached clock). Returns
 * the length the full text needs (call again with a bigger buffer if it
 * is >= max), or -EAGAIN before the first figures arrived. Loop thread.
 */
EDDY_EXTERN int eddy_cluster_worker_metrics(eddy_cluster_worker_t *w, char *buf,
                                            size_t max);

/* Worker: 1 once the primary asked it to stop (or the primary is gone). */
EDDY_EXTERN int eddy_cluster_worker_stopping(const eddy_cluster_worker_t *w);

#ifdef __cplusplus
}
#endif
#endif

/*
 * The worker's heartbeat, sent from its own loop (so a stuck loop is
 * silence): RSS, event-loop delay p99 and utilization since the last
 * report, and the program's connections, requests and request p99. The
 * stall detector runs beside it on its own thread and writes the stuck
 * callback's label into the stall note, which the primary reads to tell
 * the other workers what blocks this one, and to log when it kills it.
 * Each heartbeat acknowledges the reports written so far.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cluster/worker.h"
#include "eddy/log.h"

/* procfs is generated from memory and never waits for a disk, so this
 * pread is safe on the loop; the fd is opened once at start. */
static uint64_t rss_bytes(int fd) {
  char buf[128];
  unsigned long long size, resident;
  ssize_t n = fd >= 0 ? pread(fd, buf, sizeof(buf) - 1, 0) : -1;
  if (n <= 0) return 0;
  buf[n] = '\0';
  if (sscanf(buf, "%llu %llu", &size, &resident) != 2) return 0;
  return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

void eddy__cluster_report_send(wpriv_t *p) {
  eddy_cluster_report_t r = {.pid = (uint64_t)getpid()};
  eddy_hist_stats_t d;
  eddy__cluster_note_ack(p->note); /* this loop runs: no stall now */
  r.rss_bytes = rss_bytes(p->statm_fd);
  if (eddy_loop_delay_stats(&p->loop, &d) == 0) r.delay_p99_ns = d.p99;
  eddy_loop_delay_reset(&p->loop);
  eddy_elu_t now = eddy_loop_utilization(&p->loop, NULL);
  eddy_elu_t since = eddy_loop_utilization(&p->loop, &p->elu_prev);
  p->elu_prev = now;
  r.utilization = since.utilization;
  if (p->on_stats) p->on_stats(&p->pub, &r);
  uint8_t bytes[FRAME_REPORT_SIZE];
  eddy__cluster_report_encode(&r, bytes);
  eddy__cluster_channel_send(&p->ch, FRAME_HEARTBEAT, bytes, sizeof(bytes));
}

static void on_beat(eddy_timer_t *t) { eddy__cluster_report_send(t->data); }

/* On the stall detector's thread, while the loop is stuck. */
static void on_stall(eddy_loop_t *loop, const char *label, uint64_t running_ns,
                     void *arg) {
  wpriv_t *p = arg;
  uint64_t ms = running_ns / 1000000;
  if (p->note) eddy__cluster_note_write(p->note, label, running_ns);
  eddy_log(EDDY_LOG_WARN,
           "cluster: worker %u: loop stalled: '%s' has run "
           "for %" PRIu64 " ms",
           p->pub.id, label ? label : "?", ms);
}

int eddy__cluster_report_start(wpriv_t *p) {
  p->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  eddy_loop_delay_start(&p->loop, 10);
  p->elu_prev = eddy_loop_utilization(&p->loop, NULL);
  /* A callback that outlasts a heartbeat interval is what makes the
   * primary hear silence: report it by then. */
  uint64_t th = p->opts.heartbeat_ms;
  if (th > p->opts.stall_timeout_ms / 2) th = p->opts.stall_timeout_ms / 2;
  eddy_loop_stall_start(&p->loop, th ? (unsigned)th : 1, on_stall, p);
  eddy_timer_init(&p->loop, &p->beat);
  p->beat.data = p;
  int r = eddy_timer_start(&p->beat, on_beat, p->opts.heartbeat_ms,
                           p->opts.heartbeat_ms);
  eddy_unref(EDDY_HANDLE(&p->beat));
  return r;
}

void eddy__cluster_report_stop(wpriv_t *p) {
  eddy_loop_stall_stop(&p->loop);
  eddy_loop_delay_stop(&p->loop);
  if (!eddy_is_closing(EDDY_HANDLE(&p->beat)))
    eddy_close(EDDY_HANDLE(&p->beat), NULL);
  if (p->statm_fd >= 0) close(p->statm_fd);
  p->statm_fd = -1;
}

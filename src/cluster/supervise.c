/*
 * Supervision: starting slots, restarts with backoff (PM2's model: a first
 * delay, then 1.5 times longer, capped, and back to immediate after a
 * stable uptime), graceful stops with a SIGKILL deadline, replacement
 * (the new worker first, the old one stopped once the new one listens),
 * the memory limit, and the stall watchdog.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "cluster/internal.h"
#include "eddy/log.h"

/* Least silence allowed to a worker that has not listened yet. */
#define START_TIMEOUT_MS 10000

static uint64_t now_ms(eddy_cluster_t *c) { return eddy_loop_now(&c->loop); }

static void on_restart_timer(eddy_timer_t *t) {
  eddy_cluster_t *c = t->data;
  slot_t *s = EDDY_CONTAINER_OF(t, slot_t, restart);
  eddy__cluster_start_slot(c, (unsigned)(s - c->slots));
}

static void schedule_restart(eddy_cluster_t *c, unsigned slot,
                             uint64_t uptime_ms) {
  slot_t *s = &c->slots[slot];
  const eddy_cluster_opts_t *o = &c->opts;
  if (uptime_ms >= o->stable_ms)
    s->delay_ms = 0;
  else if (s->delay_ms == 0)
    s->delay_ms = o->backoff_first_ms;
  else
    s->delay_ms = s->delay_ms * 3 / 2;
  if (s->delay_ms > o->backoff_max_ms) s->delay_ms = o->backoff_max_ms;
  if (s->delay_ms == 0) {
    eddy__cluster_start_slot(c, slot);
    return;
  }
  eddy_log(EDDY_LOG_WARN,
           "cluster: slot %u: worker lived %llu ms (< %llu ms stable); "
           "restarting in %llu ms (backoff)",
           slot, (unsigned long long)uptime_ms,
           (unsigned long long)o->stable_ms, (unsigned long long)s->delay_ms);
  eddy_timer_start(&s->restart, on_restart_timer, s->delay_ms, 0);
}

void eddy__cluster_start_slot(eddy_cluster_t *c, unsigned slot) {
  if (c->stopping) return;
  worker_t *w = eddy__cluster_spawn(c, slot);
  c->slots[slot].current = w;
  if (!w) schedule_restart(c, slot, 0);
}

void eddy__cluster_stop_worker(worker_t *w, int cause) {
  eddy_cluster_t *c = w->c;
  if (w->state >= W_STOPPING) return;
  w->state = W_STOPPING;
  if (cause >= 0) w->kill_cause = cause;
  w->stop_deadline_ms = now_ms(c) + c->opts.grace_ms + 1000;
  uint8_t grace[8];
  eddy__cluster_put_u64(grace, c->opts.grace_ms);
  if (eddy__cluster_channel_send(&w->ch, FRAME_SHUTDOWN, grace, 8) < 0)
    kill(w->pid, SIGTERM); /* no channel: the worker drains on SIGTERM */
}

void eddy__cluster_kill_worker(worker_t *w, int cause) {
  if (w->state == W_DEAD) return;
  if (w->kill_cause < 0) w->kill_cause = cause;
  w->state = W_STOPPING;
  w->stop_deadline_ms = UINT64_MAX;
  kill(w->pid, SIGKILL);
}

void eddy__cluster_replace(worker_t *old, eddy_cluster_cause_t cause) {
  eddy_cluster_t *c = old->c;
  slot_t *s = &c->slots[old->slot];
  if (c->stopping || old->state >= W_STOPPING || s->current != old) return;
  if (cause == EDDY_CLUSTER_CAUSE_IPC) { /* it cannot be talked to */
    c->restarts[cause]++;
    eddy__cluster_stop_worker(old, cause);
    s->current = NULL;
    eddy__cluster_start_slot(c, old->slot);
    return;
  }
  worker_t *w = eddy__cluster_spawn(c, old->slot);
  if (!w) return; /* the old one keeps serving */
  c->restarts[cause]++;
  old->kill_cause = cause;
  w->replaces = old;
  s->current = w;
}

void eddy__cluster_on_listening(worker_t *w) {
  worker_t *old = w->replaces;
  if (!old) return;
  w->replaces = NULL;
  int cause = old->kill_cause;
  eddy__cluster_stop_worker(old, cause);
  if (cause == EDDY_CLUSTER_CAUSE_RELOAD && w->c->reloading)
    eddy__cluster_reload_next(w->c);
}

void eddy__cluster_on_report(worker_t *w) {
  uint64_t limit = w->c->opts.max_rss_mb << 20;
  if (!limit || w->last.rss_bytes <= limit) {
    w->rss_over = 0;
    return;
  }
  /* Two reports in a row: a short spike is not a reason. */
  if (++w->rss_over != 2 || w->state != W_LISTENING) return;
  eddy_log(EDDY_LOG_WARN,
           "cluster: worker %u (pid %d) RSS %llu MiB above the limit of "
           "%llu MiB; restarting it gracefully",
           w->id, (int)w->pid, (unsigned long long)(w->last.rss_bytes >> 20),
           (unsigned long long)w->c->opts.max_rss_mb);
  eddy__cluster_replace(w, EDDY_CLUSTER_CAUSE_MEMORY);
}

static void log_exit(worker_t *w, int status) {
  static const char *const causes[] = {"crash", "stall", "memory", "reload",
                                       "ipc"};
  const char *why = w->kill_cause >= 0 ? causes[w->kill_cause] : "crash";
  if (WIFSIGNALED(status))
    eddy_log(w->state == W_STOPPING ? EDDY_LOG_INFO : EDDY_LOG_WARN,
             "cluster: worker %u (pid %d) killed by signal %d (%s)", w->id,
             (int)w->pid, WTERMSIG(status), why);
  else
    eddy_log(w->state == W_STOPPING ? EDDY_LOG_INFO : EDDY_LOG_WARN,
             "cluster: worker %u (pid %d) exited with status %d%s%s", w->id,
             (int)w->pid, WEXITSTATUS(status),
             w->state == W_STOPPING ? "" : " unexpectedly: ",
             w->state == W_STOPPING ? "" : why);
}

static void exit_event(worker_t *w, int status) {
  eddy_cluster_event_t ev = {
      .type = EDDY_CLUSTER_EXIT,
      .worker = w->id,
      .slot = w->slot,
      .pid = (int)w->pid,
      .exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1,
      .signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0};
  if (w->c->opts.on_event) w->c->opts.on_event(w->c, &ev);
}

/* A replacement died before it listened: the old worker stays. */
static void keep_old(worker_t *w) {
  eddy_cluster_t *c = w->c;
  worker_t *old = w->replaces;
  c->slots[w->slot].current = old;
  old->kill_cause = -1;
  eddy_log(EDDY_LOG_ERROR,
           "cluster: replacement worker %u died before listening; worker %u "
           "keeps serving slot %u%s",
           w->id, old->id, w->slot, c->reloading ? "; reload stopped" : "");
  c->reloading = 0;
}

void eddy__cluster_on_exit(worker_t *w, int status) {
  eddy_cluster_t *c = w->c;
  uint64_t uptime = now_ms(c) - w->started_ms;
  log_exit(w, status);
  w->state = W_DEAD;
  if (w->have_report) c->requests_retired += w->last.requests;
  eddy__cluster_channel_close(&w->ch);
  exit_event(w, status);
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &c->workers) {
    worker_t *o = EDDY_CONTAINER_OF(q, worker_t, node);
    if (o->replaces == w) o->replaces = NULL;
  }
  if (c->slots[w->slot].current == w) {
    c->slots[w->slot].current = NULL;
    if (w->replaces && w->replaces->state < W_STOPPING) {
      keep_old(w);
    } else if (!c->stopping) {
      c->restarts[w->kill_cause >= 0 ? w->kill_cause : 0]++;
      schedule_restart(c, w->slot, uptime);
    }
  }
  eddy__cluster_worker_free_maybe(w);
  eddy__cluster_primary_maybe_done(c);
}

void eddy__cluster_worker_free_maybe(worker_t *w) {
  if (w->state != W_DEAD || !w->ch_closed) return;
  eddy__cluster_rr_release(w, 0); /* none left: the channel has ended */
  eddy_queue_remove(&w->node);
  eddy__cluster_note_unmap(w->note);
  free(w);
}

static void stalled(worker_t *w, uint64_t silent) {
  char label[128];
  uint64_t ran = eddy__cluster_note_read(w->note, label, sizeof(label));
  const eddy_cluster_report_t *r = &w->last;
  eddy_log(EDDY_LOG_ERROR,
           "cluster: worker %u (pid %d) silent for %llu ms (stall timeout "
           "%llu ms); running handler: '%s' for %llu ms; last report: rss "
           "%llu MiB, loop delay p99 %.1f ms, utilization %.0f%%, %llu "
           "connections, %llu requests; killing it (SIGKILL), replacing it",
           w->id, (int)w->pid, (unsigned long long)silent,
           (unsigned long long)w->c->opts.stall_timeout_ms,
           label[0] ? label : "(none reported)", (unsigned long long)ran,
           (unsigned long long)(r->rss_bytes >> 20),
           (double)r->delay_p99_ns / 1e6, r->utilization * 100,
           (unsigned long long)r->connections, (unsigned long long)r->requests);
  eddy__cluster_kill_worker(w, EDDY_CLUSTER_CAUSE_STALL);
}

/* A worker that does not listen yet is still loading (exec, a sanitizer's
 * start-up, the program's set-up on a busy machine): it gets longer. */
static uint64_t silence_allowed(eddy_cluster_t *c, worker_t *w) {
  uint64_t t = c->opts.stall_timeout_ms;
  if (w->state >= W_LISTENING) return t;
  return t * 2 > START_TIMEOUT_MS ? t * 2 : START_TIMEOUT_MS;
}

void eddy__cluster_tick(eddy_timer_t *t) {
  eddy_cluster_t *c = t->data;
  uint64_t now = now_ms(c), last = c->last_tick_ms;
  eddy__cluster_rr_kick(c);
  c->last_tick_ms = now;
  /* Timers run before the poll phase: if the primary itself was not
   * scheduled for a while, the heartbeats are still unread in the
   * channels. Judge silence only after a tick that came on time. */
  if (last && now - last > 2 * t->repeat + 100) return;
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &c->workers) {
    worker_t *w = EDDY_CONTAINER_OF(q, worker_t, node);
    if (w->state == W_DEAD) continue;
    if (w->state == W_STOPPING) {
      if (now < w->stop_deadline_ms) continue;
      eddy_log(EDDY_LOG_WARN,
               "cluster: worker %u (pid %d) still running "
               "after the grace time; SIGKILL",
               w->id, (int)w->pid);
      eddy__cluster_kill_worker(w, w->kill_cause);
    } else if (now - w->last_beat_ms > silence_allowed(c, w)) {
      stalled(w, now - w->last_beat_ms);
    }
  }
}

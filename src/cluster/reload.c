/*
 * Rolling reload (SIGHUP): one slot at a time, start the replacement, and
 * when it listens stop the old worker gracefully and go to the next slot
 * (eddy__cluster_on_listening calls back here). Capacity never drops below the
 * number of slots, so no request fails. A slot without a listening worker
 * is skipped: its next start runs the new binary anyway.
 */
#include "cluster/internal.h"
#include "eddy/log.h"

void eddy__cluster_reload_next(eddy_cluster_t *c) {
  while (c->reloading && (unsigned)c->reloading <= c->opts.workers) {
    unsigned slot = (unsigned)c->reloading - 1;
    c->reloading++;
    worker_t *w = c->slots[slot].current;
    if (!w || w->state != W_LISTENING || w->replaces) continue;
    eddy__cluster_replace(w, EDDY_CLUSTER_CAUSE_RELOAD);
    if (c->slots[slot].current != w) return; /* wait until it listens */
  }
  if (c->reloading) eddy_log(EDDY_LOG_INFO, "cluster: reload done");
  c->reloading = 0;
}

void eddy__cluster_reload_start(eddy_cluster_t *c) {
  if (c->stopping) return;
  eddy_log(EDDY_LOG_INFO,
           "cluster: SIGHUP: rolling reload of %u workers "
           "(%s)",
           c->opts.workers, c->exe);
  c->reloading = 1; /* a reload in progress starts over from slot 0 */
  eddy__cluster_reload_next(c);
}

/*
 * The stall note: one shared page per worker (a memfd the primary makes
 * and the worker maps). The worker's stall detector writes the running
 * callback's label into it from its own thread while the loop is stuck;
 * the primary reads it when it kills the worker for silence, and while
 * the worker's loop has not run since (the worker acknowledges the reports
 * each heartbeat) it tells the other workers' /metrics what blocks. A
 * sequence counter (odd while writing) lets the reader see a torn copy and
 * retry.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cluster/internal.h"

eddy__stall_note_t *eddy__cluster_note_create(int *fd) {
  int f = memfd_create("eddy-stall-note", MFD_CLOEXEC);
  if (f < 0) return NULL;
  if (ftruncate(f, sizeof(eddy__stall_note_t)) < 0) {
    close(f);
    return NULL;
  }
  void *p = mmap(NULL, sizeof(eddy__stall_note_t), PROT_READ | PROT_WRITE,
                 MAP_SHARED, f, 0);
  if (p == MAP_FAILED) {
    close(f);
    return NULL;
  }
  *fd = f;
  return p;
}

eddy__stall_note_t *eddy__cluster_note_map(int fd) {
  void *p = mmap(NULL, sizeof(eddy__stall_note_t), PROT_READ | PROT_WRITE,
                 MAP_SHARED, fd, 0);
  close(fd);
  return p == MAP_FAILED ? NULL : p;
}

void eddy__cluster_note_unmap(eddy__stall_note_t *n) {
  if (n) munmap(n, sizeof(*n));
}

void eddy__cluster_note_write(eddy__stall_note_t *n, const char *label,
                              uint64_t running_ns) {
  atomic_fetch_add(&n->seq, 1);
  char tmp[sizeof(n->label)];
  snprintf(tmp, sizeof(tmp), "%s", label ? label : "?");
  memcpy(n->label, tmp, sizeof(tmp));
  atomic_store(&n->running_ms, running_ns / 1000000u);
  atomic_store(&n->since_ns, eddy_hrtime() - running_ns);
  atomic_fetch_add(&n->seq, 1);
}

void eddy__cluster_note_ack(eddy__stall_note_t *n) {
  if (!n) return;
  /* A report being written (odd seq) is about a callback that has
   * ended too: this loop runs. */
  uint32_t s = atomic_load(&n->seq);
  atomic_store(&n->acked, (s + 1) & ~1u);
}

typedef struct {
  uint32_t seq;
  uint64_t running_ms, since_ns;
  char label[FRAME_LABEL_SIZE];
} snapshot_t;

/* A consistent copy (the writer is another process's thread); 0 or -1. */
static int snapshot(eddy__stall_note_t *n, snapshot_t *out) {
  for (int tries = 0; tries < 100; tries++) {
    uint32_t s = atomic_load(&n->seq);
    if (s & 1) continue;
    memcpy(out->label, n->label, sizeof(out->label));
    out->running_ms = atomic_load(&n->running_ms);
    out->since_ns = atomic_load(&n->since_ns);
    if (atomic_load(&n->seq) != s) continue;
    out->label[sizeof(out->label) - 1] = '\0';
    out->seq = s;
    return 0;
  }
  return -1;
}

uint64_t eddy__cluster_note_read(eddy__stall_note_t *n, char *out, size_t max) {
  snapshot_t sn;
  if (max) out[0] = '\0';
  if (!n || max == 0 || snapshot(n, &sn) < 0) return 0;
  snprintf(out, max, "%s", sn.label);
  return sn.running_ms;
}

uint64_t eddy__cluster_note_blocked(eddy__stall_note_t *n, char *out,
                                    size_t max) {
  snapshot_t sn;
  if (max) out[0] = '\0';
  if (!n || max == 0 || snapshot(n, &sn) < 0 || sn.seq == 0 ||
      sn.seq == atomic_load(&n->acked))
    return 0;
  snprintf(out, max, "%s", sn.label);
  return sn.since_ns ? sn.since_ns : 1;
}

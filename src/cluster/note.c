/*
 * The stall note: one shared page per worker (a memfd the primary makes
 * and the worker maps). The worker's stall detector writes the running
 * callback's label into it from its own thread while the loop is stuck;
 * the primary reads it when it kills the worker for silence. A sequence
 * counter (odd while writing) lets the reader see a torn copy and retry.
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
                              uint64_t running_ms) {
  atomic_fetch_add(&n->seq, 1);
  char tmp[sizeof(n->label)];
  snprintf(tmp, sizeof(tmp), "%s", label ? label : "?");
  memcpy(n->label, tmp, sizeof(tmp));
  atomic_store(&n->running_ms, running_ms);
  atomic_fetch_add(&n->seq, 1);
}

uint64_t eddy__cluster_note_read(eddy__stall_note_t *n, char *out, size_t max) {
  out[0] = '\0';
  if (!n || max == 0) return 0;
  for (int tries = 0; tries < 100; tries++) {
    uint32_t s = atomic_load(&n->seq);
    if (s & 1) continue;
    char tmp[sizeof(n->label)];
    memcpy(tmp, n->label, sizeof(tmp));
    uint64_t ms = atomic_load(&n->running_ms);
    if (atomic_load(&n->seq) != s) continue;
    tmp[sizeof(tmp) - 1] = '\0';
    snprintf(out, max, "%s", tmp);
    return ms;
  }
  return 0;
}

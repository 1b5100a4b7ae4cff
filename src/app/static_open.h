/* Private to the static server: what a pool job opened, and the
 * descriptor cache (static_cache.c). */
#ifndef EDDY_APP_STATIC_OPEN_H
#define EDDY_APP_STATIC_OPEN_H

#include <limits.h>

#include "eddy/static.h"

/* Files up to this size are also kept in memory by the cache, so a hit
 * answers with one write (head and body) and no descriptor work. */
#define STATIC_SMALL_FILE 16384

/* An open file ready to send: its descriptor, validators and, for a small
 * file, its bytes (read on the pool). */
typedef struct {
  int fd;     /* -1 when answered from `data` */
  char *data; /* NULL, or the whole file (small files) */
  int64_t size;
  int64_t mtime_ns;
  uint64_t ino;
  const char *type; /* static */
  char etag[40];
  char last_modified[30];
} static_file_t;

/* A cached descriptor under the relative path it was opened for. */
typedef struct {
  char *key;           /* malloc'd; NULL: empty slot */
  uint64_t checked_ms; /* loop time of the open that filled it */
  static_file_t file;
} static_entry_t;

struct eddy_static_s {
  eddy_loop_t *loop;
  int root_fd;
  eddy_static_opts_t opts;
  char index[NAME_MAX + 1];
  char cache_control[48];
  static_entry_t *cache; /* opts.cache_entries slots, NULL if off */
  unsigned mask;
  eddy_static_stats_t stats;
};

/* Fills the validators of `f` from its fd's size, mtime, inode. */
void eddy__static_file_fill(static_file_t *f, int64_t size, int64_t mtime_ns,
                            uint64_t ino);

/* A duplicate of the cached descriptor for `rel` if it is still valid
 * (and refreshes its validators from an in-memory fstat), else -1. */
int eddy__static_cache_get(eddy_static_t *st, const char *rel, size_t len,
                           static_file_t *out);
/* Keeps a duplicate of f->fd and f->data (which the cache then owns:
 * returns 1) under `rel`, replacing the slot's previous entry; f->fd stays
 * the caller's. Returns 0 (nothing kept, f->data still the caller's) if
 * the cache is off or dup fails. */
int eddy__static_cache_put(eddy_static_t *st, const char *rel, size_t len,
                           const static_file_t *f);
void eddy__static_cache_free(eddy_static_t *st);

#endif

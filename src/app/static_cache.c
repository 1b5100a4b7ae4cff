/*
 * The static server's cache of open descriptors (nginx's open_file_cache,
 * smaller): a direct-mapped table of 2^k slots keyed by the relative path.
 * A hit costs a dup() and an fstat() of an open descriptor, which reads the
 * in-memory inode and never the disk, so the loop can do both:
 *   - a changed size or mtime (written in place) refreshes the validators;
 *   - no links left (deleted, or replaced by a rename: the usual atomic
 *     deploy) drops the entry, and the request opens the path again;
 *   - an entry older than cache_valid_ms is opened again on the pool, which
 *     catches what fstat cannot see (a rename that leaves the old inode
 *     linked elsewhere, new permissions, a changed symlink).
 * Responses get their own dup, so evicting an entry never pulls a
 * descriptor from under a sendfile in progress. Small files also keep their
 * bytes (read on the pool with the open): a hit is then one fstat and one
 * write of head and body, where nginx makes open, fstat, writev, sendfile
 * and close; a changed size or mtime drops such an entry.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/static_open.h"

static unsigned slot_of(const eddy_static_t *st, const char *rel, size_t len) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)rel[i]) * 16777619u;
  return h & st->mask;
}

static void drop(static_entry_t *e) {
  if (!e->key) return;
  close(e->file.fd);
  free(e->file.data);
  free(e->key);
  e->key = NULL;
}

int eddy__static_cache_get(eddy_static_t *st, const char *rel, size_t len,
                           static_file_t *out) {
  if (!st->cache) return -1;
  static_entry_t *e = &st->cache[slot_of(st, rel, len)];
  if (!e->key || strlen(e->key) != len || memcmp(e->key, rel, len) != 0)
    return -1;
  if (eddy_loop_now(st->loop) - e->checked_ms >= st->opts.cache_valid_ms)
    return -1;
  struct stat sb;
  if (fstat(e->file.fd, &sb) < 0 || sb.st_nlink == 0) {
    drop(e);
    return -1;
  }
  int64_t mtime = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
  if (sb.st_size != e->file.size || mtime != e->file.mtime_ns) {
    if (e->file.data) { /* the bytes kept are stale: read them again */
      drop(e);
      return -1;
    }
    eddy__static_file_fill(&e->file, sb.st_size, mtime, sb.st_ino);
  }
  *out = e->file; /* out->data stays the entry's: used synchronously */
  if (e->file.data) {
    out->fd = -1;
    return 0;
  }
  out->fd = fcntl(e->file.fd, F_DUPFD_CLOEXEC, 0);
  return out->fd;
}

int eddy__static_cache_put(eddy_static_t *st, const char *rel, size_t len,
                           const static_file_t *f) {
  if (!st->cache) return 0;
  static_entry_t *e = &st->cache[slot_of(st, rel, len)];
  char *key = malloc(len + 1);
  int fd = key ? fcntl(f->fd, F_DUPFD_CLOEXEC, 0) : -1;
  if (fd < 0) {
    free(key);
    return 0;
  }
  drop(e);
  memcpy(key, rel, len);
  key[len] = '\0';
  e->key = key;
  e->file = *f;
  e->file.fd = fd;
  e->checked_ms = eddy_loop_now(st->loop);
  return 1;
}

void eddy__static_cache_free(eddy_static_t *st) {
  if (!st->cache) return;
  for (unsigned i = 0; i <= st->mask; i++) drop(&st->cache[i]);
  free(st->cache);
  st->cache = NULL;
}

/* Making and freeing a static server (start-up and shutdown only). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/static_open.h"

static int set_options(eddy_static_t *st, const eddy_static_opts_t *opts) {
  if (opts) st->opts = *opts;
  const char *index = st->opts.index ? st->opts.index : "index.html";
  if (strlen(index) > NAME_MAX || strchr(index, '/')) return -EINVAL;
  memcpy(st->index, index, strlen(index) + 1);
  st->opts.index = st->index;
  if (!st->opts.cache_valid_ms) st->opts.cache_valid_ms = 1000;
  unsigned n = st->opts.cache_entries ? st->opts.cache_entries : 256;
  if (n > 65536) n = 65536;
  unsigned size = 1;
  while (size < n) size <<= 1;
  st->opts.cache_entries = size;
  snprintf(st->cache_control, sizeof(st->cache_control),
           "public, max-age=%" PRIu64, st->opts.max_age_s);
  if (st->opts.no_cache) return 0;
  st->cache = calloc(size, sizeof(*st->cache));
  st->mask = size - 1;
  return st->cache ? 0 : -ENOMEM;
}

int eddy_static_create(eddy_loop_t *loop, const char *root,
                       const eddy_static_opts_t *opts, eddy_static_t **out) {
  if (!loop || !root || !out) return -EINVAL;
  eddy_static_t *st = calloc(1, sizeof(*st));
  if (!st) return -ENOMEM;
  st->loop = loop;
  st->root_fd = -1;
  int r = set_options(st, opts);
  if (r == 0) {
    st->root_fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (st->root_fd < 0) r = -errno;
  }
  if (r < 0) {
    eddy_static_destroy(st);
    return r;
  }
  *out = st;
  return 0;
}

void eddy_static_destroy(eddy_static_t *st) {
  if (!st) return;
  eddy__static_cache_free(st);
  if (st->root_fd >= 0) close(st->root_fd);
  free(st);
}

void eddy_static_stats(const eddy_static_t *st, eddy_static_stats_t *out) {
  *out = st->stats;
}

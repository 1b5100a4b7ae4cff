/*
 * readdir, run on a pool thread. Names are gathered into one growing
 * buffer, then the entries and the names are packed into a single block
 * (entries first), so the request frees one pointer.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_internal.h"

typedef struct {
  char *names; /* NUL-separated */
  size_t len, cap;
  unsigned char *types;
  size_t count, types_cap;
} gather_t;

static eddy_dirent_type_t dirent_type(unsigned char d_type) {
  switch (d_type) {
  case DT_REG: return EDDY_DIRENT_FILE;
  case DT_DIR: return EDDY_DIRENT_DIR;
  case DT_LNK: return EDDY_DIRENT_LINK;
  case DT_UNKNOWN: return EDDY_DIRENT_UNKNOWN;
  default: return EDDY_DIRENT_OTHER;
  }
}

static int reserve(void **p, size_t *cap, size_t need, size_t size) {
  if (need <= *cap) return 0;
  size_t n = *cap ? *cap : 64;
  while (n < need) n *= 2;
  void *q = realloc(*p, n * size);
  if (q == NULL) return -ENOMEM;
  *p = q;
  *cap = n;
  return 0;
}

static int add(gather_t *g, const struct dirent *d) {
  size_t n = strlen(d->d_name) + 1;
  if (reserve((void **)&g->names, &g->cap, g->len + n, 1) ||
      reserve((void **)&g->types, &g->types_cap, g->count + 1, 1))
    return -ENOMEM;
  memcpy(g->names + g->len, d->d_name, n);
  g->len += n;
  g->types[g->count++] = (unsigned char)dirent_type(d->d_type);
  return 0;
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const eddy_dirent_t *)a)->name,
                ((const eddy_dirent_t *)b)->name);
}

/* Packs the gathered entries into one sorted block. */
static ssize_t pack(eddy_fs_t *req, const gather_t *g) {
  size_t head = g->count * sizeof(eddy_dirent_t);
  char *block = malloc(head + g->len + 1);
  if (block == NULL) return -ENOMEM;
  eddy_dirent_t *ents = (eddy_dirent_t *)block;
  char *names = block + head;
  if (g->len) memcpy(names, g->names, g->len);
  for (size_t i = 0, off = 0; i < g->count; i++) {
    ents[i].name = names + off;
    ents[i].type = (eddy_dirent_type_t)g->types[i];
    off += strlen(names + off) + 1;
  }
  qsort(ents, g->count, sizeof(*ents), by_name);
  req->dirents = ents;
  return (ssize_t)g->count;
}

ssize_t eddy__fs_readdir(eddy_fs_t *req) {
  DIR *dir = opendir(req->_path);
  if (dir == NULL) return -errno;
  gather_t g = {0};
  ssize_t r = 0;
  while (r == 0) {
    errno = 0; /* readdir's NULL means the end unless errno says more */
    struct dirent *d = readdir(dir);
    if (d == NULL) {
      r = errno ? -errno : pack(req, &g);
      break;
    }
    const char *n = d->d_name;
    if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0')))
      continue;
    r = add(&g, d);
  }
  closedir(dir);
  free(g.names);
  free(g.types);
  return r;
}

/*
 * Join (Promise.all): N slots, one callback when the last one settles. The
 * callback is deferred to the pending phase so it never runs inside
 * eddy_join_settle(), and the join counts as a request in flight so the
 * loop cannot exit between the last settle and that phase.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/internal.h"
#include "eddy/fs.h"

typedef struct {
  eddy__pending_t pending;
  eddy_join_t *join;
  eddy_fs_t *reqs; /* made by eddy_join_read_files(), else NULL */
  size_t nreqs;
  eddy_join_slot_t slots[];
} join_block_t;

static void join_fire(eddy__pending_t *p) {
  join_block_t *b = EDDY_CONTAINER_OF(p, join_block_t, pending);
  eddy_join_t *join = b->join;
  eddy__req_unregister(join->loop);
  join->_cb(join);
}

int eddy_join_init(eddy_loop_t *loop, eddy_join_t *join, size_t n,
                   eddy_join_cb cb) {
  if (loop == NULL || join == NULL || cb == NULL) return -EINVAL;
  if (n > (SIZE_MAX - sizeof(join_block_t)) / sizeof(eddy_join_slot_t))
    return -ENOMEM;
  join_block_t *b = calloc(1, sizeof(*b) + n * sizeof(eddy_join_slot_t));
  if (b == NULL) return -ENOMEM;
  eddy__pending_init(&b->pending);
  b->pending.cb = join_fire;
  b->pending.label = "join";
  b->join = join;
  for (size_t i = 0; i < n; i++) {
    b->slots[i].join = join;
    b->slots[i].index = i;
  }
  join->loop = loop;
  join->count = n;
  join->settled = 0;
  join->error = 0;
  join->error_index = -1;
  join->slots = b->slots;
  join->_cb = cb;
  join->_block = b;
  eddy__req_register(loop);
  if (n == 0) eddy__pending_push(loop, &b->pending);
  return 0;
}

eddy_join_slot_t *eddy_join_slot(eddy_join_t *join, size_t i) {
  if (join == NULL || join->slots == NULL || i >= join->count) return NULL;
  return &join->slots[i];
}

int eddy_join_settle(eddy_join_slot_t *slot, int64_t result) {
  if (slot == NULL || slot->join == NULL) return -EINVAL;
  if (slot->settled) return -EALREADY;
  eddy_join_t *join = slot->join;
  slot->settled = 1;
  slot->result = result;
  if (result < 0 && join->error == 0) {
    join->error = result < INT_MIN ? INT_MIN : (int)result;
    join->error_index = (ssize_t)slot->index;
  }
  if (++join->settled == join->count) {
    join_block_t *b = join->_block;
    eddy__pending_push(join->loop, &b->pending);
  }
  return 0;
}

void eddy_join_fs_cb(eddy_fs_t *req) {
  eddy_join_settle(req->data, req->result);
}

void eddy_join_work_cb(eddy_work_t *req, int status) {
  eddy_join_settle(req->data, status);
}

int eddy_join_read_files(eddy_join_t *join, const char *const *paths,
                         size_t n) {
  if (join == NULL || join->_block == NULL || (paths == NULL && n > 0) ||
      n > join->count || join->settled > 0)
    return -EINVAL;
  join_block_t *b = join->_block;
  if (b->reqs) return -EINVAL;
  for (size_t i = 0; i < n; i++)
    if (paths[i] == NULL) return -EINVAL;
  b->reqs = calloc(n ? n : 1, sizeof(eddy_fs_t));
  if (b->reqs == NULL) return -ENOMEM;
  b->nreqs = n;
  for (size_t i = 0; i < n; i++) {
    eddy_join_slot_t *slot = &join->slots[i];
    slot->fs = &b->reqs[i];
    slot->fs->data = slot;
    int err = eddy_fs_read_file(join->loop, slot->fs, paths[i],
                                eddy_join_fs_cb);
    if (err && i == 0) { /* nothing started: undo */
      free(b->reqs);
      b->reqs = NULL;
      slot->fs = NULL;
      return err;
    }
    if (err) eddy_join_settle(slot, err);
  }
  return 0;
}

void eddy_join_cleanup(eddy_join_t *join) {
  if (join == NULL || join->_block == NULL) return;
  join_block_t *b = join->_block;
  for (size_t i = 0; i < b->nreqs; i++) eddy_fs_req_cleanup(&b->reqs[i]);
  free(b->reqs);
  free(b);
  join->_block = NULL;
  join->slots = NULL;
}

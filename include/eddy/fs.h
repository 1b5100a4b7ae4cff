/*
 * eddy — the thread pool, the async file system and join helpers.
 *
 * Thread pool. One process-wide pool, as in libuv: EDDY_THREADPOOL_SIZE
 * threads (default 4, clamped to 1..1024), started on first use. A request
 * (eddy_work_t) runs its work callback on a pool thread and its after-work
 * callback back on the thread of the loop that submitted it. Completions of
 * one loop are collected in a per-loop queue and carried by one coalescing
 * wake-up, so a burst of completions costs one eventfd read and one pass.
 * Submitting and completing allocate nothing: the request is the queue node.
 *
 * The pool has two classes. Ordinary work (file I/O, user work) may use every
 * thread; slow work (getaddrinfo) may use at most half of them (rounded up),
 * so a slow DNS server cannot take every thread away from file I/O (libuv's
 * slow-work threshold). When both kinds are queued, threads alternate.
 *
 * fork(): in the child, the pool starts afresh on the next submission. Work
 * that was queued or running in the parent is lost in the child (its
 * requests never complete there), as in libuv.
 *
 * File system. Each operation copies its path(s), runs the blocking system
 * call on the pool and calls `cb(req)` on the loop with `req->result` set to
 * a count (or fd) on success or a negative errno on failure (-ENOENT for a
 * missing file, ...). What the request allocates (path copies, a read_file
 * buffer, readdir entries) it owns until eddy_fs_req_cleanup().
 *
 * Join (Promise.all). An eddy_join_t has N slots; any request that completes
 * reports its result into one slot, and when all N slots are filled the
 * join's callback runs once, on the loop, with every result (by index) and
 * the first error (in completion order).
 *
 * Threads: every function here is for the loop thread of the loop it names,
 * except eddy_threadpool_size() (any thread). Work callbacks run on pool
 * threads and must not touch the loop.
 */
#ifndef EDDY_FS_H
#define EDDY_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "eddy/loop.h"
#include "eddy/threadpool.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------- file system */

typedef struct eddy_fs_s eddy_fs_t;
typedef void (*eddy_fs_cb)(eddy_fs_t *req);

typedef enum {
  EDDY_FS_UNKNOWN = 0,
  EDDY_FS_OPEN,
  EDDY_FS_CLOSE,
  EDDY_FS_READ,
  EDDY_FS_WRITE,
  EDDY_FS_STAT,
  EDDY_FS_FSTAT,
  EDDY_FS_UNLINK,
  EDDY_FS_RENAME,
  EDDY_FS_MKDIR,
  EDDY_FS_READDIR,
  EDDY_FS_READ_FILE,
  EDDY_FS_WRITE_FILE
} eddy_fs_type_t;

/* Kinds of directory entries (from d_type; UNKNOWN if the fs gives none). */
typedef enum {
  EDDY_DIRENT_UNKNOWN = 0,
  EDDY_DIRENT_FILE,
  EDDY_DIRENT_DIR,
  EDDY_DIRENT_LINK,
  EDDY_DIRENT_OTHER
} eddy_dirent_type_t;

typedef struct {
  const char *name; /* owned by the request */
  eddy_dirent_type_t type;
} eddy_dirent_t;

/*
 * A file-system request. Caller-owned; it must stay valid until its
 * callback has run, and then be released with eddy_fs_req_cleanup() (which
 * also allows reuse). Fields marked "result" are valid in the callback.
 */
struct eddy_fs_s {
  void *data;
  eddy_loop_t *loop;   /* read-only */
  eddy_fs_type_t type; /* read-only */
  /* result: count, fd or 0 on success, negative errno on failure */
  ssize_t result;
  const char *path;       /* read-only: the request's copy */
  struct stat statbuf;    /* result of stat / fstat */
  char *buf;              /* result of read_file: result bytes + a NUL */
  eddy_dirent_t *dirents; /* result of readdir: result entries, by name */
  /* private */
  eddy_fs_cb _cb;
  eddy_work_t _work;
  char *_path;
  char *_new_path;
  void *_ubuf;
  size_t _len;
  int64_t _offset;
  int _fd;
  int _flags;
  mode_t _mode;
};

/*
 * Every submitting call below returns 0 and later calls `cb(req)` on the
 * loop, or returns an error and never calls `cb`: -EINVAL for a NULL loop,
 * req, cb or path; -ENOMEM when a path cannot be copied; or an error of
 * eddy_queue_work(). Errors of the operation itself arrive in req->result.
 * The request keeps the loop alive until its callback has run.
 */

/* open(2) with O_CLOEXEC added; result = the new fd. */
EDDY_EXTERN int eddy_fs_open(eddy_loop_t *loop, eddy_fs_t *req,
                             const char *path, int flags, mode_t mode,
                             eddy_fs_cb cb);

/* close(2); result = 0. */
EDDY_EXTERN int eddy_fs_close(eddy_loop_t *loop, eddy_fs_t *req, int fd,
                              eddy_fs_cb cb);

/*
 * Reads up to `len` bytes into `buf` (caller-owned, valid until cb) at
 * `offset`, or at the file position when offset is -1 (read(2) rather than
 * pread(2)). One system call: result = bytes read, 0 at end of file.
 */
EDDY_EXTERN int eddy_fs_read(eddy_loop_t *loop, eddy_fs_t *req, int fd,
                             void *buf, size_t len, int64_t offset,
                             eddy_fs_cb cb);

/*
 * Writes all `len` bytes of `buf` (caller-owned, valid until cb) at
 * `offset`, or at the file position when offset is -1, retrying short
 * writes. result = bytes written (less than len only if an error stopped
 * it after some bytes), or a negative errno if nothing was written.
 */
EDDY_EXTERN int eddy_fs_write(eddy_loop_t *loop, eddy_fs_t *req, int fd,
                              const void *buf, size_t len, int64_t offset,
                              eddy_fs_cb cb);

/* stat(2) / fstat(2) into req->statbuf; result = 0. */
EDDY_EXTERN int eddy_fs_stat(eddy_loop_t *loop, eddy_fs_t *req,
                             const char *path, eddy_fs_cb cb);
EDDY_EXTERN int eddy_fs_fstat(eddy_loop_t *loop, eddy_fs_t *req, int fd,
                              eddy_fs_cb cb);

/* unlink(2), rename(2), mkdir(2); result = 0. */
EDDY_EXTERN int eddy_fs_unlink(eddy_loop_t *loop, eddy_fs_t *req,
                               const char *path, eddy_fs_cb cb);
EDDY_EXTERN int eddy_fs_rename(eddy_loop_t *loop, eddy_fs_t *req,
                               const char *path, const char *new_path,
                               eddy_fs_cb cb);
EDDY_EXTERN int eddy_fs_mkdir(eddy_loop_t *loop, eddy_fs_t *req,
                              const char *path, mode_t mode, eddy_fs_cb cb);

/*
 * Lists a directory without "." and "..", sorted by name. result = the
 * number of entries in req->dirents (owned by the request).
 */
EDDY_EXTERN int eddy_fs_readdir(eddy_loop_t *loop, eddy_fs_t *req,
                                const char *path, eddy_fs_cb cb);

/*
 * Reads a whole file into req->buf (owned by the request, NUL-terminated
 * after the data so text can be scanned as a string); result = its size.
 * Take the buffer over with eddy_fs_take_buffer().
 */
EDDY_EXTERN int eddy_fs_read_file(eddy_loop_t *loop, eddy_fs_t *req,
                                  const char *path, eddy_fs_cb cb);

/*
 * Creates or truncates `path` (mode 0666 before umask) and writes all `len`
 * bytes of `buf` (caller-owned, valid until cb); result = len.
 */
EDDY_EXTERN int eddy_fs_write_file(eddy_loop_t *loop, eddy_fs_t *req,
                                   const char *path, const void *buf,
                                   size_t len, eddy_fs_cb cb);

/*
 * Cancels a request whose work has not started: cb runs later with
 * result -ECANCELED. -EBUSY if it has started. Loop thread only.
 */
EDDY_EXTERN int eddy_fs_cancel(eddy_fs_t *req);

/*
 * Hands req->buf of a read_file request to the caller, who frees it with
 * free(); stores its length in *len when len is non-NULL. Returns NULL if
 * there is no buffer. The request no longer owns it.
 */
EDDY_EXTERN char *eddy_fs_take_buffer(eddy_fs_t *req, size_t *len);

/*
 * Frees what the request owns (path copies, buffer, entries) and resets
 * those fields. Call it in or after the callback; idempotent.
 */
EDDY_EXTERN void eddy_fs_req_cleanup(eddy_fs_t *req);

/* ------------------------------------------------------------------ join */

typedef struct eddy_join_s eddy_join_t;
typedef void (*eddy_join_cb)(eddy_join_t *join);

/*
 * One slot of a join: where one operation reports. Put a pointer to it in
 * the operation's `data` (eddy_join_slot()) and report with
 * eddy_join_settle() or the ready-made callbacks below.
 */
typedef struct {
  eddy_join_t *join;
  size_t index;
  int64_t result; /* what was reported: >= 0 success, < 0 error */
  int settled;
  eddy_fs_t *fs; /* the request eddy_join_read_files() made, else NULL */
} eddy_join_slot_t;

/*
 * Promise.all for eddy. Caller-owned; the slots array is the join's.
 * In the callback: `slots[i].result` for every i (index order), `error`
 * the first negative result in completion order (0 if none), and
 * `error_index` its slot (or -1). A join keeps the loop alive from
 * eddy_join_init() until its callback.
 */
struct eddy_join_s {
  void *data;
  eddy_loop_t *loop;       /* read-only */
  size_t count;            /* read-only: number of slots */
  size_t settled;          /* read-only: slots filled so far */
  int error;               /* first error in completion order, or 0 */
  ssize_t error_index;     /* its slot, or -1 */
  eddy_join_slot_t *slots; /* owned by the join */
  /* private */
  eddy_join_cb _cb;
  void *_block; /* one allocation: the deferral node and the slots */
};

/*
 * Prepares a join of `n` slots (n may be 0) whose callback runs once, in
 * the pending phase after the last slot settles (never inside
 * eddy_join_settle). The join must not move in memory until its callback
 * (slots point back at it). -EINVAL for a NULL argument, -ENOMEM. Loop
 * thread.
 */
EDDY_EXTERN int eddy_join_init(eddy_loop_t *loop, eddy_join_t *join, size_t n,
                               eddy_join_cb cb);

/* Slot `i` of the join, to store in an operation's `data`; NULL if out of
 * range. */
EDDY_EXTERN eddy_join_slot_t *eddy_join_slot(eddy_join_t *join, size_t i);

/*
 * Fills a slot with `result` (>= 0 success, < 0 error). Returns 0;
 * -EINVAL for NULL; -EALREADY if the slot was already settled (its
 * first result stays). Loop thread.
 */
EDDY_EXTERN int eddy_join_settle(eddy_join_slot_t *slot, int64_t result);

/* Ready-made callbacks: settle the slot in `req->data` with the result. */
EDDY_EXTERN void eddy_join_fs_cb(eddy_fs_t *req);
EDDY_EXTERN void eddy_join_work_cb(eddy_work_t *req, int status);

/*
 * Convenience: reads the `n` files in `paths` in parallel into the join's
 * slots. In the join callback slot i has result = size or negative errno,
 * and slots[i].fs->buf the data (owned by the join). `join` must have been
 * initialised with at least n slots and none settled. Returns 0, or
 * -EINVAL / -ENOMEM with nothing started; if a later submission fails, its
 * slot settles with that error instead. Loop thread.
 */
EDDY_EXTERN int eddy_join_read_files(eddy_join_t *join,
                                     const char *const *paths, size_t n);

/*
 * Frees the slots and any requests eddy_join_read_files() made (with their
 * buffers). Call in or after the callback; idempotent.
 */
EDDY_EXTERN void eddy_join_cleanup(eddy_join_t *join);

#ifdef __cplusplus
}
#endif
#endif

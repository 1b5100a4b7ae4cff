/*
 * eddy fs — private: what the submit side (fs.c) and the blocking executors
 * (fs_ops.c, fs_file.c, fs_dir.c) share. Executors run on a pool thread and
 * return a count or a negative errno, which becomes req->result.
 */
#ifndef EDDY_FS_INTERNAL_H
#define EDDY_FS_INTERNAL_H

#include <sys/types.h>

#include "eddy/fs.h"

/* Runs req's operation (by req->type) on the calling pool thread. */
ssize_t eddy__fs_run(eddy_fs_t *req);

ssize_t eddy__fs_read_file(eddy_fs_t *req);
ssize_t eddy__fs_write_file(eddy_fs_t *req);
ssize_t eddy__fs_readdir(eddy_fs_t *req);

/* write(2)/pwrite(2) until all `len` bytes are written; offset -1 = the
 * file position. Returns len, a shorter count after a late error, or a
 * negative errno if nothing was written. */
ssize_t eddy__fs_write_all(int fd, const char *buf, size_t len, int64_t offset);

#endif

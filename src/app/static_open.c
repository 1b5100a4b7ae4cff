/*
 * The static server's pool job: openat2 below the root and fstat, on a
 * thread-pool thread, so the loop never waits for a directory lookup or an
 * inode read. RESOLVE_BENEATH makes the kernel refuse any resolution that
 * leaves the root (through "..", an absolute symlink or a relative one
 * that climbs out); RESOLVE_NO_MAGICLINKS refuses /proc-style links.
 * O_NONBLOCK: opening a FIFO without a writer returns at once instead of
 * blocking the pool thread, and fstat then refuses it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "app/static_job.h"

int eddy__static_openat(int root_fd, const char *rel) {
  struct open_how how;
  memset(&how, 0, sizeof(how));
  how.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, root_fd, rel[0] ? rel : ".", &how,
                    sizeof(how));
  return fd < 0 ? -errno : (int)fd;
}

/* Opens `rel` (for "dir/": dir/index) and keeps it only if regular. */
static int open_file(static_job_t *j, struct stat *sb) {
  int fd = eddy__static_openat(j->st->root_fd, j->open_path);
  if (fd < 0) return fd;
  if (fstat(fd, sb) < 0) {
    int err = -errno;
    close(fd);
    return err;
  }
  if (S_ISREG(sb->st_mode)) return fd;
  close(fd);
  return S_ISDIR(sb->st_mode) ? -EISDIR : -ENOENT; /* FIFO, socket, device */
}

/* The whole of a small file, or NULL (then it is sent with sendfile). */
static char *read_small(int fd, off_t size) {
  char *buf = malloc(size > 0 ? (size_t)size : 1);
  off_t got = 0;
  while (buf && got < size) {
    ssize_t n = pread(fd, buf + got, (size_t)(size - got), got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) { /* shrank or failed under us: sendfile will tell */
      free(buf);
      return NULL;
    }
    got += n;
  }
  return buf;
}

void eddy__static_job_work(eddy_work_t *w) {
  static_job_t *j = w->data;
  struct stat sb;
  int fd = open_file(j, &sb);
  j->fd = fd;
  if (fd < 0) return;
  int64_t mtime = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
  eddy__static_file_fill(&j->file, sb.st_size, mtime, sb.st_ino);
  j->file.fd = fd;
  if (sb.st_size <= STATIC_SMALL_FILE)
    j->file.data = read_small(fd, sb.st_size);
}

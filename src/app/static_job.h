/* Private to the static server: one request waiting for the pool. */
#ifndef EDDY_APP_STATIC_JOB_H
#define EDDY_APP_STATIC_JOB_H

#include "app/static_open.h"
#include "eddy/threadpool.h"

typedef struct {
  eddy_work_t work;
  eddy_static_t *st;
  eddy_app_req_t *req; /* valid until we finish it: app.h's contract */
  int fd;              /* result: the open file, or -errno */
  static_file_t file;
  size_t rel_len;  /* rel is the cache key: the resolved URL path */
  char *open_path; /* rel, or rel + index for "dir/" (in `buf`) */
  char buf[];      /* rel NUL, then open_path NUL */
} static_job_t;

/* openat2(root_fd, rel, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) with
 * O_RDONLY | O_NONBLOCK | O_CLOEXEC; "" opens the root. fd or -errno. */
int eddy__static_openat(int root_fd, const char *rel);

/* The pool side of a job (static_open.c). */
void eddy__static_job_work(eddy_work_t *w);

#endif

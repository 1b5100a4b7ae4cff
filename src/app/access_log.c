/*
 * The access log (combined format), off unless asked for. Lines are
 * formatted on the loop thread and appended to a bounded buffer under a
 * short lock; a writer thread owns every write(2), so the loop never waits
 * for the disk or a pipe. It is eddy/log.h's design with its own file and
 * no line prefix (log.h has one process-wide sink for diagnostics).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eddy/observe.h"

#define ALOG_BUF (256 * 1024)

struct eddy_access_log_s {
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_t thread;
  int fd, own_fd, stop, started;
  size_t len;
  uint64_t dropped;
  char buf[ALOG_BUF];
  char out[ALOG_BUF]; /* the writer's copy */
};

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* nowhere to report a failing log */
    p += w, n -= (size_t)w;
  }
}

static void *writer(void *arg) {
  eddy_access_log_t *l = arg;
  pthread_mutex_lock(&l->lock);
  for (;;) {
    while (l->len == 0 && !l->stop) pthread_cond_wait(&l->wake, &l->lock);
    if (l->len == 0) break; /* stop, and nothing left */
    size_t n = l->len;
    memcpy(l->out, l->buf, n);
    l->len = 0;
    pthread_mutex_unlock(&l->lock);
    write_all(l->fd, l->out, n);
    pthread_mutex_lock(&l->lock);
  }
  pthread_mutex_unlock(&l->lock);
  return NULL;
}

int eddy_access_log_open(const char *path, eddy_access_log_t **out) {
  if (!path || !out) return -EINVAL;
  eddy_access_log_t *l = calloc(1, sizeof(*l));
  if (!l) return -ENOMEM;
  pthread_mutex_init(&l->lock, NULL);
  pthread_cond_init(&l->wake, NULL);
  l->fd = 2;
  if (strcmp(path, "-") != 0) {
    l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    l->own_fd = 1;
  }
  int r = l->fd < 0 ? -errno : 0;
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old); /* signals are the loop's */
  if (!r) r = -pthread_create(&l->thread, NULL, writer, l);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (r) {
    if (l->own_fd && l->fd >= 0) close(l->fd);
    free(l);
    return r;
  }
  l->started = 1;
  *out = l;
  return 0;
}

void eddy_access_log_close(eddy_access_log_t *l) {
  if (!l) return;
  pthread_mutex_lock(&l->lock);
  l->stop = 1;
  pthread_cond_signal(&l->wake);
  pthread_mutex_unlock(&l->lock);
  pthread_join(l->thread, NULL);
  if (l->own_fd) close(l->fd);
  pthread_cond_destroy(&l->wake);
  pthread_mutex_destroy(&l->lock);
  free(l);
}

uint64_t eddy_access_log_dropped(const eddy_access_log_t *l) {
  pthread_mutex_lock((pthread_mutex_t *)&l->lock);
  uint64_t d = l->dropped;
  pthread_mutex_unlock((pthread_mutex_t *)&l->lock);
  return d;
}

void eddy_access_log_write(eddy_access_log_t *l, const char *line, size_t n) {
  pthread_mutex_lock(&l->lock);
  if (l->len + n > ALOG_BUF) {
    l->dropped++;
  } else {
    memcpy(l->buf + l->len, line, n);
    l->len += n;
    pthread_cond_signal(&l->wake);
  }
  pthread_mutex_unlock(&l->lock);
}

typedef struct {
  char *p;
  size_t len, cap; /* cap excludes the final NUL */
} line_t;

static void add(line_t *l, const char *s, size_t n) {
  if (n > l->cap - l->len) n = l->cap - l->len;
  memcpy(l->p + l->len, s, n);
  l->len += n;
}

/* A field with '"', '\\' and bytes outside 0x20..0x7e as \xHH (nginx). */
static void add_escaped(line_t *l, const char *s, size_t n) {
  static const char hex[] = "0123456789ABCDEF";
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      add(l, (const char *)&c, 1);
    } else {
      char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
      add(l, e, 4);
    }
  }
}

static void add_header(line_t *l, const eddy_http_request_t *req,
                       const char *name) {
  const eddy_http_header_t *h = req->headers
                                    ? eddy_http_find_header(req, name,
                                                            strlen(name))
                                    : NULL;
  add(l, " \"", 2);
  if (h && h->value.len)
    add_escaped(l, h->value.base, h->value.len);
  else
    add(l, "-", 1);
  add(l, "\"", 1);
}

size_t eddy_access_log_format(char *out, size_t cap, const char *ip,
                              const eddy_http_request_t *req, int status,
                              uint64_t bytes, int64_t when_s) {
  if (cap == 0) return 0;
  line_t l = {out, 0, cap - 1};
  char tmp[96];
  struct tm tm;
  time_t t = (time_t)when_s;
  gmtime_r(&t, &tm);
  add_escaped(&l, ip && *ip ? ip : "-", ip && *ip ? strlen(ip) : 1);
  size_t n = strftime(tmp, sizeof(tmp), " - - [%d/%b/%Y:%H:%M:%S +0000] \"",
                      &tm);
  add(&l, tmp, n);
  add_escaped(&l, req->method_name.base, req->method_name.len);
  add(&l, " ", 1);
  add_escaped(&l, req->target.base, req->target.len);
  int k = snprintf(tmp, sizeof(tmp), " HTTP/1.%d\" %d ", req->minor_version,
                   status);
  add(&l, tmp, (size_t)k);
  k = bytes ? snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)bytes)
            : snprintf(tmp, sizeof(tmp), "-");
  add(&l, tmp, (size_t)k);
  add_header(&l, req, "Referer");
  add_header(&l, req, "User-Agent");
  out[l.len] = '\0';
  return l.len;
}

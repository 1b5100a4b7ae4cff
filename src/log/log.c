/*
 * The buffered log writer (log.h). Callers append to a 256 KiB buffer under
 * a mutex; one writer thread swaps the buffer out and writes it with
 * blocking writes, so only that thread ever waits for the disk or a pipe.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "eddy/log.h"

#define LOG_BUF (256 * 1024)
#define LINE_MAX_LEN 1024

static struct {
  pthread_mutex_t lock;
  pthread_cond_t wake;    /* writer: data to write */
  pthread_cond_t written; /* flushers: buffer drained */
  char buf[LOG_BUF];
  size_t len;
  int writing; /* the writer holds a swapped-out batch */
  int fd;
  _Atomic int level; /* -1 until read from EDDY_LOG_LEVEL */
  int started;
  uint64_t dropped;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .wake = PTHREAD_COND_INITIALIZER,
       .written = PTHREAD_COND_INITIALIZER,
       .fd = 2,
       .level = -1};

static const char *level_name[] = {"DEBUG", "INFO", "WARN", "ERROR"};

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return; /* nowhere to report a failing log fd */
    p += w;
    n -= (size_t)w;
  }
}

static void *writer_main(void *arg) {
  static char out[LOG_BUF];
  pthread_mutex_lock(&g.lock);
  for (;;) {
    while (g.len == 0) pthread_cond_wait(&g.wake, &g.lock);
    size_t n = g.len;
    memcpy(out, g.buf, n);
    g.len = 0;
    g.writing = 1;
    int fd = g.fd;
    pthread_mutex_unlock(&g.lock);
    write_all(fd, out, n);
    pthread_mutex_lock(&g.lock);
    g.writing = 0;
    pthread_cond_broadcast(&g.written);
  }
  return NULL;
}

static void flush_at_exit(void) { eddy_log_flush(1000); }

/* A forked child has no writer thread: start a new one on its next line. */
static void after_fork_child(void) {
  pthread_mutex_init(&g.lock, NULL);
  g.started = 0;
  g.writing = 0;
}

/* Called with the lock held. */
static void start_writer(void) {
  if (g.started) return;
  if (g.level < 0) {
    const char *env = getenv("EDDY_LOG_LEVEL");
    g.level = EDDY_LOG_INFO;
    for (int i = 0; env && i < 4; i++)
      if (strcasecmp(env, level_name[i]) == 0) g.level = i;
  }
  static int registered;
  if (!registered) {
    registered = 1;
    atexit(flush_at_exit);
    pthread_atfork(NULL, NULL, after_fork_child);
  }
  pthread_t t;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  if (pthread_create(&t, &attr, writer_main, NULL) == 0) g.started = 1;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pthread_attr_destroy(&attr);
}

static size_t format_prefix(char *line, eddy_log_level_t level) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  int n = snprintf(line, LINE_MAX_LEN,
                   "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ eddy[%d] %s ",
                   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                   tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, (int)getpid(),
                   level_name[level]);
  return n > 0 ? (size_t)n : 0;
}

void eddy_log(eddy_log_level_t level, const char *fmt, ...) {
  if (level < EDDY_LOG_DEBUG || level >= EDDY_LOG_OFF) return;
  int min = atomic_load_explicit(&g.level, memory_order_relaxed);
  if (min >= 0 && (int)level < min) return;
  char line[LINE_MAX_LEN + 1];
  size_t n = format_prefix(line, level);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, LINE_MAX_LEN - n, fmt, ap);
  va_end(ap);
  if (m > 0)
    n += (size_t)m < LINE_MAX_LEN - n ? (size_t)m : LINE_MAX_LEN - n - 1;
  line[n++] = '\n';
  pthread_mutex_lock(&g.lock);
  start_writer();
  if ((int)level < g.level) {
    pthread_mutex_unlock(&g.lock);
    return;
  }
  if (g.len + n > LOG_BUF) {
    g.dropped++;
  } else {
    memcpy(g.buf + g.len, line, n);
    g.len += n;
    pthread_cond_signal(&g.wake);
  }
  pthread_mutex_unlock(&g.lock);
}

void eddy_log_set_level(eddy_log_level_t level) {
  pthread_mutex_lock(&g.lock);
  g.level = (int)level;
  pthread_mutex_unlock(&g.lock);
}

int eddy_log_set_fd(int fd) {
  if (fd < 0) return -EBADF;
  pthread_mutex_lock(&g.lock);
  g.fd = fd;
  pthread_mutex_unlock(&g.lock);
  return 0;
}

int eddy_log_flush(unsigned timeout_ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += timeout_ms / 1000;
  until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (until.tv_nsec >= 1000000000L) {
    until.tv_sec++;
    until.tv_nsec -= 1000000000L;
  }
  int err = 0;
  pthread_mutex_lock(&g.lock);
  while ((g.len > 0 || g.writing) && g.started && err == 0)
    err = pthread_cond_timedwait(&g.written, &g.lock, &until);
  pthread_mutex_unlock(&g.lock);
  return err ? -ETIMEDOUT : 0;
}

uint64_t eddy_log_dropped(void) {
  pthread_mutex_lock(&g.lock);
  uint64_t d = g.dropped;
  pthread_mutex_unlock(&g.lock);
  return d;
}

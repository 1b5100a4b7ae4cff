#include "support/fs_helpers.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int started;
  int open;
} gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};

void work_gate_work(eddy_work_t *w) {
  pthread_mutex_lock(&gate.mu);
  gate.started++;
  pthread_cond_broadcast(&gate.cond);
  while (!gate.open) pthread_cond_wait(&gate.cond, &gate.mu);
  pthread_mutex_unlock(&gate.mu);
}

int work_gate_wait_started(int n) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += 5;
  pthread_mutex_lock(&gate.mu);
  while (gate.started < n &&
         pthread_cond_timedwait(&gate.cond, &gate.mu, &ts) == 0) {
  }
  int started = gate.started;
  pthread_mutex_unlock(&gate.mu);
  return started;
}

int work_gate_started(void) {
  pthread_mutex_lock(&gate.mu);
  int n = gate.started;
  pthread_mutex_unlock(&gate.mu);
  return n;
}

void work_gate_open(void) {
  pthread_mutex_lock(&gate.mu);
  gate.open = 1;
  pthread_cond_broadcast(&gate.cond);
  pthread_mutex_unlock(&gate.mu);
}

void bound_test_time(unsigned seconds) {
  signal(SIGALRM, SIG_DFL);
  alarm(seconds);
}

static char dir[64];

const char *scratch_dir(void) {
  snprintf(dir, sizeof(dir), "/tmp/eddy-test-XXXXXX");
  cr_assert_not_null(mkdtemp(dir));
  return dir;
}

const char *scratch_path(const char *name) {
  static char ring[8][256];
  static int next;
  char *p = ring[next++ % 8];
  snprintf(p, sizeof(ring[0]), "%s/%s", dir, name);
  return p;
}

void write_file_sync(const char *path, const void *buf, size_t len) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  cr_assert_geq(fd, 0, "open %s", path);
  cr_assert_eq(write(fd, buf, len), (ssize_t)len);
  close(fd);
}

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw) {
  return remove(path);
}

void scratch_remove(void) {
  if (dir[0]) nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
  dir[0] = '\0';
}

#ifdef __SANITIZE_THREAD__
/* The fork test starts pool threads in a child forked from a threaded
 * process; TSan refuses that unless told (the child only runs eddy code
 * that re-initialises the pool). TSAN_OPTIONS still override this. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void) { return "die_after_fork=0"; }
#endif

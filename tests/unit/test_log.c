/* The buffered log writer. */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "support/loop_helpers.h"

static void *log_many(void *arg) {
  for (int i = 0; i < 200; i++) eddy_log(EDDY_LOG_INFO, "thread %d line %d", (int)(intptr_t)arg, i);
  return NULL;
}

Test(log, lines_from_threads_arrive_whole) {
  int p[2];
  cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
  fcntl(p[0], F_SETPIPE_SZ, 1 << 20);
  cr_assert_eq(eddy_log_set_fd(-1), -EBADF);
  eddy_log_set_fd(p[1]);
  eddy_log_set_level(EDDY_LOG_INFO);
  eddy_log(EDDY_LOG_DEBUG, "hidden");
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, log_many, (void *)(intptr_t)i);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  cr_assert_eq(eddy_log_flush(2000), 0);
  static char buf[1 << 20];
  ssize_t n = read(p[0], buf, sizeof(buf) - 1);
  cr_assert_gt(n, 0);
  buf[n] = 0;
  int lines = 0;
  for (char *s = buf; (s = strchr(s, '\n')); s++) lines++;
  cr_assert_eq(lines + (int)eddy_log_dropped(), 800);
  cr_assert_null(strstr(buf, "hidden"));
  cr_assert_not_null(strstr(buf, " INFO thread 3 line 199\n"));
  cr_assert_not_null(strstr(buf, "Z eddy["));
  eddy_log_set_fd(2);
  assert_no_leaks();
}

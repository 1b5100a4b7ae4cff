/*
 * Out of file descriptors: a forked server with a tiny RLIMIT_NOFILE keeps
 * serving its connections, does not spin, and accepts again once fds free.
 */
#include <netinet/in.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eddy/net.h"
#include "support/loop_helpers.h"
#include "support/net_helpers.h"

#define CONN_SLOTS 3

static void close_any(eddy_handle_t *h, void *arg) {
  if (!eddy_is_closing(h)) eddy_close(h, NULL);
}

static void ctl_alloc(eddy_stream_t *s, size_t n, eddy_buf_t *b) {
  static char buf[16];
  *b = eddy_buf(buf, sizeof(buf));
}

/* The parent closed the control socket: close everything, so run returns. */
static void ctl_read(eddy_stream_t *s, ssize_t n, const eddy_buf_t *b) {
  if (n < 0) eddy_loop_walk(s->loop, close_any, NULL);
}

/*
 * Fills every free descriptor below the highest open one, so that exactly
 * the descriptors from the returned number up are free.
 */
static int fill_holes(void) {
  int top = 0;
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (e->d_name[0] != '.' && strtol(e->d_name, NULL, 10) > top)
      top = (int)strtol(e->d_name, NULL, 10);
  if (d) closedir(d);
  for (;;) {
    int fd = open("/dev/null", O_RDONLY);
    if (fd < 0 || fd > top) {
      if (fd >= 0) close(fd);
      return top + 1;
    }
  }
}

/* No cr_assert here: in a forked child it would block on the runner. */
static void child(int lfd, int ctl) {
  eddy_loop_t loop;
  eddy_tcp_t server;
  eddy_unix_t ctl_s;
  echo_stats_t st;
  if (eddy_loop_init(&loop)) _exit(2);
  eddy_tcp_init(&loop, &server);
  eddy_unix_init(&loop, &ctl_s);
  if (eddy_stream_open(EDDY_STREAM(&server), lfd) ||
      eddy_stream_open(EDDY_STREAM(&ctl_s), ctl))
    _exit(2);
  if (echo_listen(EDDY_STREAM(&server), &st)) _exit(2);
  eddy_read_start(EDDY_STREAM(&ctl_s), ctl_alloc, ctl_read);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = (rlim_t)fill_holes() + CONN_SLOTS;
  if (setrlimit(RLIMIT_NOFILE, &rl)) _exit(2);
  if (write(ctl, "R", 1) != 1) _exit(2);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  _exit(eddy_loop_close(&loop) == 0 ? 0 : 3);
}

static int connect_to(int port) {
  struct sockaddr_storage ss;
  eddy_net_addr("127.0.0.1", port, &ss);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  cr_assert_eq(connect(fd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)),
               0);
  return fd;
}

/* 0 if `fd` echoes a byte back within the read timeout. */
static int echoes(int fd, char c) {
  char got;
  if (write(fd, &c, 1) != 1) return -1;
  if (read_full(fd, &got, 1)) return -1;
  return got == c ? 0 : -1;
}

/* 0 if the peer closed `fd` (EOF or reset) within 2 s. */
static int was_closed(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  char c;
  if (poll(&p, 1, 2000) != 1) return -1;
  return read(fd, &c, 1) <= 0 ? 0 : -1;
}

/* utime + stime of `pid`, in ms. */
static long cpu_ms(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f);
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = 0;
  unsigned long ut, st;
  char *p = strrchr(buf, ')');
  cr_assert_eq(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                      &ut, &st), 2);
  return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

Test(net, emfile_does_not_spin_and_recovers) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  int ctl[2], c[CONN_SLOTS], x[10];
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  eddy_net_addr("127.0.0.1", 0, &ss);
  cr_assert_eq(bind(lfd, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)), 0);
  cr_assert_eq(listen(lfd, 64), 0);
  getsockname(lfd, (struct sockaddr *)&ss, &len);
  int port = eddy_net_port((struct sockaddr *)&ss);
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl), 0);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    close(ctl[0]);
    child(lfd, ctl[1]);
  }
  close(ctl[1]);
  close(lfd);
  char r;
  if (read_full(ctl[0], &r, 1)) {
    int st = 0;
    waitpid(pid, &st, 0);
    cr_assert_fail("child did not start (status %d)", st);
  }
  for (int i = 0; i < CONN_SLOTS; i++) {
    c[i] = connect_to(port);
    cr_assert_eq(echoes(c[i], (char)('a' + i)), 0, "connection %d", i);
  }
  long cpu0 = cpu_ms(pid);
  for (int i = 0; i < 10; i++) x[i] = connect_to(port);
  for (int i = 0; i < 10; i++)
    cr_assert_eq(was_closed(x[i]), 0, "excess connection %d not shed", i);
  usleep(300 * 1000);
  long used = cpu_ms(pid) - cpu0;
  cr_assert_lt(used, 150, "server used %ld ms of CPU while out of fds", used);
  for (int i = 0; i < CONN_SLOTS; i++)
    cr_assert_eq(echoes(c[i], 'z'), 0, "existing connection %d stalled", i);
  close(c[0]); /* frees one slot once the server sees EOF */
  int ok = 0;
  for (int tries = 0; tries < 40 && !ok; tries++) {
    int fd = connect_to(port);
    ok = echoes(fd, 'n') == 0;
    if (ok) c[0] = fd;
    else {
      close(fd);
      usleep(50 * 1000);
    }
  }
  cr_assert(ok, "the server never accepted again");
  for (int i = 0; i < 10; i++) close(x[i]);
  for (int i = 0; i < CONN_SLOTS; i++) close(c[i]);
  close(ctl[0]);
  int status;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "child status %d", status);
}

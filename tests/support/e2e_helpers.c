/* End-to-end helpers: see e2e_helpers.h. */
#include "support/e2e_helpers.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof(a);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  getsockname(fd, (struct sockaddr *)&a, &len);
  close(fd);
  return ntohs(a.sin_port);
}

static int try_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) return fd;
  close(fd);
  return -1;
}

static pid_t running; /* the server of the current test, 0 if stopped */
static char running_data_dir[64]; /* its temporary --data-dir, or "" */

static int remove_one(const char *path, const struct stat *st, int type,
                      struct FTW *ftw) {
  return remove(path);
}

static void remove_data_dir(char *dir) {
  if (dir[0]) nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
  dir[0] = '\0';
}

void e2e_kill_leftover(void) {
  if (running > 0) {
    kill(running, SIGKILL);
    waitpid(running, NULL, 0);
  }
  running = 0;
  remove_data_dir(running_data_dir);
}

/* The file e2e_start_logged sends the next server's stderr to, or NULL. */
static const char *next_log;

static void spawn_and_wait(e2e_server_t *s, const char *const *argv) {
  s->pid = fork();
  cr_assert(s->pid >= 0);
  if (s->pid == 0) {
    int devnull = open("/dev/null", 1);
    dup2(devnull, 1);
    int log = next_log ? open(next_log, O_WRONLY | O_CREAT | O_APPEND, 0644)
                       : -1;
    if (log >= 0) dup2(log, 2);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  running = s->pid;
  for (int i = 0; i < 500; i++) { /* up to 10 s under ASan */
    int fd = try_connect(s->port);
    if (fd >= 0) {
      close(fd);
      return;
    }
    usleep(20000);
  }
  kill(s->pid, SIGKILL);
  waitpid(s->pid, NULL, 0);
  running = 0;
  cr_assert_fail("%s did not start on port %d", argv[0], s->port);
}

void e2e_start(e2e_server_t *s, const char *const *extra) {
  const char *bin = getenv("EDDY_BIN");
  cr_assert(bin, "EDDY_BIN is not set");
  s->port = free_port();
  char port[16];
  snprintf(port, sizeof(port), "%d", s->port);
  const char *argv[18] = {bin, "serve", "--port", port};
  int n = 4, own_data = 0;
  for (; extra && *extra && n < 15; extra++) {
    own_data |= !strcmp(*extra, "--data-dir") || !strcmp(*extra, "--db");
    argv[n++] = *extra;
  }
  s->data_dir[0] = '\0';
  if (!own_data) { /* never ./data of the directory the tests run in */
    snprintf(s->data_dir, sizeof(s->data_dir), "/tmp/eddy-e2e-XXXXXX");
    cr_assert_not_null(mkdtemp(s->data_dir));
    snprintf(running_data_dir, sizeof(running_data_dir), "%s", s->data_dir);
    argv[n++] = "--data-dir";
    argv[n++] = s->data_dir;
  }
  argv[n] = NULL;
  spawn_and_wait(s, argv);
}

void e2e_start_logged(e2e_server_t *s, const char *const *extra,
                      const char *log_path) {
  next_log = log_path;
  e2e_start(s, extra);
  next_log = NULL;
}

void e2e_kill(e2e_server_t *s) {
  kill(s->pid, SIGKILL);
  cr_assert_eq(waitpid(s->pid, NULL, 0), s->pid);
  running = 0;
  remove_data_dir(running_data_dir);
}

/* Reaps the server; asserts it exited by itself with status 0. */
static void reap(e2e_server_t *s) {
  int status = 0;
  cr_assert_eq(waitpid(s->pid, &status, 0), s->pid);
  running = 0;
  remove_data_dir(running_data_dir);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "eddy serve wait status %d", status);
}

void e2e_stop(e2e_server_t *s) {
  kill(s->pid, SIGTERM);
  reap(s);
}

void e2e_wait_exit(e2e_server_t *s, long ms) {
  long end = e2e_now_ms() + ms;
  siginfo_t info = {0};
  while (waitid(P_PID, (id_t)s->pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == 0 && e2e_now_ms() < end)
    usleep(10000);
  reap(s); /* waits on: Criterion's timeout bounds a server that hangs */
}

int e2e_connect(const e2e_server_t *s) {
  int fd = try_connect(s->port);
  cr_assert(fd >= 0);
  struct timeval tv = {5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

void e2e_send(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    cr_assert(w > 0);
    c += w;
    n -= (size_t)w;
  }
}

size_t e2e_recv_all(int fd, char *buf, size_t max, int *eof) {
  size_t got = 0;
  *eof = 0;
  while (got + 1 < max) {
    ssize_t r = recv(fd, buf + got, max - 1 - got, 0);
    if (r == 0) *eof = 1;
    if (r <= 0) break;
    got += (size_t)r;
  }
  buf[got] = '\0';
  return got;
}

int e2e_count(const char *hay, const char *needle) {
  int n = 0;
  for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) n++;
  return n;
}

/* ---- Added for the async example, the more and attack suites. ---- */


void e2e_start_example(e2e_server_t *s, const char *name,
                       const char *const *extra) {
  const char *dir = getenv("EDDY_EXAMPLES");
  cr_assert(dir, "EDDY_EXAMPLES is not set");
  static char path[512];
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  s->port = free_port();
  char port[16];
  snprintf(port, sizeof(port), "%d", s->port);
  const char *argv[16] = {path, port};
  int n = 2;
  for (; extra && *extra && n < 15; extra++) argv[n++] = *extra;
  argv[n] = NULL;
  spawn_and_wait(s, argv);
}

int e2e_alive(const e2e_server_t *s) {
  return waitpid(s->pid, NULL, WNOHANG) == 0;
}

int e2e_fd_count(pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
  DIR *d = opendir(path);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

void e2e_send_some(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n) {
    ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    c += w;
    n -= (size_t)w;
  }
}

/* The Content-Length value in a response head, 0 if none. */
static size_t head_cl(const char *head) {
  const char *p = strcasestr(head, "\r\nContent-Length:");
  return p ? (size_t)strtoull(p + 17, NULL, 10) : 0;
}

int e2e_read_response(int fd, char *buf, size_t max, int no_body) {
  size_t got = 0;
  buf[0] = '\0';
  while (got + 1 < max) {
    if (recv(fd, buf + got, 1, 0) != 1) return -1;
    buf[++got] = '\0';
    if (got >= 4 && memcmp(buf + got - 4, "\r\n\r\n", 4) == 0) break;
  }
  if (got < 12 || strncmp(buf, "HTTP/1.", 7) != 0) return -1;
  int status = (int)strtol(buf + 9, NULL, 10);
  size_t cl = head_cl(buf);
  if (no_body || status < 200 || status == 204 || status == 304) cl = 0;
  cr_assert(got + cl < max, "response body of %zu bytes too big", cl);
  if (cl && recv(fd, buf + got, cl, MSG_WAITALL) != (ssize_t)cl) return -1;
  buf[got + cl] = '\0';
  return status;
}

long e2e_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

long e2e_wait_close(int fd, long ms) {
  long t0 = e2e_now_ms();
  char tmp[4096];
  for (;;) {
    long left = ms - (e2e_now_ms() - t0);
    if (left <= 0) return -1;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, (int)left) <= 0) continue;
    ssize_t r = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
      return e2e_now_ms() - t0;
  }
}

int e2e_fresh_request(const e2e_server_t *s, const char *req, char *out,
                      size_t max) {
  char local[4096];
  if (!out) {
    out = local;
    max = sizeof(local);
  }
  int fd = e2e_connect(s);
  e2e_send(fd, req, strlen(req));
  int status = e2e_read_response(fd, out, max, strncmp(req, "HEAD ", 5) == 0);
  close(fd);
  return status;
}

char *e2e_read_slowly(int fd, size_t body_len, size_t pause_every,
                      unsigned pause_us, void (*mid)(void *), void *arg,
                      size_t *body_at) {
  char *got = malloc(body_len + 4096);
  size_t len = 0, at = 0, since_pause = 0;
  while (!at || len < at + body_len) {
    ssize_t r = recv(fd, got + len, 16384, 0);
    cr_assert(r > 0, "recv ended after %zu bytes", len);
    len += (size_t)r;
    if (!at) {
      got[len] = 0;
      char *e = strstr(got, "\r\n\r\n");
      if (e) at = (size_t)(e + 4 - got);
    }
    if (mid && at && len > at + body_len / 2) {
      mid(arg);
      mid = NULL;
    }
    if ((since_pause += (size_t)r) >= pause_every) {
      since_pause = 0;
      usleep(pause_us);
    }
  }
  cr_assert_eq(len, at + body_len, "bytes after the body");
  *body_at = at;
  return got;
}

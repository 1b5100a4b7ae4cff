/* The soak load: see soak.h. */
#include "support/soak.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define THREADS 16
#define GET_HELLO "GET / HTTP/1.1\r\nHost: s\r\n\r\n"

static struct {
  int port[2]; /* eddy serve, http-static */
  pid_t pid[2];
  char dir[64];
  long deadline_ms;
  _Atomic long requests, failed, resets;
  pthread_mutex_t lock;
  char why[256];
} S;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void fail(const char *what, int port) {
  atomic_fetch_add(&S.failed, 1);
  pthread_mutex_lock(&S.lock);
  if (!S.why[0]) snprintf(S.why, sizeof(S.why), "%s (port %d)", what, port);
  pthread_mutex_unlock(&S.lock);
}

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  struct timeval tv = {10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

static int send_all(int fd, const char *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return -1;
    p += w, n -= (size_t)w;
  }
  return 0;
}

static void reset_close(int fd) {
  struct linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
  atomic_fetch_add(&S.resets, 1);
}

/* A reader that keeps what follows a response (pipelining). */
typedef struct {
  int fd;
  char buf[65536];
  size_t len;
} rd_t;

/* Reads one response; returns its status (body checked to be `want_len`
 * bytes unless -1), or -1 if the connection ended or timed out. */
static int read_response(rd_t *r, long want_len) {
  char *end;
  for (;;) {
    r->buf[r->len] = 0;
    if ((end = strstr(r->buf, "\r\n\r\n"))) break;
    if (r->len + 1 >= sizeof(r->buf)) return -1;
    ssize_t n = recv(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len, 0);
    if (n <= 0) return -1;
    r->len += (size_t)n;
  }
  int status = 0;
  if (sscanf(r->buf, "HTTP/1.1 %d", &status) != 1) return -1;
  const char *cl = strcasestr(r->buf, "\r\nContent-Length:");
  long body = cl && cl < end ? strtol(cl + 17, NULL, 10) : 0;
  if (want_len >= 0 && body != want_len) return -1;
  size_t head = (size_t)(end + 4 - r->buf), have = r->len - head;
  long left = body - (long)have;
  if (left <= 0) { /* the body, and maybe more, is here */
    size_t used = head + (size_t)body;
    memmove(r->buf, r->buf + used, r->len - used);
    r->len -= used;
    return status;
  }
  r->len = 0;
  while (left > 0) { /* drain the rest of a big body */
    ssize_t n = recv(r->fd, r->buf, sizeof(r->buf) - 1 < (size_t)left
                                        ? sizeof(r->buf) - 1 : (size_t)left, 0);
    if (n <= 0) return -1;
    left -= n;
  }
  return status;
}

/* Sends `req` `times` times (all at once if pipelined), expects `status`
 * and a body of `len` bytes for each. */
static void exchange(int port, const char *req, int times, int pipelined,
                     int status, long len) {
  rd_t *r = malloc(sizeof(*r));
  r->len = 0;
  if ((r->fd = connect_to(port)) < 0) {
    fail("connect", port);
    free(r);
    return;
  }
  for (int i = 0; i < times; i++) {
    int st = -1;
    if (pipelined && i == 0) {
      for (int k = 0; k < times; k++)
        if (send_all(r->fd, req, strlen(req))) break;
    } else if (!pipelined && send_all(r->fd, req, strlen(req))) {
      fail("send", port);
      break;
    }
    st = read_response(r, len);
    atomic_fetch_add(&S.requests, 1);
    if (st != status) {
      char what[96];
      snprintf(what, sizeof(what), "%.40s: status %d", req, st);
      fail(what, port);
      break;
    }
  }
  close(r->fd);
  free(r);
}

static void half_close(int port) {
  rd_t *r = malloc(sizeof(*r));
  r->len = 0;
  if ((r->fd = connect_to(port)) < 0) {
    fail("connect", port);
    free(r);
    return;
  }
  send_all(r->fd, GET_HELLO, sizeof(GET_HELLO) - 1);
  shutdown(r->fd, SHUT_WR);
  atomic_fetch_add(&S.requests, 1);
  if (read_response(r, 13) != 200) fail("half-close: no answer", port);
  close(r->fd);
  free(r);
}

static void reset_mid_request(int port) {
  int fd = connect_to(port);
  if (fd < 0) return fail("connect", port);
  send_all(fd, "POST / HTTP/1.1\r\nHost: s\r\nContent-Length: 100\r\n\r\nab", 51);
  reset_close(fd);
}

static void reset_mid_download(int port) {
  int fd = connect_to(port);
  if (fd < 0) return fail("connect", port);
  static const char req[] = "GET /f1m HTTP/1.1\r\nHost: s\r\n\r\n";
  send_all(fd, req, sizeof(req) - 1);
  char buf[16384];
  if (recv(fd, buf, sizeof(buf), 0) <= 0) fail("download: nothing", port);
  reset_close(fd);
}

static const char post_cl[] =
    "POST / HTTP/1.1\r\nHost: s\r\nContent-Length: 1000\r\n\r\n"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "0123456789012345678901234567890123456789012345678901234567890123456789"
    "01234567890123456789";
static const char post_chunked[] =
    "POST / HTTP/1.1\r\nHost: s\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";

static void one_scenario(unsigned *seed) {
  int serve = S.port[0], files = S.port[1];
  switch (rand_r(seed) % 10) {
  case 0: exchange(serve, GET_HELLO, 20, 0, 200, 13); break;
  case 1: exchange(serve, GET_HELLO, 16, 1, 200, 13); break;
  case 2: exchange(serve, post_cl, 4, 0, 200, 13); break;
  case 3: exchange(serve, post_chunked, 4, 1, 200, 13); break;
  case 4: exchange(files, "GET /f1k HTTP/1.1\r\nHost: s\r\n\r\n", 8, 1, 200, 1024); break;
  case 5: exchange(files, "GET /f64k HTTP/1.1\r\nHost: s\r\n\r\n", 4, 0, 200, 65536); break;
  case 6: exchange(files, "GET /f1m HTTP/1.1\r\nHost: s\r\n\r\n", 1, 0, 200, 1 << 20); break;
  case 7: half_close(serve); break;
  case 8: reset_mid_request(rand_r(seed) % 2 ? serve : files); break;
  default: reset_mid_download(files); break;
  }
}

static void *client(void *arg) {
  unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;
  while (now_ms() < S.deadline_ms) one_scenario(&seed);
  return NULL;
}

/* ------------------------------------------------------------ servers */

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof(a);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, (struct sockaddr *)&a, sizeof(a));
  getsockname(fd, (struct sockaddr *)&a, &len);
  close(fd);
  return ntohs(a.sin_port);
}

static pid_t spawn(char *const argv[], int port) {
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", 1);
    dup2(devnull, 1);
    execv(argv[0], argv);
    _exit(127);
  }
  for (int i = 0; i < 500; i++) {
    int fd = connect_to(port);
    if (fd >= 0) return close(fd), pid;
    usleep(20000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  return -1;
}

static int write_file(const char *name, size_t n) {
  char path[128];
  snprintf(path, sizeof(path), "%s/%s", S.dir, name);
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  for (size_t i = 0; i < n; i++) fputc('a' + (int)(i % 26), f);
  return fclose(f);
}

static int remove_one(const char *path, const struct stat *st, int type,
                      struct FTW *ftw) {
  return remove(path);
}

/* The files, and eddy serve's --data-dir (its SQLite files) inside. */
static void remove_dir(void) {
  nftw(S.dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int start_servers(const soak_opts_t *o) {
  char serve_port[16], static_port[16], example[512], data[96];
  snprintf(S.dir, sizeof(S.dir), "/tmp/eddy-soak-XXXXXX");
  if (!mkdtemp(S.dir) || write_file("f1k", 1024) || write_file("f64k", 65536) ||
      write_file("f1m", 1 << 20))
    return -1;
  S.port[0] = free_port();
  snprintf(serve_port, sizeof(serve_port), "%d", S.port[0]);
  snprintf(data, sizeof(data), "%s/serve-data", S.dir); /* its SQLite */
  char *a0[] = {(char *)o->bin, "serve",      "--port", serve_port,
                "--data-dir",   data,         NULL};
  if ((S.pid[0] = spawn(a0, S.port[0])) < 0) return -1;
  S.port[1] = free_port();
  snprintf(static_port, sizeof(static_port), "%d", S.port[1]);
  snprintf(example, sizeof(example), "%s/http-static", o->examples);
  char *a1[] = {example, static_port, S.dir, NULL};
  if ((S.pid[1] = spawn(a1, S.port[1])) < 0) return -1;
  return 0;
}

/* ----------------------------------------------------------- sampling */

static long rss_kib(pid_t pid) {
  char path[64], line[256];
  long kib = -1;
  snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  while (fgets(line, sizeof(line), f))
    if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) break;
  fclose(f);
  return kib;
}

static int fd_count(pid_t pid) {
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

static void sample(soak_result_t *r) {
  if (r->samples >= 600) return;
  for (int s = 0; s < 2; s++) {
    r->rss_kib[s][r->samples] = rss_kib(S.pid[s]);
    r->fds[s][r->samples] = fd_count(S.pid[s]);
  }
  r->samples++;
}

/* After warm-up (the first quarter), RSS may not keep growing: the last
 * sample within 25% + 4 MiB of the one at the end of warm-up. */
static void check_flat(const soak_result_t *r) {
  int w = r->samples / 4;
  for (int s = 0; s < 2 && r->samples >= 4; s++) {
    long base = r->rss_kib[s][w], last = r->rss_kib[s][r->samples - 1];
    if (last > base + base / 4 + 4096) {
      char what[128];
      snprintf(what, sizeof(what), "server %d RSS grew from %ld to %ld KiB", s,
               base, last);
      fail(what, S.port[s]);
    }
  }
}

int soak_run(const soak_opts_t *o, soak_result_t *r) {
  memset(r, 0, sizeof(*r));
  memset(&S, 0, sizeof(S));
  pthread_mutex_init(&S.lock, NULL);
  signal(SIGPIPE, SIG_IGN);
  if (start_servers(o) != 0) {
    snprintf(r->why, sizeof(r->why), "could not start the servers");
    return -1;
  }
  /* Warm once so that lazily made fds exist before the baseline. */
  exchange(S.port[0], GET_HELLO, 1, 0, 200, 13);
  exchange(S.port[1], "GET /f1k HTTP/1.1\r\nHost: s\r\n\r\n", 1, 0, 200, 1024);
  for (int s = 0; s < 2; s++) r->fds_before[s] = fd_count(S.pid[s]);
  S.deadline_ms = now_ms() + o->seconds * 1000L;
  pthread_t th[THREADS];
  for (long i = 0; i < THREADS; i++)
    pthread_create(&th[i], NULL, client, (void *)(i + 1));
  while (now_ms() < S.deadline_ms) {
    usleep(1000 * 1000);
    sample(r);
  }
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  for (int s = 0; s < 2; s++) { /* up to 3 s for the last closes */
    for (int k = 0; k < 150 && fd_count(S.pid[s]) > r->fds_before[s]; k++)
      usleep(20000);
    r->fds_after[s] = fd_count(S.pid[s]);
    if (r->fds_after[s] > r->fds_before[s]) fail("fds left open", S.port[s]);
  }
  if (o->check_rss) check_flat(r);
  r->exit_ok = 1;
  for (int s = 0; s < 2; s++) {
    int st = 0;
    kill(S.pid[s], SIGTERM);
    waitpid(S.pid[s], &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      r->exit_ok = 0;
      fail("server exit status", S.port[s]);
    }
  }
  remove_dir();
  r->requests = atomic_load(&S.requests);
  r->failed = atomic_load(&S.failed);
  r->resets = atomic_load(&S.resets);
  memcpy(r->why, S.why, sizeof(r->why));
  return r->failed ? -1 : 0;
}

void soak_print(const soak_result_t *r, int seconds) {
  printf("soak: %d s, %ld requests checked, %ld resets, %ld failed%s%s\n",
         seconds, r->requests, r->resets, r->failed, r->why[0] ? ": " : "",
         r->why);
  printf("  second  serve RSS KiB  fds   static RSS KiB  fds\n");
  for (int i = 0; i < r->samples; i++)
    if (r->samples <= 20 || i % (r->samples / 20) == 0 || i == r->samples - 1)
      printf("  %6d  %13ld  %3d   %14ld  %3d\n", i + 1, r->rss_kib[0][i],
             r->fds[0][i], r->rss_kib[1][i], r->fds[1][i]);
  printf("  fds before/after: serve %d/%d, static %d/%d; exits %s\n",
         r->fds_before[0], r->fds_after[0], r->fds_before[1], r->fds_after[1],
         r->exit_ok ? "clean" : "NOT clean");
}

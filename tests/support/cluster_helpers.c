/* Cluster end-to-end helpers: see cluster_helpers.h. */
#include "support/cluster_helpers.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/e2e_helpers.h"

static pid_t running;

void cl_kill_leftover(void) {
  if (running > 0) {
    kill(running, SIGKILL);
    waitpid(running, NULL, 0);
  }
  running = 0;
}

static int pick_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof(a);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  getsockname(fd, (struct sockaddr *)&a, &len);
  close(fd);
  return ntohs(a.sin_port);
}

void cl_start_path(cl_t *c, const char *path, const char *const *extra) {
  static unsigned seq;
  char port[16];
  c->port = pick_port();
  snprintf(port, sizeof(port), "%d", c->port);
  snprintf(c->out_path, sizeof(c->out_path), "/tmp/eddy-cl-%d-%u.out",
           (int)getpid(), seq);
  snprintf(c->log_path, sizeof(c->log_path), "/tmp/eddy-cl-%d-%u.log",
           (int)getpid(), seq++);
  const char *argv[24] = {path, port};
  int n = 2;
  for (; extra && *extra && n < 23; extra++) argv[n++] = *extra;
  argv[n] = NULL;
  c->pid = fork();
  cr_assert(c->pid >= 0);
  if (c->pid == 0) {
    int out = open(c->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(c->log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, 1);
    dup2(err, 2);
    execv(path, (char *const *)argv);
    _exit(127);
  }
  running = c->pid;
}

static void build_path(char *out, size_t max, const char *rel) {
  const char *dir = getenv("EDDY_EXAMPLES");
  cr_assert(dir, "EDDY_EXAMPLES is not set");
  snprintf(out, max, "%s/%s", dir, rel);
}

void cl_start_app(cl_t *c, const char *const *extra) {
  static char path[512];
  build_path(path, sizeof(path), "../tests/cluster-app");
  cl_start_path(c, path, extra);
}

void cl_start_example(cl_t *c, const char *name, const char *const *extra) {
  static char path[512];
  build_path(path, sizeof(path), name);
  cl_start_path(c, path, extra);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return strdup("");
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  size_t n;
  while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len < 2) buf = realloc(buf, cap *= 2);
  }
  buf[len] = '\0';
  fclose(f);
  return buf;
}

/* Calls fn for each line starting with prefix; stops when fn returns 1. */
static int each_line(const cl_t *c, const char *prefix, int k) {
  char *all = slurp(c->out_path), *save = NULL;
  int count = 0, pid = -1;
  size_t pl = strlen(prefix);
  for (char *l = strtok_r(all, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
    if (strncmp(l, prefix, pl) != 0 || l[pl] != ' ') continue;
    if (count++ == k) sscanf(l + pl, " %*u %d", &pid);
  }
  free(all);
  return k < 0 ? count : pid;
}

int cl_count(const cl_t *c, const char *prefix) {
  return each_line(c, prefix, -1);
}

int cl_event_pid(const cl_t *c, const char *prefix, int k) {
  return each_line(c, prefix, k);
}

long cl_wait(const cl_t *c, const char *prefix, int n, long timeout_ms) {
  long t0 = e2e_now_ms();
  while (e2e_now_ms() - t0 <= timeout_ms) {
    if (cl_count(c, prefix) >= n) return e2e_now_ms() - t0;
    usleep(5000);
  }
  return -1;
}

int cl_log_has_now(const cl_t *c, const char *needle) {
  char *all = slurp(c->log_path);
  int found = strstr(all, needle) != NULL;
  free(all);
  return found;
}

int cl_log_has(const cl_t *c, const char *needle) {
  long t0 = e2e_now_ms();
  for (;;) { /* the log is written by a thread: give it 3 s */
    char *all = slurp(c->log_path);
    int found = strstr(all, needle) != NULL;
    free(all);
    if (found || e2e_now_ms() - t0 > 3000) return found;
    usleep(10000);
  }
}

static int get_within(int port, const char *path, int *pid, long timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port)};
  struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  char req[256], buf[1024];
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
    close(fd);
    return -1;
  }
  int n = snprintf(req, sizeof(req),
                   "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                   path);
  int eof, status = -1;
  if (send(fd, req, (size_t)n, MSG_NOSIGNAL) == n) {
    size_t got = e2e_recv_all(fd, buf, sizeof(buf), &eof);
    char *body = strstr(buf, "\r\n\r\n");
    if (got > 12 && eof && body && sscanf(buf, "HTTP/1.1 %d", &status) == 1) {
      if (pid) sscanf(body + 4, "%*u %d", pid);
    } else {
      status = got > 0 ? -2 : -1; /* -2: an answer cut short */
    }
  }
  close(fd);
  return status;
}

int cl_get(int port, const char *path, int *pid) {
  return get_within(port, path, pid, 2000);
}

static void *bg_get(void *arg) {
  cl_bg_get_t *g = arg;
  int st = get_within(g->port, g->path, NULL, g->timeout_ms);
  atomic_store(&g->end_ms, e2e_now_ms());
  atomic_store(&g->status, st ? st : -1);
  return NULL;
}

void cl_bg_get_start(cl_bg_get_t *g, int port, const char *path,
                     long timeout_ms) {
  g->port = port;
  snprintf(g->path, sizeof(g->path), "%s", path);
  g->timeout_ms = timeout_ms;
  atomic_store(&g->status, 0);
  atomic_store(&g->end_ms, 0);
  pthread_create(&g->thread, NULL, bg_get, g);
}

int cl_bg_get_join(cl_bg_get_t *g) {
  pthread_join(g->thread, NULL);
  return atomic_load(&g->status);
}

void cl_forget(cl_t *c) {
  running = 0;
  unlink(c->out_path);
  unlink(c->log_path);
}

int cl_stop(cl_t *c, int sig) {
  int status = 0;
  kill(c->pid, sig);
  cr_assert_eq(waitpid(c->pid, &status, 0), c->pid);
  running = 0;
  unlink(c->out_path);
  unlink(c->log_path);
  return status;
}

static void note_pid(cl_load_t *l, int pid) {
  int n = atomic_load(&l->npids);
  for (int i = 0; i < n; i++)
    if (l->pids[i] == pid) return;
  if (n < 64) {
    l->pids[n] = pid;
    atomic_store(&l->npids, n + 1);
  }
}

static void *load(void *arg) {
  cl_load_t *l = arg;
  long t0 = e2e_now_ms();
  while (!atomic_load(&l->stop) && e2e_now_ms() - t0 < l->max_ms) {
    int pid = 0;
    int st = cl_get(l->port, "/", &pid);
    if (st == 200) {
      atomic_fetch_add(&l->ok, 1);
      note_pid(l, pid);
    } else {
      atomic_fetch_add(&l->failed, 1);
      if (st == -2) atomic_fetch_add(&l->partial, 1);
    }
  }
  return NULL;
}

void cl_load_start(cl_load_t *l, int port, long max_ms) {
  memset(l, 0, sizeof(*l));
  l->port = port;
  l->max_ms = max_ms;
  cr_assert_eq(pthread_create(&l->thread, NULL, load, l), 0);
}

void cl_load_stop(cl_load_t *l) {
  atomic_store(&l->stop, 1);
  pthread_join(l->thread, NULL);
}

int cl_load_saw(const cl_load_t *l, int pid) {
  int n = atomic_load(&l->npids);
  for (int i = 0; i < n; i++)
    if (l->pids[i] == pid) return 1;
  return 0;
}

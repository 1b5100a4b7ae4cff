#include "support/service_helpers.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#ifndef EDDY_TSAN_CRITERION_H /* the TSan stand-in has no report hooks */
#include <criterion/hooks.h>
#endif
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PGBIN "/usr/lib/postgresql/15/bin"
#define NOBODY 65534

#ifndef EDDY_TSAN_CRITERION_H
/* The runner's pid, set before any test runs: names this run's dir. */
ReportHook(PRE_ALL)(struct criterion_test_set *set) {
  char pid[32];
  snprintf(pid, sizeof(pid), "%d", (int)getpid());
  setenv("EDDY_SVC_RUN", pid, 1);
}
#endif

static const char *run_dir(void) {
  static char dir[64];
  const char *run = getenv("EDDY_SVC_RUN");
  snprintf(dir, sizeof(dir), "/tmp/eddy-svc-%s", run ? run : "solo");
  if (mkdir(dir, 0755) == 0) cr_assert_eq(chown(dir, NOBODY, NOBODY), 0);
  return dir;
}

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

int svc_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof(a);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  getsockname(fd, (struct sockaddr *)&a, &len);
  close(fd);
  return ntohs(a.sin_port);
}

/* Runs argv as nobody, output to `log`; returns the pid. */
static pid_t spawn_nobody(const char *const argv[], const char *log) {
  cr_assert_eq(access(argv[0], X_OK), 0, "%s is missing: run scripts/deps.sh",
               argv[0]);
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    setsid();
    /* the test's own descriptors (Criterion's pipes among them) must not
     * live on in a server: the runner waits for them to close */
    close_range(3, ~0u, 0);
    if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY)) _exit(126);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  return pid;
}

static int run_nobody(const char *const argv[], const char *log) {
  int status = 0;
  pid_t pid = spawn_nobody(argv, log);
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void remember_pid(pid_t pid) {
  char path[128];
  snprintf(path, sizeof(path), "%s/pids", run_dir());
  FILE *f = fopen(path, "a");
  if (!f) return;
  fprintf(f, "%d\n", (int)pid);
  fclose(f);
}

static void ensure_template(const char *dir) {
  char tpl[160], ver[200], log[160];
  snprintf(tpl, sizeof(tpl), "%s/template", dir);
  snprintf(ver, sizeof(ver), "%s/PG_VERSION", tpl);
  if (access(ver, F_OK) == 0) return;
  snprintf(log, sizeof(log), "%s/initdb.log", dir);
  const char *argv[] = {PGBIN "/initdb", "-D", tpl, "-U", "postgres",
                        "-A", "trust", "-E", "UTF8", "--locale=C",
                        "--no-sync", NULL};
  cr_assert_eq(run_nobody(argv, log), 0, "initdb failed: see %s", log);
}

/* Waits until postmaster.pid says "ready". */
static int wait_ready(const char *data, long ms) {
  char path[200], buf[1024];
  snprintf(path, sizeof(path), "%s/postmaster.pid", data);
  for (long t = 0; t < ms; t += 20) {
    FILE *f = fopen(path, "r");
    if (f) {
      size_t n = fread(buf, 1, sizeof(buf) - 1, f);
      fclose(f);
      buf[n] = '\0';
      if (strstr(buf, "ready")) return 0;
    }
    sleep_ms(20);
  }
  return -1;
}

static void fill_urls(svc_t *s) {
  snprintf(s->url, sizeof(s->url),
           "postgres://postgres@127.0.0.1:%d/postgres", s->port);
  char enc[200] = "";
  for (const char *p = s->dir; *p; p++) /* '/' as %2F in the host part */
    snprintf(enc + strlen(enc), sizeof(enc) - strlen(enc),
             *p == '/' ? "%%2F" : "%c", *p);
  snprintf(s->sock_url, sizeof(s->sock_url),
           "postgres://postgres@%s:%d/postgres", enc, s->port);
}

static void start_postgres(svc_t *s) {
  char port[16], log[200];
  snprintf(port, sizeof(port), "%d", s->port);
  snprintf(log, sizeof(log), "%s.log", s->dir);
  const char *argv[] = {PGBIN "/postgres", "-D", s->dir, "-k", s->dir,
                        "-p", port, "-c", "listen_addresses=127.0.0.1",
                        "-c", "fsync=off", "-c", "max_connections=60",
                        "-c", "shared_buffers=16MB", NULL};
  s->pid = spawn_nobody(argv, log);
  remember_pid(s->pid);
  cr_assert_eq(wait_ready(s->dir, 20000), 0, "postgres did not start: %s", log);
}

/* A fresh data directory copied from the template, a free port. */
static void new_server(svc_t *s, const char *dir, const char *name) {
  char tpl[160], log[160];
  snprintf(tpl, sizeof(tpl), "%s/template", dir);
  snprintf(s->dir, sizeof(s->dir), "%s/%s", dir, name);
  snprintf(log, sizeof(log), "%s/cp.log", dir);
  const char *cp[] = {"/bin/cp", "-a", tpl, s->dir, NULL};
  cr_assert_eq(run_nobody(cp, log), 0);
  s->port = svc_free_port();
  fill_urls(s);
  start_postgres(s);
}

const svc_t *pg_shared(void) {
  static svc_t shared;
  if (shared.pid) return &shared;
  const char *dir = run_dir();
  char lock[160], info[160];
  snprintf(lock, sizeof(lock), "%s/lock", dir);
  snprintf(info, sizeof(info), "%s/shared.info", dir);
  int fd = open(lock, O_RDWR | O_CREAT, 0644);
  cr_assert_geq(fd, 0);
  flock(fd, LOCK_EX);
  FILE *f = fopen(info, "r");
  if (f) { /* another test of this run started it */
    int pid = 0;
    cr_assert_eq(fscanf(f, "%d %d %127s", &pid, &shared.port, shared.dir), 3);
    shared.pid = pid;
    fclose(f);
    fill_urls(&shared);
  } else {
    ensure_template(dir);
    new_server(&shared, dir, "shared");
    f = fopen(info, "w");
    fprintf(f, "%d %d %s\n", (int)shared.pid, shared.port, shared.dir);
    fclose(f);
  }
  close(fd);
  return &shared;
}

void pg_start_private(svc_t *s) {
  const char *dir = run_dir();
  char lock[160], name[64];
  snprintf(lock, sizeof(lock), "%s/lock", dir);
  int fd = open(lock, O_RDWR | O_CREAT, 0644);
  flock(fd, LOCK_EX);
  ensure_template(dir);
  close(fd);
  snprintf(name, sizeof(name), "private-%d-%d", (int)getpid(), rand() % 100000);
  new_server(s, dir, name);
}

static void stop_pid(pid_t pid) {
  kill(pid, SIGINT); /* fast shutdown: clients are cut off */
  for (int i = 0; i < 500; i++) {
    if (waitpid(pid, NULL, WNOHANG) == pid || kill(pid, 0) != 0) return;
    sleep_ms(10);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

void pg_stop(svc_t *s) {
  stop_pid(s->pid);
  s->pid = 0;
}

void pg_restart(svc_t *s) { start_postgres(s); }

void pg_destroy(svc_t *s) {
  if (s->pid) pg_stop(s);
  char cmd[200];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.log'", s->dir, s->dir);
  cr_assert_eq(system(cmd), 0);
}

#ifndef EDDY_TSAN_CRITERION_H
/* At the end of the run: stop what the tests left running, clean up. */
ReportHook(POST_ALL)(struct criterion_global_stats *stats) {
  char path[160];
  snprintf(path, sizeof(path), "%s/pids", run_dir());
  FILE *f = fopen(path, "r");
  int pid;
  while (f && fscanf(f, "%d", &pid) == 1)
    if (kill(pid, 0) == 0) stop_pid(pid);
  if (f) fclose(f);
  char cmd[160];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", run_dir());
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", run_dir());
}
#endif

static int can_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
  close(fd);
  return ok;
}

void mc_start(svc_t *s) {
  s->port = svc_free_port();
  mc_restart(s);
}

void mc_restart(svc_t *s) {
  char port[16], log[300];
  snprintf(port, sizeof(port), "%d", s->port);
  snprintf(s->dir, sizeof(s->dir), "%s", run_dir());
  snprintf(log, sizeof(log), "%s/memcached-%d.log", s->dir, s->port);
  snprintf(s->url, sizeof(s->url), "127.0.0.1:%d", s->port);
  const char *argv[] = {"/usr/bin/memcached", "-l", "127.0.0.1", "-p", port,
                        "-U", "0", "-m", "16", "-t", "1", NULL};
  s->pid = spawn_nobody(argv, log);
  remember_pid(s->pid);
  for (int i = 0; i < 500 && !can_connect(s->port); i++) sleep_ms(10);
  cr_assert(can_connect(s->port), "memcached did not start: %s", log);
}

void mc_stop(svc_t *s) {
  kill(s->pid, SIGTERM);
  waitpid(s->pid, NULL, 0);
  s->pid = 0;
}

/*
 * Starting a worker: posix_spawn (vfork-fast, and safe in a process with
 * threads, such as the log writer) of the program's own path with the same
 * arguments, its channel, listening socket and stall note kept open
 * across exec, signals unblocked (the primary blocks the ones its
 * signalfd reads), and CLUSTER_ENV telling it who it is.
 */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster/internal.h"
#include "eddy/log.h"

extern char **environ;

int eddy__cluster_exe_path(char *out, size_t max) {
  /* Read once, at start: exec'ing /proc/self/exe itself would run the old
   * binary even after a new one is installed at the same path. */
  ssize_t n = readlink("/proc/self/exe", out, max - 1);
  if (n < 0) return -errno;
  if ((size_t)n >= max - 1) return -ENAMETOOLONG;
  out[n] = '\0';
  return 0;
}

/*
 * The arguments the program was started with, from /proc/self/cmdline:
 * the program may have taken its own flags out of argv before calling
 * eddy_cluster_main, but its workers must see what it saw (as Node's
 * workers get process.argv). NULL if it cannot be read; free the result.
 */
char **eddy__cluster_cmdline(void) {
  char buf[65536];
  int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  ssize_t n = read(fd, buf, sizeof(buf));
  close(fd);
  if (n <= 0 || n == (ssize_t)sizeof(buf)) return NULL;
  size_t count = 0;
  for (ssize_t i = 0; i < n; i++) count += buf[i] == '\0';
  char **argv = malloc((count + 1) * sizeof(char *) + (size_t)n);
  if (!argv) return NULL;
  char *strings = (char *)(argv + count + 1);
  memcpy(strings, buf, (size_t)n);
  for (size_t i = 0, off = 0; i < count; i++) {
    argv[i] = strings + off;
    off += strlen(strings + off) + 1;
  }
  argv[count] = NULL;
  return argv;
}

/* environ without CLUSTER_ENV, plus `var`; free the array (not strings). */
static char **worker_env(char *var) {
  size_t n = 0, k = 0;
  while (environ[n]) n++;
  char **env = malloc((n + 2) * sizeof(*env));
  if (!env) return NULL;
  for (size_t i = 0; i < n; i++)
    if (strncmp(environ[i], CLUSTER_ENV "=", sizeof(CLUSTER_ENV)) != 0)
      env[k++] = environ[i];
  env[k++] = var;
  env[k] = NULL;
  return env;
}

static int run(eddy_cluster_t *c, const eddy__handoff_t *h, pid_t *pid) {
  char var[256] = CLUSTER_ENV "=";
  size_t pre = strlen(var);
  int r = eddy__cluster_handoff_format(h, var + pre, sizeof(var) - pre);
  if (r < 0) return r;
  char **env = worker_env(var);
  if (!env) return -ENOMEM;
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  sigset_t none;
  sigemptyset(&none);
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&at);
  /* dup2 of an fd onto itself clears its close-on-exec flag (glibc). */
  posix_spawn_file_actions_adddup2(&fa, h->ipc_fd, h->ipc_fd);
  posix_spawn_file_actions_adddup2(&fa, h->note_fd, h->note_fd);
  if (h->listen_fd >= 0)
    posix_spawn_file_actions_adddup2(&fa, h->listen_fd, h->listen_fd);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
  r = -posix_spawn(pid, c->exe, &fa, &at, c->argv, env);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  free(env);
  return r;
}

/* Makes the record, its channel and note, and starts the process. */
static int start(eddy_cluster_t *c, worker_t *w) {
  int sv[2], note_fd = -1;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return -errno;
  w->note = eddy__cluster_note_create(&note_fd);
  if (!w->note) {
    close(sv[0]);
    close(sv[1]);
    return -ENOMEM;
  }
  eddy__handoff_t h = {.id = w->id,
                       .slot = w->slot,
                       .ipc_fd = sv[1],
                       .listen_fd = eddy__cluster_socket_for(c, w->slot),
                       .note_fd = note_fd,
                       .opts = c->opts};
  int r = run(c, &h, &w->pid);
  close(sv[1]);
  close(note_fd);
  if (r < 0) {
    close(sv[0]);
    return r;
  }
  eddy__cluster_peer_start(w, sv[0]);
  return 0;
}

worker_t *eddy__cluster_spawn(eddy_cluster_t *c, unsigned slot) {
  worker_t *w = calloc(1, sizeof(*w));
  if (!w) return NULL;
  w->c = c;
  w->id = ++c->next_id;
  w->slot = slot;
  w->kill_cause = -1;
  w->started_ms = w->last_beat_ms = eddy_loop_now(&c->loop);
  int r = start(c, w);
  if (r < 0) {
    eddy_log(EDDY_LOG_ERROR, "cluster: cannot start worker %u: %s", w->id,
             eddy_strerror(r));
    eddy__cluster_note_unmap(w->note);
    free(w);
    return NULL;
  }
  c->forks++;
  eddy_queue_push(&c->workers, &w->node);
  eddy__cluster_peer_event(w, EDDY_CLUSTER_FORK);
  return w;
}

/* In-process HTTP server and example starter: see httpsrv_helpers.h. */
#include "support/httpsrv_helpers.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/e2e_helpers.h"
#include "support/loop_helpers.h"

static void on_stop(eddy_async_t *a) {
  tsrv_t *t = a->data;
  eddy_http_server_close(&t->server, 0, NULL);
  eddy_close((eddy_handle_t *)a, NULL);
}

void tsrv_init(tsrv_t *t, const eddy_http_server_opts_t *opts,
               eddy_http_handler_cb handler) {
  cr_assert_eq(eddy_loop_init(&t->loop), 0);
  cr_assert_eq(eddy_http_server_init(&t->loop, &t->server, opts, handler), 0);
  cr_assert_eq(eddy_async_init(&t->loop, &t->stop, on_stop), 0);
  t->stop.data = t;
}

static void *run(void *arg) {
  tsrv_t *t = arg;
  eddy_run(&t->loop, EDDY_RUN_DEFAULT);
  return NULL;
}

void tsrv_run(tsrv_t *t) {
  cr_assert_eq(eddy_http_server_listen(&t->server, "127.0.0.1", 0), 0);
  t->port = eddy_http_server_port(&t->server);
  cr_assert(t->port > 0);
  cr_assert_eq(pthread_create(&t->thread, NULL, run, t), 0);
}

void tsrv_stop(tsrv_t *t) {
  eddy_async_send(&t->stop);
  pthread_join(t->thread, NULL);
  close_loop(&t->loop);
}

size_t tsrv_exchange(int port, const char *req, size_t n, char *out,
                     size_t max) {
  e2e_server_t s = {.pid = 0, .port = port};
  int eof, fd = e2e_connect(&s);
  e2e_send(fd, req, n);
  size_t got = e2e_recv_all(fd, out, max, &eof);
  close(fd);
  return got;
}

/* ------------------------------------------------------------ examples */

static int ex_pid;

void ex_kill_leftover(void) {
  if (ex_pid > 0) {
    kill(ex_pid, SIGKILL);
    waitpid(ex_pid, NULL, 0);
  }
  ex_pid = 0;
}

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

static int accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
  close(fd);
  return ok;
}

int ex_start(const char *name, const char *arg, int *port) {
  const char *dir = getenv("EDDY_EXAMPLES");
  cr_assert(dir, "EDDY_EXAMPLES is not set");
  char bin[512], ps[16];
  snprintf(bin, sizeof(bin), "%s/%s", dir, name);
  *port = free_port();
  snprintf(ps, sizeof(ps), "%d", *port);
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execl(bin, bin, arg, ps, (char *)NULL);
    _exit(127);
  }
  ex_pid = pid;
  for (int i = 0; i < 500; i++, usleep(20000))
    if (accepts(*port)) return pid;
  ex_kill_leftover();
  cr_assert_fail("%s did not start on port %d", bin, *port);
  return -1;
}

void ex_stop(int pid) {
  int status = 0;
  kill(pid, SIGTERM);
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  ex_pid = 0;
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
            "example exit status %d", status);
}

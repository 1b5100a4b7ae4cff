/* Helpers for the HTTP client's tests: see client_helpers.h. */
#include "support/client_helpers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/loop_helpers.h"

static void keep(rec_t *r, const char *p, size_t n) {
  r->body = realloc(r->body, r->body_len + n + 1);
  memcpy(r->body + r->body_len, p, n);
  r->body_len += n;
  r->body[r->body_len] = '\0';
}

static void on_head(eddy_client_req_t *req, const eddy_client_res_t *res) {
  rec_t *r = req->data;
  if (r->done) r->after_end++;
  r->heads++;
  r->status = res->status;
}

static void on_data(eddy_client_req_t *req, const char *p, size_t n) {
  rec_t *r = req->data;
  if (r->done) r->after_end++;
  keep(r, p, n);
}

static void on_end(eddy_client_req_t *req, const eddy_client_res_t *res) {
  rec_t *r = req->data;
  if (r->done) r->after_end++;
  r->ends++;
  r->done = 1;
  r->status = res->status;
  r->redirects = res->redirects;
  if (res->body) keep(r, res->body, res->body_len);
}

static void on_error(eddy_client_req_t *req, int status) {
  rec_t *r = req->data;
  if (r->done) r->after_end++;
  r->errors++;
  r->error = status;
  r->done = 1;
}

void rec_opts(eddy_client_req_opts_t *o, rec_t *rec, const char *url) {
  memset(rec, 0, sizeof *rec);
  memset(o, 0, sizeof *o);
  o->url = url;
  o->on_head = on_head;
  o->on_data = on_data;
  o->on_end = on_end;
  o->on_error = on_error;
  o->data = rec;
  o->body_length = -1;
}

void rec_free(rec_t *rec) {
  free(rec->body);
  rec->body = NULL;
}

void run_recs(eddy_loop_t *loop, rec_t *recs, int n, unsigned ms) {
  uint64_t end = now_ms() + ms;
  for (;;) {
    int all = 1;
    for (int i = 0; i < n; i++) all &= recs[i].done;
    if (all || now_ms() > end) break;
    eddy_run(loop, EDDY_RUN_ONCE);
  }
  for (int i = 0; i < n; i++) cr_assert(recs[i].done, "request %d ended", i);
}

static int closed_flag;
static void on_closed(eddy_client_t *c) { closed_flag = 1; }

void close_client(eddy_loop_t *loop, eddy_client_t *client) {
  closed_flag = 0;
  cr_assert_eq(eddy_client_close(client, on_closed), 0);
  cr_assert_eq(closed_flag, 0, "the close callback never runs inside close");
  uint64_t end = now_ms() + 5000;
  while (!closed_flag && now_ms() < end) eddy_run(loop, EDDY_RUN_ONCE);
  cr_assert(closed_flag, "the client closed");
}

static int try_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int r = connect(fd, (struct sockaddr *)&a, sizeof a);
  close(fd);
  return r;
}

void wait_port(int port) {
  for (int i = 0; i < 500; i++) {
    if (try_connect(port) == 0) return;
    usleep(10000);
  }
  cr_assert_fail("nothing listens on port %d", port);
}

int any_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof a;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, (struct sockaddr *)&a, sizeof a);
  getsockname(fd, (struct sockaddr *)&a, &len);
  close(fd);
  return ntohs(a.sin_port);
}

pid_t spawn(char *const argv[], const char *log) {
  pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execvp(argv[0], argv);
    _exit(127);
  }
  return pid;
}

void stop_pid(pid_t pid) {
  int st;
  kill(pid, SIGTERM);
  for (int i = 0; i < 300; i++) {
    if (waitpid(pid, &st, WNOHANG) == pid) return;
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &st, 0);
}

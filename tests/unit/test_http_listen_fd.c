/*
 * eddy_http_server_listen_fd: two servers on two loops share one bound
 * socket (as cluster workers do), with EPOLLEXCLUSIVE, and both answer.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <unistd.h>

#include "support/httpsrv_helpers.h"
#include "support/loop_helpers.h"

static void answer_a(eddy_http_server_t *s, eddy_http_request_t *req,
                     eddy_http_res_t *res) {
  eddy_http_res_end(res, "A", 1);
}

static void answer_b(eddy_http_server_t *s, eddy_http_request_t *req,
                     eddy_http_res_t *res) {
  eddy_http_res_end(res, "B", 1);
}

static int bound_socket(int *port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof(a);
  cr_assert(fd >= 0);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  *port = ntohs(a.sin_port);
  return fd;
}

static void *run(void *arg) {
  tsrv_t *t = arg;
  eddy_run(&t->loop, EDDY_RUN_DEFAULT);
  return NULL;
}

/* 1 if the loop's epoll has some fd registered with EPOLLEXCLUSIVE. */
static int epoll_has_exclusive(int epfd) {
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
  FILE *f = fopen(path, "r");
  int found = 0;
  cr_assert(f);
  while (fgets(line, sizeof(line), f)) {
    unsigned long ev;
    char *p = strstr(line, "events:");
    if (p && sscanf(p, "events: %lx", &ev) == 1 && (ev & 0x10000000ul))
      found = 1;
  }
  fclose(f);
  return found;
}

Test(http_listen_fd, two_loops_share_one_socket_exclusively) {
  tsrv_t a, b;
  int port, fd = bound_socket(&port);
  tsrv_init(&a, NULL, answer_a);
  tsrv_init(&b, NULL, answer_b);
  cr_assert_eq(eddy_http_server_listen_fd(&a.server, fd,
                                          EDDY_HTTP_LISTEN_EXCLUSIVE), 0);
  cr_assert_eq(eddy_http_server_listen_fd(&b.server, dup(fd),
                                          EDDY_HTTP_LISTEN_EXCLUSIVE), 0);
  cr_assert_eq(eddy_http_server_port(&b.server), port);
  /* The registration is applied just before the first epoll_wait. */
  eddy_run(&a.loop, EDDY_RUN_NOWAIT);
  cr_assert(epoll_has_exclusive(a.loop._epfd));
  pthread_create(&a.thread, NULL, run, &a);
  pthread_create(&b.thread, NULL, run, &b);
  int answered = 0;
  for (int i = 0; i < 20; i++) {
    char out[512];
    const char *req = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    tsrv_exchange(port, req, strlen(req), out, sizeof(out));
    cr_assert(strstr(out, "HTTP/1.1 200"), "%s", out);
    answered++;
  }
  cr_assert_eq(answered, 20);
  tsrv_stop(&a);
  tsrv_stop(&b);
}

Test(http_listen_fd, bad_arguments_leave_the_fd_to_the_caller) {
  tsrv_t a;
  int port, fd = bound_socket(&port);
  tsrv_init(&a, NULL, answer_a);
  cr_assert_eq(eddy_http_server_listen_fd(&a.server, -1, 0), -EINVAL);
  cr_assert_eq(eddy_http_server_listen_fd(&a.server, fd, 8), -EINVAL);
  cr_assert_eq(eddy_http_server_listen_fd(&a.server, fd, 0), 0);
  cr_assert_eq(eddy_http_server_listen_fd(&a.server, fd, 0), -EISCONN);
  eddy_http_server_close(&a.server, 0, NULL);
  eddy_close((eddy_handle_t *)&a.stop, NULL);
  eddy_run(&a.loop, EDDY_RUN_DEFAULT);
  close_loop(&a.loop);
  cr_assert_eq(fcntl(fd, F_GETFD), -1, "the server closed its fd");
}

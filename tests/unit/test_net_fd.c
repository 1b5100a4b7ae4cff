/* Descriptor passing over Unix streams (SCM_RIGHTS), both directions. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "eddy/net.h"
#include "support/loop_helpers.h"
#include "support/net_helpers.h"

static eddy_loop_t loop;
static int got_fd[2] = {-1, -1}, nfds[2];

static void take_fd(eddy_unix_t *u, int fd) {
  int side = (int)(intptr_t)u->data;
  got_fd[side] = fd;
  nfds[side]++;
}

static int sent;
static void on_sent(eddy_write_t *w, int status) {
  cr_assert_eq(status, 0, "%s", eddy_strerror(status));
  sent++;
}

/* Sends the write end of a new pipe from `from`; checks `to` can use it. */
static void pass_pipe(eddy_unix_t *from, collector_t *to, int side) {
  int p[2];
  char buf[4];
  eddy_write_t w[3];
  cr_assert_eq(pipe(p), 0);
  eddy_buf_t a = eddy_buf("A", 1), b = eddy_buf("B", 1), c = eddy_buf("C", 1);
  sent = 0;
  to->len = 0;
  /* Plain bytes before and after: the fd travels with "B" only. */
  cr_assert_eq(eddy_write(&w[0], EDDY_STREAM(from), &a, 1, on_sent), 0);
  cr_assert_eq(eddy_write_fd(&w[1], EDDY_STREAM(from), &b, 1, p[1], on_sent),
               0);
  cr_assert_eq(eddy_write(&w[2], EDDY_STREAM(from), &c, 1, on_sent), 0);
  while (sent < 3 || to->len < 3) eddy_run(&loop, EDDY_RUN_ONCE);
  cr_assert_eq(memcmp(to->data, "ABC", 3), 0);
  cr_assert_eq(nfds[side], 1);
  int fd = got_fd[side];
  cr_assert_geq(fd, 0);
  cr_assert_neq(fd, p[1], "the receiver gets its own descriptor");
  cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC, "received fds are CLOEXEC");
  close(p[1]); /* the sender may close its copy after the write callback */
  cr_assert_eq(write(fd, "ping", 4), 4);
  cr_assert_eq(read_full(p[0], buf, 4), 0);
  cr_assert_eq(memcmp(buf, "ping", 4), 0);
  close(fd);
  close(p[0]);
}

Test(net, fd_passing_both_ways) {
  collector_t a = {0}, b = {0};
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_unix_init(&loop, &a.h.unx);
  eddy_unix_init(&loop, &b.h.unx);
  a.h.unx.data = (void *)0;
  b.h.unx.data = (void *)1;
  cr_assert_eq(eddy_unix_pair(&a.h.unx, &b.h.unx), 0);
  cr_assert_eq(eddy_unix_recv_fds(&a.h.unx, take_fd), 0);
  cr_assert_eq(eddy_unix_recv_fds(&b.h.unx, take_fd), 0);
  collector_start(&a);
  collector_start(&b);
  pass_pipe(&a.h.unx, &b, 1);
  pass_pipe(&b.h.unx, &a, 0);
  collector_free(&a);
  collector_free(&b);
  close_loop(&loop);
}

Test(net, fd_without_bytes_is_rejected) {
  eddy_unix_t a, b;
  eddy_write_t w;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_unix_init(&loop, &a);
  eddy_unix_init(&loop, &b);
  cr_assert_eq(eddy_unix_pair(&a, &b), 0);
  eddy_buf_t none = eddy_buf("", 0), one = eddy_buf("x", 1);
  sent = 0;
  cr_assert_eq(eddy_write_fd(&w, EDDY_STREAM(&a), &none, 1, 0, on_sent),
               -EINVAL);
  cr_assert_eq(eddy_write_fd(&w, EDDY_STREAM(&a), &one, 1, -1, on_sent),
               -EINVAL);
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(sent, 0);
  close_loop(&loop);
}

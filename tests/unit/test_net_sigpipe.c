/*
 * SIGPIPE: a write to a pipe or socket whose reader is gone fails with
 * -EPIPE instead of killing the process, for plain writes to pipes and for
 * sendfile, which cannot be told MSG_NOSIGNAL. Each test starts with
 * SIGPIPE at its default action, as a fresh program has it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eddy/net.h"
#include "support/loop_helpers.h"

TestSuite(net_sigpipe, .timeout = 20);

static eddy_loop_t loop;
static int status = 1;

static void on_written(eddy_write_t *w, int st) { status = st; }

static void default_sigpipe(void) {
  cr_assert_neq(signal(SIGPIPE, SIG_DFL), SIG_ERR);
}

/* Writes through an eddy stream opened on `fd`, whose reader is closed. */
static void write_to_gone_reader(int fd, int use_file) {
  eddy_unix_t u;
  eddy_write_t w;
  eddy_unix_init(&loop, &u);
  cr_assert_eq(eddy_stream_open(EDDY_STREAM(&u), fd), 0);
  if (use_file) {
    FILE *f = tmpfile();
    char block[4096] = {0};
    for (int i = 0; i < 64; i++) fwrite(block, 1, sizeof(block), f);
    fflush(f);
    cr_assert_eq(eddy_write_file(&w, EDDY_STREAM(&u), fileno(f), 0,
                                 64 * sizeof(block), on_written),
                 0);
    eddy_run(&loop, EDDY_RUN_DEFAULT);
    fclose(f);
  } else {
    eddy_buf_t b = eddy_buf("hello", 5);
    cr_assert_eq(eddy_write(&w, EDDY_STREAM(&u), &b, 1, on_written), 0);
    eddy_run(&loop, EDDY_RUN_DEFAULT);
  }
  cr_assert_eq(status, -EPIPE, "status %d (%s)", status, eddy_strerror(status));
  close_loop(&loop);
}

Test(net_sigpipe, pipe_write_to_gone_reader_is_epipe) {
  int p[2];
  default_sigpipe();
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(pipe(p), 0);
  close(p[0]);
  write_to_gone_reader(p[1], 0);
}

Test(net_sigpipe, sendfile_to_gone_peer_is_epipe) {
  int sv[2];
  default_sigpipe();
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  close(sv[1]);
  write_to_gone_reader(sv[0], 1);
}

static void my_handler(int sig) { (void)sig; }

Test(net_sigpipe, a_handler_the_program_set_is_kept) {
  struct sigaction now;
  cr_assert_neq(signal(SIGPIPE, my_handler), SIG_ERR);
  cr_assert_eq(eddy_loop_init(&loop), 0);
  sigaction(SIGPIPE, NULL, &now);
  cr_assert_eq(now.sa_handler, my_handler);
  close_loop(&loop);
}

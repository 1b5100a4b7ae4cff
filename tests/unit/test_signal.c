/* Signals delivered through signalfd to callbacks on the loop. */
#include <signal.h>
#include <unistd.h>

#include "support/loop_helpers.h"

static eddy_loop_t loop;
static int got[3];

static void on_sig(eddy_signal_t *s, int signum) {
  got[(int)(intptr_t)s->data] = signum;
  eddy_signal_stop(s);
}

Test(signal, each_watcher_gets_its_signal) {
  eddy_signal_t a, b, c;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_signal_init(&loop, &a);
  eddy_signal_init(&loop, &b);
  eddy_signal_init(&loop, &c);
  a.data = (void *)0;
  b.data = (void *)1;
  c.data = (void *)2;
  cr_assert_eq(eddy_signal_start(&a, on_sig, SIGUSR1), 0);
  cr_assert_eq(eddy_signal_start(&b, on_sig, SIGUSR1), 0);
  cr_assert_eq(eddy_signal_start(&c, on_sig, SIGHUP), 0);
  kill(getpid(), SIGUSR1);
  kill(getpid(), SIGHUP);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(got[0], SIGUSR1);
  cr_assert_eq(got[1], SIGUSR1);
  cr_assert_eq(got[2], SIGHUP);
  close_loop(&loop);
}

static void stop_loop(eddy_signal_t *s, int signum) {
  got[0] = signum;
  eddy_loop_stop(s->loop);
}

Test(signal, sigterm_and_sigint_reach_the_loop_not_the_default_action) {
  eddy_signal_t term, intr;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_signal_init(&loop, &term);
  eddy_signal_init(&loop, &intr);
  eddy_signal_start(&term, stop_loop, SIGTERM);
  eddy_signal_start(&intr, stop_loop, SIGINT);
  got[0] = 0;
  kill(getpid(), SIGTERM);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(got[0], SIGTERM);
  kill(getpid(), SIGINT);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(got[0], SIGINT);
  close_loop(&loop);
}

Test(signal, misuse) {
  eddy_signal_t s;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_signal_init(&loop, &s);
  cr_assert_eq(eddy_signal_start(&s, on_sig, SIGKILL), -EINVAL);
  cr_assert_eq(eddy_signal_start(&s, on_sig, SIGSTOP), -EINVAL);
  cr_assert_eq(eddy_signal_start(&s, on_sig, 0), -EINVAL);
  cr_assert_eq(eddy_signal_start(&s, NULL, SIGUSR2), -EINVAL);
  close_loop(&loop);
}

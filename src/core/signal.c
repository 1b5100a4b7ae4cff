/*
 * Signals through one signalfd per loop. The loop's mask is the union of
 * the signals its started handles watch; delivery runs every handle of that
 * signal, on the loop, never in a signal handler.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/internal.h"

void eddy__block_all_signals(void) {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
}

static void loop_mask(eddy_loop_t *loop, sigset_t *set) {
  sigemptyset(set);
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &loop->_signals) {
    eddy_signal_t *s = EDDY_CONTAINER_OF(q, eddy_signal_t, _node);
    sigaddset(set, s->signum);
  }
}

static int watched(eddy_loop_t *loop, int signum) {
  sigset_t set;
  loop_mask(loop, &set);
  return sigismember(&set, signum);
}

static void dispatch(eddy_loop_t *loop, int signum) {
  eddy_queue_t batch;
  eddy_queue_move(&loop->_signals, &batch);
  while (!eddy_queue_empty(&batch)) {
    eddy_queue_t *q = eddy_queue_head(&batch);
    eddy_queue_remove(q);
    eddy_queue_push(&loop->_signals, q);
    eddy_signal_t *s = EDDY_CONTAINER_OF(q, eddy_signal_t, _node);
    if (s->signum != signum) continue;
    eddy__dispatch(loop, "signal");
    s->cb(s, signum);
  }
}

static void on_signalfd(eddy_io_t *io, unsigned events) {
  eddy_loop_t *loop = io->loop;
  struct signalfd_siginfo info[16];
  ssize_t n = read(loop->_signal_fd, info, sizeof(info));
  for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof(info[0]); i++)
    dispatch(loop, (int)info[i].ssi_signo);
}

static int signal_setup(eddy_loop_t *loop) {
  if (loop->_signal_io) return 0;
  sigset_t empty;
  sigemptyset(&empty);
  int err;
  int fd = signalfd(-1, &empty, SFD_NONBLOCK | SFD_CLOEXEC);
  eddy_io_t *io = eddy__internal_io_new(loop, fd, on_signalfd, &err);
  if (!io) return err;
  loop->_signal_fd = fd;
  loop->_signal_io = io;
  return 0;
}

void eddy__signal_free(eddy_loop_t *loop) {
  if (!loop->_signal_io) return;
  eddy__internal_io_free(loop->_signal_io);
  loop->_signal_io = NULL;
  loop->_signal_fd = -1;
}

static void signal_on_close(eddy_handle_t *h) {
  eddy_signal_stop((eddy_signal_t *)h);
}

int eddy_signal_init(eddy_loop_t *loop, eddy_signal_t *s) {
  eddy__handle_init(loop, (eddy_handle_t *)s, EDDY_HANDLE_SIGNAL,
                    signal_on_close);
  s->cb = NULL;
  s->signum = 0;
  eddy_queue_init(&s->_node);
  return 0;
}

int eddy_signal_start(eddy_signal_t *s, eddy_signal_cb cb, int signum) {
  if (cb == NULL || signum <= 0 || signum >= NSIG || signum == SIGKILL ||
      signum == SIGSTOP || !eddy__handle_usable((eddy_handle_t *)s))
    return -EINVAL;
  eddy_loop_t *loop = s->loop;
  int err = signal_setup(loop);
  if (err) return err;
  eddy_signal_stop(s);
  s->cb = cb;
  s->signum = signum;
  eddy_queue_push(&loop->_signals, &s->_node);
  sigset_t set;
  loop_mask(loop, &set);
  if (signalfd(loop->_signal_fd, &set, 0) < 0) {
    err = -errno;
    eddy_queue_remove(&s->_node);
    return err;
  }
  sigset_t one;
  sigemptyset(&one);
  sigaddset(&one, signum);
  pthread_sigmask(SIG_BLOCK, &one, NULL);
  eddy__handle_start((eddy_handle_t *)s);
  return 0;
}

int eddy_signal_stop(eddy_signal_t *s) {
  if (eddy_queue_empty(&s->_node)) return 0;
  eddy_loop_t *loop = s->loop;
  eddy_queue_remove(&s->_node);
  eddy__handle_stop((eddy_handle_t *)s);
  sigset_t set;
  loop_mask(loop, &set);
  signalfd(loop->_signal_fd, &set, 0);
  if (!watched(loop, s->signum)) {
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, s->signum);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
  }
  return 0;
}

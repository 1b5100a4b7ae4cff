/* io watchers: readiness, level triggering, stop, fd reuse in one batch. */
#include <fcntl.h>
#include <unistd.h>

#include "support/loop_helpers.h"

static eddy_loop_t loop;
static int calls;

static void count_cb(eddy_io_t *io, unsigned ev) { calls++; }

Test(io, level_triggered_until_drained) {
  int p[2];
  cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
  eddy_io_t io;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  calls = 0;
  eddy_io_init(&loop, &io, p[0], count_cb);
  cr_assert_eq(eddy_io_start(&io, EDDY_READABLE), 0);
  cr_assert_eq(write(p[1], "ab", 2), 2);
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(calls, 2, "unread data is reported again");
  char buf[4];
  cr_assert_eq(read(p[0], buf, sizeof(buf)), 2);
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(calls, 2);
  eddy_io_stop(&io);
  cr_assert_eq(write(p[1], "c", 1), 1);
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(calls, 2, "a stopped watcher is not called");
  close_loop(&loop);
  close(p[0]);
  close(p[1]);
}

static unsigned seen_events;
static void events_cb(eddy_io_t *io, unsigned ev) { seen_events |= ev; eddy_io_stop(io); }

Test(io, writable_and_misuse) {
  int p[2];
  cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
  eddy_io_t io, other;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  seen_events = 0;
  cr_assert_eq(eddy_io_init(&loop, &io, -1, events_cb), -EINVAL);
  cr_assert_eq(eddy_io_init(&loop, &io, p[1], NULL), -EINVAL);
  cr_assert_eq(eddy_io_init(&loop, &io, p[1], events_cb), 0);
  cr_assert_eq(eddy_io_start(&io, 8), -EINVAL);
  cr_assert_eq(eddy_io_start(&io, EDDY_WRITABLE), 0);
  cr_assert_eq(eddy_io_init(&loop, &other, p[1], events_cb), 0);
  cr_assert_eq(eddy_io_start(&other, EDDY_WRITABLE), -EEXIST);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(seen_events, EDDY_WRITABLE);
  close_loop(&loop);
  close(p[0]);
  close(p[1]);
}

/* Two pipes are readable in the same epoll batch. Whichever callback runs
 * first stops and closes the other pipe's read end, and opens a new pipe
 * that reuses that fd number with a new watcher. The old event for that fd
 * must not reach either watcher. */
static int pa[2], pb[2], fresh[2];
static eddy_io_t ioa, iob, io_fresh;
static int fresh_calls;
static void fresh_cb(eddy_io_t *io, unsigned ev) { fresh_calls++; }
static void swap_cb(eddy_io_t *io, unsigned ev) {
  calls++;
  eddy_io_t *victim = io == &ioa ? &iob : &ioa;
  int old = victim->fd;
  eddy_close(EDDY_HANDLE(victim), NULL);
  close(old);
  cr_assert_eq(pipe(fresh), 0);
  cr_assert_eq(fresh[0], old, "the fd number is reused");
  eddy_io_init(&loop, &io_fresh, fresh[0], fresh_cb);
  eddy_io_start(&io_fresh, EDDY_READABLE);
  eddy_io_stop(io);
}

Test(io, events_of_closed_and_reused_fd_are_dropped) {
  cr_assert_eq(pipe(pa), 0);
  cr_assert_eq(pipe(pb), 0);
  cr_assert_eq(eddy_loop_init(&loop), 0);
  calls = fresh_calls = 0;
  eddy_io_init(&loop, &ioa, pa[0], swap_cb);
  eddy_io_init(&loop, &iob, pb[0], swap_cb);
  eddy_io_start(&ioa, EDDY_READABLE);
  eddy_io_start(&iob, EDDY_READABLE);
  cr_assert_eq(write(pa[1], "a", 1), 1);
  cr_assert_eq(write(pb[1], "b", 1), 1);
  eddy_run(&loop, EDDY_RUN_NOWAIT);
  cr_assert_eq(calls, 1, "the closed watcher's event must be dropped");
  cr_assert_eq(fresh_calls, 0, "the new fd is empty: no stale event");
  close_loop(&loop);
  close(pa[0] == fresh[0] ? pb[0] : pa[0]);
  close(pa[1]);
  close(pb[1]);
  close(fresh[0]);
  close(fresh[1]);
}

static void count_close(eddy_handle_t *h) { calls++; }

Test(io, close_callback_runs_in_close_phase) {
  int p[2];
  cr_assert_eq(pipe(p), 0);
  eddy_io_t io;
  cr_assert_eq(eddy_loop_init(&loop), 0);
  calls = 0;
  eddy_io_init(&loop, &io, p[0], count_cb);
  eddy_io_start(&io, EDDY_READABLE);
  cr_assert_eq(eddy_close(EDDY_HANDLE(&io), count_close), 0);
  cr_assert_eq(calls, 0);
  cr_assert(eddy_is_closing(EDDY_HANDLE(&io)));
  cr_assert_eq(write(p[1], "x", 1), 1);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  cr_assert_eq(calls, 1, "only the close callback");
  close_loop(&loop);
  close(p[0]);
  close(p[1]);
}

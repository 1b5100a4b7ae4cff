/*
 * Listening and accepting, and what to do when the process runs out of
 * file descriptors. A listener keeps one spare descriptor (/dev/null) open:
 * on EMFILE/ENFILE it closes the spare, accepts and closes the waiting
 * connections, and reopens the spare (the trick of libev and nginx), so the
 * level-triggered listening socket does not stay ready and the loop does not
 * spin. If even that fails, accepting pauses on a timer.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "eddy/log.h"
#include "net/stream.h"

/* Fairness bound: connections accepted per readable event. */
#define ACCEPT_BATCH 32
/* On a socket shared by processes (EPOLLEXCLUSIVE): one per event, as
 * nginx without multi_accept. A burst of connections (a client pool
 * opening) wakes every idle worker, but on busy cores the one running
 * first would drain the whole queue in one batch before the others are
 * scheduled, and keep those connections for their lifetime. */
#define SHARED_ACCEPT_BATCH 1
/* Pause when out of descriptors and the spare cannot help. */
#define PAUSE_MS 100
/* At most one warning per listener per this period. */
#define LOG_EVERY_MS 10000

struct eddy__listener_s {
  int accepted;  /* offered to the connection callback, -1 if none */
  int spare;     /* reserved descriptor, -1 if lost */
  unsigned shed; /* connections closed for lack of fds since last log */
  uint64_t logged_ms;
  uint64_t stepped_back_ms; /* loop time of the last step_back() */
  int logged;
  eddy_timer_t pause;
};

static int open_spare(void) { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

static void free_listener(eddy_handle_t *h) {
  free(EDDY_CONTAINER_OF((eddy_timer_t *)h, struct eddy__listener_s, pause));
}

void eddy__listener_close(eddy_stream_t *s) {
  struct eddy__listener_s *l = s->_listener;
  s->_listener = NULL;
  if (l->accepted >= 0) close(l->accepted);
  if (l->spare >= 0) close(l->spare);
  eddy_close((eddy_handle_t *)&l->pause, free_listener);
}

static void resume(eddy_timer_t *t) {
  struct eddy__listener_s *l = EDDY_CONTAINER_OF(t, struct eddy__listener_s,
                                                 pause);
  eddy_stream_t *s = t->data;
  if (l->spare < 0) l->spare = open_spare();
  s->_flags &= ~(unsigned)S_PAUSED;
  eddy__stream_update(s);
}

static void report(eddy_stream_t *s, int err) {
  struct eddy__listener_s *l = s->_listener;
  uint64_t now = eddy_loop_now(s->loop);
  /* Linux checks for a free fd before the queue: EMFILE may mean no one. */
  if (l->shed == 0 && !(s->_flags & S_PAUSED)) return;
  if (l->logged && now - l->logged_ms < LOG_EVERY_MS) return;
  eddy_log(EDDY_LOG_WARN,
           "eddy net: accept: %s (%s); closed %u connection(s)%s",
           eddy_strerror(err), eddy_err_name(err), l->shed,
           (s->_flags & S_PAUSED) ? ", pausing accept for 100 ms" : "");
  l->logged = 1;
  l->logged_ms = now;
  l->shed = 0;
}

/* Out of descriptors: shed waiting connections through the spare. */
static void shed(eddy_stream_t *s, int err) {
  struct eddy__listener_s *l = s->_listener;
  int last = err == -EMFILE ? EMFILE : ENFILE;
  if (l->spare >= 0) {
    close(l->spare);
    last = 0;
    for (int i = 0; i < ACCEPT_BATCH; i++) {
      int fd = accept4(s->_io.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        last = errno;
        break;
      }
      close(fd);
      l->shed++;
    }
    l->spare = open_spare();
  }
  /* Still out of fds (ENFILE, or another thread took ours): pause. */
  if (l->spare < 0 || last == EMFILE || last == ENFILE) {
    s->_flags |= S_PAUSED;
    eddy__stream_update(s);
    eddy_timer_start(&l->pause, resume, PAUSE_MS, 0);
  }
  report(s, err);
}

/*
 * A socket shared by processes with EPOLLEXCLUSIVE: the kernel wakes the
 * first idle waiter in the socket's queue, always the same process while
 * all are idle, so connections that come one at a time (a keep-alive
 * client's start) would all go to one worker. The one that accepted moves
 * behind the others. That is an EPOLL_CTL_DEL and an ADD (~2.4 µs here,
 * as much as 5 % of a connection's whole cost), so at most once per
 * millisecond of loop time: every connection when they are sparse, a
 * bounded 0.3 % of the CPU when they are not.
 */
static void step_back(eddy_stream_t *s, int accepted) {
  struct eddy__listener_s *l = s->_listener;
  uint64_t now = eddy_loop_now(s->loop);
  if (!accepted || !(s->_flags & S_EXCLUSIVE) || now == l->stepped_back_ms)
    return;
  l->stepped_back_ms = now;
  eddy__watcher_requeue(s->loop, &s->_io);
}

void eddy__listener_accept(eddy_stream_t *s) {
  struct eddy__listener_s *l = s->_listener;
  int batch = (s->_flags & S_EXCLUSIVE) ? SHARED_ACCEPT_BATCH : ACCEPT_BATCH;
  for (int i = 0; i < batch; i++) {
    int fd = accept4(s->_io.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int err = -errno;
      if (err == -EINTR || err == -ECONNABORTED || err == -EPROTO) continue;
      if (err == -EAGAIN || err == -EWOULDBLOCK) {
        step_back(s, i);
        return;
      }
      if (err == -EMFILE || err == -ENFILE) {
        shed(s, err);
        return;
      }
      s->_connection_cb(s, err);
      return;
    }
    l->accepted = fd;
    s->_connection_cb(s, 0);
    l = s->_listener; /* NULL if the callback closed the listener */
    if (!l) return;
    if (l->accepted >= 0) close(l->accepted);
    l->accepted = -1;
    if (!(s->_flags & S_LISTENING)) return;
  }
  step_back(s, 1);
}

static int listener_new(eddy_stream_t *s) {
  struct eddy__listener_s *l = calloc(1, sizeof(*l));
  if (!l) return -ENOMEM;
  l->accepted = -1;
  l->spare = open_spare();
  eddy_timer_init(s->loop, &l->pause);
  l->pause.data = s;
  l->pause._flags |= EDDY__INTERNAL;
  eddy_unref((eddy_handle_t *)&l->pause);
  s->_listener = l;
  return 0;
}

int eddy_listen(eddy_stream_t *s, int backlog, eddy_connection_cb cb) {
  if (!cb || !net_usable(s)) return -EINVAL;
  if (!(s->_flags & S_HAS_FD)) return -EBADF;
  if (s->_flags & (S_CONNECTED | S_CONNECTING | S_CONNECT_DONE))
    return -EISCONN;
  if (listen(s->_io.fd, backlog > 0 ? backlog : SOMAXCONN) < 0) return -errno;
  if (!s->_listener) {
    int err = listener_new(s);
    if (err) return err;
  }
  s->_connection_cb = cb;
  s->_flags |= S_LISTENING;
  s->_flags &= ~(unsigned)S_READING;
  eddy__stream_update(s);
  return 0;
}

int eddy_listen_exclusive(eddy_stream_t *s) {
  if (!net_usable(s)) return -EINVAL;
  s->_flags |= S_EXCLUSIVE;
  eddy__stream_update(s);
  return 0;
}

int eddy_listen_offer(eddy_stream_t *s, int fd) {
  struct eddy__listener_s *l = s->_listener;
  if (fd < 0 || !l || !(s->_flags & S_LISTENING) || !net_usable(s) ||
      l->accepted >= 0)
    return -EINVAL;
  l->accepted = fd;
  s->_connection_cb(s, 0);
  /* NULL if the callback closed the listener, which closed fd if it
   * was not taken. */
  l = s->_listener;
  if (l && l->accepted >= 0) close(l->accepted);
  if (l) l->accepted = -1;
  return 0;
}

int eddy_listen_pause(eddy_stream_t *s, int paused) {
  if (!net_usable(s)) return -EINVAL;
  if (paused)
    s->_flags |= S_HELD;
  else
    s->_flags &= ~(unsigned)S_HELD;
  eddy__stream_update(s);
  return 0;
}

int eddy_accept(eddy_stream_t *server, eddy_stream_t *client) {
  struct eddy__listener_s *l = server->_listener;
  if (!l || l->accepted < 0) return -EAGAIN;
  if (client->type != server->type || client->loop != server->loop ||
      !net_usable(client))
    return -EINVAL;
  if (client->_flags & S_HAS_FD) return -EISCONN;
  int err = eddy__stream_set_fd(client, l->accepted);
  if (err) return err;
  l->accepted = -1;
  client->_flags |= S_CONNECTED;
  return 0;
}

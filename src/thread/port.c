/*
 * Message ports: posting, delivery on the owner's loop, synchronous
 * receive, and closing that tells the other side.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "thread/port.h"

int eddy_channel_create(eddy_port_end_t **a, eddy_port_end_t **b) {
  if (a == NULL || b == NULL) return -EINVAL;
  struct eddy__chan_s *c = calloc(1, sizeof(*c));
  if (c == NULL) return -ENOMEM;
  pthread_mutex_init(&c->lock, NULL);
  c->refs = 2;
  for (int i = 0; i < 2; i++) {
    c->ends[i].chan = c;
    c->ends[i].peer = &c->ends[1 - i];
  }
  *a = &c->ends[0];
  *b = &c->ends[1];
  return 0;
}

void eddy_message_free(eddy_message_t *msg) {
  if (msg == NULL) return;
  if (msg->_transferred) free(msg->data);
  if (msg->port) eddy_port_end_free(msg->port);
  free(msg);
}

static void free_list(eddy_message_t *m) {
  while (m) {
    eddy_message_t *next = m->_next;
    eddy_message_free(m);
    m = next;
  }
}

/* Wakes the handle an endpoint is open as. Channel lock held, so the
 * handle cannot be unbound (and its async closed) meanwhile. */
static void wake(struct eddy_port_end_s *end) {
  if (end->handle) eddy_async_send(&end->handle->_async);
}

/* Why posting wakes the peer outside the lock: the eventfd write takes
 * microseconds, and the woken receiver's first act is to take the lock for
 * its inbox; with the write inside, it found the lock held, slept on it and
 * had to be woken again (measured: ~4 futex calls and ~4.5 context
 * switches per round trip instead of ~2). A sender counts itself in
 * `waking` under the lock; whoever unbinds the handle waits for it. */
void eddy__port_wait_wakers(eddy_port_end_t *end) {
  while (atomic_load_explicit(&end->waking, memory_order_acquire))
    sched_yield();
}

void eddy_port_end_free(eddy_port_end_t *end) {
  if (end == NULL) return;
  struct eddy__chan_s *c = end->chan;
  pthread_mutex_lock(&c->lock);
  eddy_message_t *inbox = end->head;
  end->head = end->tail = NULL;
  end->handle = NULL;
  /* Before the ref goes: once it does, the peer may free the channel. A
   * sender decrements `waking` without the lock, so this cannot deadlock. */
  eddy__port_wait_wakers(end);
  end->released = 1;
  wake(end->peer);
  int last = --c->refs == 0;
  pthread_mutex_unlock(&c->lock);
  free_list(inbox); /* outside the lock: may free endpoints of other channels */
  if (last) {
    pthread_mutex_destroy(&c->lock);
    free(c);
  }
}

/* Appends `m` to the peer's inbox. EDDY_ECLOSED if the peer is gone. */
static int deliver_to_peer(eddy_port_t *port, eddy_message_t *m) {
  if (!eddy__handle_usable((eddy_handle_t *)port)) return -EINVAL;
  struct eddy_port_end_s *peer = port->_end->peer;
  struct eddy__chan_s *c = port->_end->chan;
  m->_next = NULL;
  eddy_port_t *to = NULL;
  pthread_mutex_lock(&c->lock);
  int closed = peer->released;
  if (!closed) {
    if (peer->tail)
      peer->tail->_next = m;
    else
      peer->head = m;
    peer->tail = m;
    if ((to = peer->handle) != NULL)
      atomic_fetch_add_explicit(&peer->waking, 1, memory_order_relaxed);
  }
  pthread_mutex_unlock(&c->lock);
  if (to) {
    eddy_async_send(&to->_async);
    atomic_fetch_sub_explicit(&peer->waking, 1, memory_order_release);
  }
  return closed ? EDDY_ECLOSED : 0;
}

static eddy_message_t *copy_message(const void *buf, size_t len) {
  eddy_message_t *m = malloc(sizeof(*m) + len);
  if (m == NULL) return NULL;
  memset(m, 0, sizeof(*m));
  m->data = m + 1;
  m->len = len;
  if (len) memcpy(m->data, buf, len);
  return m;
}

int eddy_port_post(eddy_port_t *port, const void *buf, size_t len) {
  if (port == NULL || (buf == NULL && len)) return -EINVAL;
  eddy_message_t *m = copy_message(buf, len);
  if (m == NULL) return -ENOMEM;
  int err = deliver_to_peer(port, m);
  if (err) free(m);
  return err;
}

int eddy_port_post_transfer(eddy_port_t *port, void *buf, size_t len) {
  if (port == NULL || (buf == NULL && len)) return -EINVAL;
  eddy_message_t *m = calloc(1, sizeof(*m));
  if (m == NULL) return -ENOMEM;
  m->data = buf;
  m->len = len;
  m->_transferred = 1;
  int err = deliver_to_peer(port, m);
  if (err) free(m); /* the buffer stays the sender's */
  return err;
}

int eddy_port_post_port(eddy_port_t *port, eddy_port_end_t *end,
                        const void *buf, size_t len) {
  if (port == NULL || end == NULL || end->opened || end == port->_end ||
      (buf == NULL && len))
    return -EINVAL;
  eddy_message_t *m = copy_message(buf, len);
  if (m == NULL) return -ENOMEM;
  m->port = end;
  int err = deliver_to_peer(port, m);
  if (err) free(m);
  return err;
}

/* Takes the whole inbox, and whether the peer is gone, in one snapshot: the
 * peer's messages all precede its release, so a "gone" snapshot has them. */
static eddy_message_t *take_inbox(eddy_port_end_t *end, int *peer_gone) {
  pthread_mutex_lock(&end->chan->lock);
  eddy_message_t *m = end->head;
  end->head = end->tail = NULL;
  *peer_gone = end->peer->released;
  pthread_mutex_unlock(&end->chan->lock);
  return m;
}

/* Puts back the undelivered rest of a batch, ahead of newer messages. */
static void put_back(eddy_port_end_t *end, eddy_message_t *m) {
  if (m == NULL) return;
  eddy_message_t *last = m;
  while (last->_next) last = last->_next;
  pthread_mutex_lock(&end->chan->lock);
  last->_next = end->head;
  if (end->head == NULL) end->tail = last;
  end->head = m;
  pthread_mutex_unlock(&end->chan->lock);
}

static int delivering(const eddy_port_t *port) {
  return (port->_flags & EDDY__ACTIVE) &&
         eddy__handle_usable((const eddy_handle_t *)port);
}

static void on_wake(eddy_async_t *async) {
  eddy_port_t *port = EDDY_CONTAINER_OF(async, eddy_port_t, _async);
  if (!delivering(port)) return;
  int gone;
  eddy_message_t *m = take_inbox(port->_end, &gone);
  eddy__dispatch(port->loop, "port message");
  while (m && delivering(port)) {
    eddy_message_t *next = m->_next;
    m->_next = NULL;
    port->cb(port, 0, m);
    m = next;
  }
  if (m) {
    /* Stopped or closed by a callback: keep the rest for later. A closed
     * port's end is already released; free what nobody will read. */
    if (eddy__handle_usable((eddy_handle_t *)port))
      put_back(port->_end, m);
    else
      free_list(m);
    return;
  }
  /* A callback that closed or stopped the port as the last message came
   * must not be called again. */
  if (gone && !port->_told_closed && delivering(port)) {
    port->_told_closed = 1;
    port->cb(port, EDDY_ECLOSED, NULL);
  }
}

/* Delivers what waits now, as a wake-up would (a worker's exit report uses
 * it so that the worker's last messages come before its exit). */
void eddy__port_flush(eddy_port_t *port) { on_wake(&port->_async); }

static void port_on_close(eddy_handle_t *h) {
  eddy_port_t *port = (eddy_port_t *)h;
  eddy_port_end_t *end = port->_end;
  port->_end = NULL;
  eddy_close((eddy_handle_t *)&port->_async, NULL);
  eddy_port_end_free(end); /* unbinds under the lock, tells the peer */
}

int eddy_port_open(eddy_loop_t *loop, eddy_port_t *port, eddy_port_end_t *end) {
  if (loop == NULL || port == NULL || end == NULL) return -EINVAL;
  pthread_mutex_lock(&end->chan->lock);
  int busy = end->opened;
  end->opened = 1;
  pthread_mutex_unlock(&end->chan->lock);
  if (busy) return -EINVAL;
  int err = eddy_async_init(loop, &port->_async, on_wake);
  if (err) {
    end->opened = 0;
    return err;
  }
  port->_async._flags |= EDDY__INTERNAL;
  eddy_unref((eddy_handle_t *)&port->_async);
  eddy__handle_init(loop, (eddy_handle_t *)port, EDDY_HANDLE_PORT,
                    port_on_close);
  port->cb = NULL;
  port->_end = end;
  port->_told_closed = 0;
  pthread_mutex_lock(&end->chan->lock);
  end->handle = port;
  pthread_mutex_unlock(&end->chan->lock);
  return 0;
}

int eddy_port_start(eddy_port_t *port, eddy_port_cb cb) {
  if (port == NULL || cb == NULL || !eddy__handle_usable((eddy_handle_t *)port))
    return -EINVAL;
  port->cb = cb;
  eddy__handle_start((eddy_handle_t *)port);
  /* Anything that arrived before start is delivered from the next
   * iteration; a spare wake-up costs one empty callback. */
  eddy_async_send(&port->_async);
  return 0;
}

int eddy_port_stop(eddy_port_t *port) {
  if (port == NULL) return -EINVAL;
  eddy__handle_stop((eddy_handle_t *)port);
  return 0;
}

int eddy_port_receive(eddy_port_t *port, eddy_message_t **msg) {
  if (port == NULL || msg == NULL || port->_end == NULL) return -EINVAL;
  eddy_port_end_t *end = port->_end;
  pthread_mutex_lock(&end->chan->lock);
  eddy_message_t *m = end->head;
  int gone = end->peer->released;
  if (m) {
    end->head = m->_next;
    if (end->head == NULL) end->tail = NULL;
    m->_next = NULL;
  }
  pthread_mutex_unlock(&end->chan->lock);
  *msg = m;
  if (m) return 0;
  return gone ? EDDY_ECLOSED : -EAGAIN;
}

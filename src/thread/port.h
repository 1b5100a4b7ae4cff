/*
 * Message ports, private: a channel is one heap block holding both
 * endpoints and the one mutex that guards them, so posting, closing and
 * binding a handle are serialised per channel and never across channels.
 */
#ifndef EDDY_THREAD_PORT_H
#define EDDY_THREAD_PORT_H

#include <pthread.h>
#include <stdatomic.h>

#include "eddy/thread.h"

struct eddy__chan_s;

struct eddy_port_end_s {
  struct eddy__chan_s *chan;
  struct eddy_port_end_s *peer;
  eddy_message_t *head, *tail; /* inbox, oldest first */
  eddy_port_t *handle;         /* the handle it is open as, or NULL */
  int opened;                  /* ever opened: cannot be opened or sent again */
  int released;                /* its owner let it go: the peer sees closed */
  _Atomic int waking;          /* senders writing to `handle`'s loop now */
};

struct eddy__chan_s {
  pthread_mutex_t lock;
  int refs; /* endpoints not yet released */
  struct eddy_port_end_s ends[2];
};

/* After `end->handle` was cleared under the lock: waits until no sender
 * is still waking the old handle (each wake is one eventfd write). */
void eddy__port_wait_wakers(eddy_port_end_t *end);

/* Delivers the messages waiting now, if the port is started. */
void eddy__port_flush(eddy_port_t *port);

#endif

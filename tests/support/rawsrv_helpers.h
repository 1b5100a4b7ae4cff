/*
 * A scripted raw HTTP peer for the client's tests: a thread that accepts
 * on 127.0.0.1, reads request heads and answers with fixed bytes, then
 * behaves as told (keeps the connection, closes, resets, stays silent,
 * drops a second request unanswered). Each connection has its own thread.
 * Also: a port nothing listens on, and a listener whose backlog is full.
 */
#ifndef EDDY_TEST_RAWSRV_HELPERS_H
#define EDDY_TEST_RAWSRV_HELPERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

typedef enum {
  RAW_KEEP = 0,     /* answer every request, keep the connection */
  RAW_CLOSE,        /* answer, then close */
  RAW_RESET,        /* reset (SO_LINGER 0) instead of answering */
  RAW_SILENT,       /* never answer; hold the connection */
  RAW_ANSWER_SILENT,/* answer, then hold the connection without a byte */
  RAW_FIRST_ONLY    /* answer the first request; close on the second */
} raw_action_t;

typedef struct {
  int fd;
  int port;
  const char *reply; /* sent after each request head */
  raw_action_t action;
  unsigned close_idle_ms; /* RAW_KEEP: close a connection idle this long */
  atomic_int stop;
  atomic_int conns;    /* connections accepted */
  atomic_int requests; /* request heads read */
  atomic_int active;   /* connection threads running */
  pthread_t thread;
} rawsrv_t;

/* Listens on 127.0.0.1:0 and starts accepting (asserts on failure). */
void rawsrv_start(rawsrv_t *s, const char *reply, raw_action_t action);
/* Stops accepting, ends every connection, waits for the threads. */
void rawsrv_stop(rawsrv_t *s);

/* A port on 127.0.0.1 with nothing listening on it. */
int closed_port(void);

/* A listener with backlog 0 whose queue is filled so that new SYNs are
 * dropped: a connect to it hangs. Returns its port; *fds receives the
 * listener and the two filling sockets (close them after). */
int full_backlog_port(int fds[3]);

#endif

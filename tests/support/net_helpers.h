/*
 * Helpers for the net tests: an echo server on any listening stream, a
 * client that collects everything it reads, and a few socket utilities.
 */
#ifndef EDDY_TEST_NET_HELPERS_H
#define EDDY_TEST_NET_HELPERS_H

#include <criterion/criterion.h>

#include "eddy/net.h"

/* An echo server: each connection echoes and closes on EOF. */
typedef struct {
  int conns;     /* connections accepted */
  int open;      /* connections not yet closed */
  size_t bytes;  /* bytes echoed */
} echo_stats_t;

/*
 * Starts echoing on `server` (bound, same kind as its clients); returns
 * eddy_listen's result. Asserts nothing, so a forked child may use it.
 */
int echo_listen(eddy_stream_t *server, echo_stats_t *stats);

/* A client stream that keeps what it reads. */
typedef struct {
  union {
    eddy_tcp_t tcp;
    eddy_unix_t unx;
  } h;
  char *data;
  size_t len, cap;
  int eof;
  int done;      /* stop_after reached, or EOF/error */
  int err;
  size_t stop_after; /* close the stream once this many bytes arrived */
} collector_t;

void collector_start(collector_t *c);
void collector_free(collector_t *c);

/* The bound port of a TCP stream. */
int stream_port(eddy_stream_t *s);

/* A fresh temporary directory; the path is static storage. */
const char *temp_dir(void);

/* Reads exactly `len` bytes from a blocking fd within ~2 s; 0 or -1. */
int read_full(int fd, void *buf, size_t len);

/* Runs the loop until *flag is non-zero, or `ms` passes. */
void run_until(eddy_loop_t *loop, const int *flag, unsigned ms);

#endif

/*
 * An eddy HTTP server inside the test process: its loop runs on a thread
 * of its own so the test thread can be a plain blocking client (raw
 * sockets or libcurl). Also starts an example binary (EDDY_EXAMPLES).
 */
#ifndef EDDY_TEST_HTTPSRV_HELPERS_H
#define EDDY_TEST_HTTPSRV_HELPERS_H

#include <pthread.h>
#include <stddef.h>

#include "eddy/http.h"

typedef struct {
  eddy_loop_t loop;
  eddy_http_server_t server;
  eddy_async_t stop;
  pthread_t thread;
  int port;
} tsrv_t;

/* Inits the loop and the server (opts may be NULL); set hooks, then run. */
void tsrv_init(tsrv_t *t, const eddy_http_server_opts_t *opts,
               eddy_http_handler_cb handler);
/* Listens on 127.0.0.1:0 and runs the loop on a new thread. */
void tsrv_run(tsrv_t *t);
/* Closes the server from its loop, joins the thread, close_loop(). */
void tsrv_stop(tsrv_t *t);
/* Sends `n` bytes on a new connection, reads until EOF into out (NUL
 * added); returns the count. */
size_t tsrv_exchange(int port, const char *req, size_t n, char *out,
                     size_t max);

#endif

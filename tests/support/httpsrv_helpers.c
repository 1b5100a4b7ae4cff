/* In-process HTTP server and example starter: see httpsrv_helpers.h. */
#include "support/httpsrv_helpers.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/e2e_helpers.h"
#include "support/loop_helpers.h"

static void on_stop(eddy_async_t *a) {
  tsrv_t *t = a->data;
  eddy_http_server_close(&t->server, 0, NULL);
  eddy_close((eddy_handle_t *)a, NULL);
}

void tsrv_init(tsrv_t *t, const eddy_http_server_opts_t *opts,
               eddy_http_handler_cb handler) {
  cr_assert_eq(eddy_loop_init(&t->loop), 0);
  cr_assert_eq(eddy_http_server_init(&t->loop, &t->server, opts, handler), 0);
  cr_assert_eq(eddy_async_init(&t->loop, &t->stop, on_stop), 0);
  t->stop.data = t;
}

static void *run(void *arg) {
  tsrv_t *t = arg;
  eddy_run(&t->loop, EDDY_RUN_DEFAULT);
  return NULL;
}

void tsrv_run(tsrv_t *t) {
  cr_assert_eq(eddy_http_server_listen(&t->server, "127.0.0.1", 0), 0);
  t->port = eddy_http_server_port(&t->server);
  cr_assert(t->port > 0);
  cr_assert_eq(pthread_create(&t->thread, NULL, run, t), 0);
}

void tsrv_stop(tsrv_t *t) {
  eddy_async_send(&t->stop);
  pthread_join(t->thread, NULL);
  close_loop(&t->loop);
}

size_t tsrv_exchange(int port, const char *req, size_t n, char *out,
                     size_t max) {
  e2e_server_t s = {.pid = 0, .port = port};
  int eof, fd = e2e_connect(&s);
  e2e_send(fd, req, n);
  size_t got = e2e_recv_all(fd, out, max, &eof);
  close(fd);
  return got;
}


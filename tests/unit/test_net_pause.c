/* eddy_listen_pause: a paused listener accepts nothing (connections wait
 * in the queue) and takes them when resumed. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "eddy/net.h"
#include "support/loop_helpers.h"

static int accepted;

static void on_conn(eddy_stream_t *server, int status) {
  eddy_tcp_t *c = malloc(sizeof(*c));
  eddy_tcp_init(server->loop, c);
  cr_assert_eq(eddy_accept(server, EDDY_STREAM(c)), 0);
  accepted++;
  eddy_close(EDDY_HANDLE(c), (eddy_close_cb)free);
}

static int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  return fd;
}

Test(net_pause, a_paused_listener_leaves_connections_queued) {
  eddy_loop_t loop;
  eddy_tcp_t srv;
  struct sockaddr_storage a;
  socklen_t len = sizeof(a);
  cr_assert_eq(eddy_loop_init(&loop), 0);
  eddy_tcp_init(&loop, &srv);
  cr_assert_eq(eddy_tcp_bind_ip(&srv, "127.0.0.1", 0, 0), 0);
  cr_assert_eq(eddy_listen(EDDY_STREAM(&srv), 0, on_conn), 0);
  cr_assert_eq(eddy_listen_pause(EDDY_STREAM(&srv), 1), 0);
  eddy_stream_sockname(EDDY_STREAM(&srv), &a, &len);
  int fd = connect_to(eddy_net_port((struct sockaddr *)&a));
  for (int i = 0; i < 5; i++) {
    eddy_run(&loop, EDDY_RUN_NOWAIT);
    usleep(2000);
  }
  cr_assert_eq(accepted, 0, "a paused listener accepted");
  cr_assert_eq(eddy_listen_pause(EDDY_STREAM(&srv), 0), 0);
  for (int i = 0; i < 50 && !accepted; i++) {
    eddy_run(&loop, EDDY_RUN_NOWAIT);
    usleep(2000);
  }
  cr_assert_eq(accepted, 1);
  close(fd);
  eddy_close(EDDY_HANDLE(&srv), NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  close_loop(&loop);
}

/*
 * Round-robin hand-off, the worker's side. The program's server listens
 * on a private Unix socket that nobody connects to (abstract name,
 * autobound), so its code is the same in every mode; the connections the
 * primary sends over the channel are offered to that listener as if it
 * had accepted them. Connections that arrive after the server closed
 * (the primary no longer sends to a stopping worker; these were already
 * on their way) are refused, and the primary hands them on.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cluster/worker.h"

int eddy__cluster_rr_worker_socket(void) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  /* Binding only the family autobinds to a unique abstract name. */
  if (bind(fd, (struct sockaddr *)&a, sizeof(sa_family_t)) < 0 ||
      listen(fd, 1) < 0) {
    int r = -errno;
    close(fd);
    return r;
  }
  return fd;
}

static void find_listener(eddy_handle_t *h, void *arg) {
  wpriv_t *p = arg;
  if ((h->type == EDDY_HANDLE_TCP || h->type == EDDY_HANDLE_UNIX) &&
      !eddy_is_closing(h) &&
      eddy_stream_fd((eddy_stream_t *)h) == p->pub.listen_fd)
    p->rr_listener = (eddy_stream_t *)h;
}

void eddy__cluster_rr_worker_ready(wpriv_t *p) {
  if (p->opts.share != EDDY_CLUSTER_ROUND_ROBIN) return;
  /* Found once: walking every handle per connection would cost O(n).
   * The pointer stays valid until the shutdown callback, the only place
   * the program may close that server in this mode (cluster.h). */
  eddy_loop_walk(&p->loop, find_listener, p);
}

/*
 * The receipt goes first, while the connection is untouched: if this
 * process dies after the offer, the primary reads "taken" before it sees
 * the channel end and does not hand the connection to another worker
 * (the channel is idle but for heartbeats, so the write is made at once).
 * A worker whose server has closed refuses, and the primary hands it on.
 */
void eddy__cluster_rr_worker_on_fd(eddy_unix_t *u, int fd) {
  eddy__channel_t *ch = u->data;
  wpriv_t *p = ch->data;
  uint8_t receipt[9];
  eddy__cluster_put_u64(receipt, ++p->rr_received); /* numbered: one that */
  receipt[8] = p->rr_listener != NULL; /* cannot be sent leaves a gap */
  if (eddy__cluster_channel_send(ch, FRAME_RECEIPT, receipt, 9) < 0 ||
      !receipt[8] || eddy_listen_offer(p->rr_listener, fd) < 0)
    close(fd);
}

/*
 * Name resolution for the agent: getaddrinfo on the thread pool (never on
 * the loop), one lookup per host at a time however many connections wait
 * for it, and the addresses kept for dns_ttl_ms. getaddrinfo gives no TTL,
 * so the agent's is a fixed one, short enough to follow a moved service.
 */
#include <stdio.h>
#include <string.h>

#include "client/client_int.h"

/* "Not found" is what a caller can act on; keep the errno for the rest. */
static int name_error(int status) {
  return status == -ENOENT || status == -ENODATA ? EDDY_ENOTFOUND : status;
}

static void keep_addresses(host_t *h, const struct addrinfo *ai) {
  h->naddrs = 0;
  for (; ai && h->naddrs < CLIENT_MAX_ADDRS; ai = ai->ai_next) {
    if (ai->ai_addrlen > sizeof h->addrs[0]) continue;
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    memcpy(&h->addrs[h->naddrs++], ai->ai_addr, ai->ai_addrlen);
  }
}

static void on_resolved(eddy_getaddrinfo_t *gai, int status) {
  host_t *h = gai->data;
  client_t *c = h->client;
  h->resolving = 0;
  c->dns_in_flight--;
  if (status == 0) {
    keep_addresses(h, gai->addrinfo);
    if (!h->naddrs) status = -ENODATA;
    h->dns_expiry = eddy_loop_now(c->pub.loop) + c->opts.dns_ttl_ms;
  }
  eddy_getaddrinfo_cleanup(gai);
  status = c->closing ? -ECANCELED : name_error(status);
  while (!eddy_queue_empty(&h->dns_waiters)) {
    eddy_queue_t *q = eddy_queue_head(&h->dns_waiters);
    eddy_queue_remove(q);
    eddy__conn_resolved(EDDY_CONTAINER_OF(q, conn_t, node), status);
  }
  if (c->closing) eddy__client_dns_settled(c); /* may free c and h */
}

static int lookup(host_t *h) {
  client_t *c = h->client;
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_ADDRCONFIG};
  char port[8];
  snprintf(port, sizeof port, "%d", h->port);
  h->gai.data = h;
  int r = eddy_getaddrinfo(c->pub.loop, &h->gai, h->name, port, &hints,
                           on_resolved);
  if (r < 0) return r;
  h->resolving = 1;
  c->dns_in_flight++;
  c->st.dns_lookups++;
  return 0;
}

void eddy__client_resolve(conn_t *conn) {
  host_t *h = conn->host;
  uint64_t now = eddy_loop_now(h->client->pub.loop);
  if (h->numeric || (h->naddrs && now < h->dns_expiry)) {
    eddy__conn_resolved(conn, 0);
    return;
  }
  conn->state = CONN_RESOLVING;
  eddy_queue_push(&h->dns_waiters, &conn->node);
  if (h->resolving) return;
  int r = lookup(h);
  if (r == 0) return;
  while (!eddy_queue_empty(&h->dns_waiters)) {
    eddy_queue_t *q = eddy_queue_head(&h->dns_waiters);
    eddy_queue_remove(q);
    eddy__conn_resolved(EDDY_CONTAINER_OF(q, conn_t, node), r);
  }
}

/*
 * Closing the agent: every live request ends with -ECANCELED, creates
 * still waiting (for room or for DNS) fail, every host's pool closes (its
 * connections with it), and the agent is freed once the last pool and the
 * last DNS lookup have finished.
 */
#include <stdlib.h>

#include "client/client_int.h"

static void free_client(client_t *c) {
  while (!eddy_queue_empty(&c->hosts)) {
    host_t *h = EDDY_CONTAINER_OF(eddy_queue_head(&c->hosts), host_t, node);
    eddy_queue_remove(&h->node);
    free(h->name);
    free(h->authority);
    free(h);
  }
  eddy_client_close_cb cb = c->close_cb;
  if (cb) cb(&c->pub);
  free(c);
}

static void free_later(eddy_immediate_t *imm) { free_client(imm->data); }

/* The last of the pools and lookups is done: the agent goes. */
static void maybe_free(client_t *c) {
  if (c->closing && !c->pools_open && !c->dns_in_flight) free_client(c);
}

static void on_pool_closed(eddy_respool_t *pool) {
  host_t *h = pool->data;
  h->pool_closed = 1;
  h->client->pools_open--;
  maybe_free(h->client);
}

/* A lookup ended after the close began (dns_cache.c tells us). */
void eddy__client_dns_settled(client_t *c);
void eddy__client_dns_settled(client_t *c) { maybe_free(c); }

static void fail_waiting_creates(client_t *c) {
  while (!eddy_queue_empty(&c->stalled)) {
    eddy_queue_t *q = eddy_queue_head(&c->stalled);
    eddy_queue_remove(q);
    eddy__conn_fail_create(EDDY_CONTAINER_OF(q, conn_t, node), -ECANCELED);
  }
  eddy_queue_t *hq;
  EDDY_QUEUE_FOREACH(hq, &c->hosts) {
    host_t *h = EDDY_CONTAINER_OF(hq, host_t, node);
    while (!eddy_queue_empty(&h->dns_waiters)) {
      eddy_queue_t *q = eddy_queue_head(&h->dns_waiters);
      eddy_queue_remove(q);
      eddy__conn_fail_create(EDDY_CONTAINER_OF(q, conn_t, node), -ECANCELED);
    }
  }
}

int eddy_client_close(eddy_client_t *client, eddy_client_close_cb cb) {
  client_t *c = (client_t *)client;
  if (!c) return -EINVAL;
  if (c->closing) return -EALREADY;
  c->closing = 1;
  c->close_cb = cb;
  eddy_queue_t *q, *next;
  for (q = c->reqs.next; q != &c->reqs; q = next) {
    next = q->next;
    eddy_client_abort(&EDDY_CONTAINER_OF(q, creq_t, node)->pub);
  }
  fail_waiting_creates(c);
  EDDY_QUEUE_FOREACH(q, &c->hosts) {
    host_t *h = EDDY_CONTAINER_OF(q, host_t, node);
    eddy_respool_close(&h->pool, on_pool_closed);
  }
  if (!c->pools_open && !c->dns_in_flight) {
    /* Nothing to wait for; still, the callback comes later, never here. */
    eddy_immediate_init(c->pub.loop, &c->close_later);
    c->close_later.data = c;
    eddy_immediate_start(&c->close_later, free_later);
  }
  return 0;
}

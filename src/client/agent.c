/*
 * The agent: options, one host (a connection pool and a DNS entry) per
 * origin, the cap on connections in all, statistics and closing.
 *
 * The cap in all sits above the per-host pools: a pool's create asks for a
 * place (eddy__client_take_place); with none free it closes an idle
 * connection of any host, as curl's connection cache does, and otherwise
 * parks the create until a connection goes (eddy__client_conn_gone).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_int.h"

static void defaults(eddy_client_opts_t *o) {
  if (!o->max_per_host) o->max_per_host = 16;
  if (!o->max_total) o->max_total = 256;
  if (!o->max_queue) o->max_queue = 1024;
  if (!o->keep_alive_ms) o->keep_alive_ms = 4000;
  if (!o->connect_timeout_ms) o->connect_timeout_ms = 10000;
  if (!o->response_timeout_ms) o->response_timeout_ms = 30000;
  if (!o->idle_timeout_ms) o->idle_timeout_ms = 30000;
  if (!o->dns_ttl_ms) o->dns_ttl_ms = 30000;
  if (!o->max_head) o->max_head = 16384;
  if (!o->max_headers) o->max_headers = 100;
}

int eddy_client_create(eddy_loop_t *loop, const eddy_client_opts_t *opts,
                       eddy_client_t **out) {
  if (!loop || !out) return -EINVAL;
  client_t *c = calloc(1, sizeof *c);
  if (!c) return -ENOMEM;
  if (opts) c->opts = *opts;
  defaults(&c->opts);
  if (c->opts.max_head > CONN_BUF_SIZE / 2) c->opts.max_head = CONN_BUF_SIZE / 2;
  c->pub.loop = loop;
  eddy_queue_init(&c->hosts);
  eddy_queue_init(&c->conns);
  eddy_queue_init(&c->reqs);
  eddy_queue_init(&c->stalled);
  *out = &c->pub;
  return 0;
}

static int same_host(const host_t *h, const eddy_client_url_t *u) {
  return h->port == u->port && strlen(h->name) == u->host.len &&
         strncasecmp(h->name, u->host.base, u->host.len) == 0;
}

static char *authority_of(const eddy_client_url_t *u) {
  size_t n = u->host.len + 16;
  char *a = malloc(n);
  if (!a) return NULL;
  const char *l = u->ipv6 ? "[" : "", *r = u->ipv6 ? "]" : "";
  if (u->port == 80)
    snprintf(a, n, "%s%.*s%s", l, (int)u->host.len, u->host.base, r);
  else
    snprintf(a, n, "%s%.*s%s:%d", l, (int)u->host.len, u->host.base, r,
             u->port);
  return a;
}

static int host_init(client_t *c, host_t *h, const eddy_client_url_t *u) {
  eddy_respool_factory_t f = {eddy__conn_create, eddy__conn_destroy, NULL};
  eddy_respool_opts_t po = {.max = c->opts.max_per_host,
                            .max_waiting = c->opts.max_queue,
                            .idle_timeout_ms = c->opts.keep_alive_ms};
  h->client = c;
  h->name = strndup(u->host.base, u->host.len);
  h->authority = authority_of(u);
  if (!h->name || !h->authority) return -ENOMEM;
  h->port = u->port;
  eddy_queue_init(&h->dns_waiters);
  struct sockaddr_storage ss;
  if (eddy_net_addr(h->name, h->port, &ss) == 0) {
    h->numeric = 1;
    h->addrs[0] = ss;
    h->naddrs = 1;
  }
  int r = eddy_respool_init(c->pub.loop, &h->pool, &f, &po);
  h->pool.data = h;
  return r;
}

host_t *eddy__client_host(client_t *c, const eddy_client_url_t *u) {
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &c->hosts) {
    host_t *h = EDDY_CONTAINER_OF(q, host_t, node);
    if (same_host(h, u)) return h;
  }
  host_t *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  if (host_init(c, h, u) < 0) {
    free(h->name);
    free(h->authority);
    free(h);
    return NULL;
  }
  eddy_queue_push(&c->hosts, &h->node);
  c->pools_open++;
  c->st.hosts++;
  return h;
}

/* Closes one idle connection of any host to make room; 1 if it did. */
static int evict_idle(client_t *c) {
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &c->hosts) {
    host_t *h = EDDY_CONTAINER_OF(q, host_t, node);
    eddy_respool_res_t *res;
    if (eddy_respool_try_acquire(&h->pool, &res) == 0) {
      eddy_respool_destroy(&h->pool, res);
      return 1;
    }
  }
  return 0;
}

int eddy__client_take_place(client_t *c, conn_t *conn) {
  if (c->nconns >= c->opts.max_total) evict_idle(c);
  if (c->nconns >= c->opts.max_total) {
    conn->state = CONN_STALLED;
    eddy_queue_push(&c->stalled, &conn->node);
    return 0;
  }
  c->nconns++;
  conn->counted = 1;
  return 1;
}

void eddy__client_conn_gone(client_t *c, conn_t *conn) {
  if (!conn->counted) return;
  conn->counted = 0;
  c->nconns--;
  if (eddy_queue_empty(&c->stalled)) return;
  eddy_queue_t *q = eddy_queue_head(&c->stalled);
  conn_t *next = EDDY_CONTAINER_OF(q, conn_t, node);
  eddy_queue_remove(q);
  c->nconns++;
  next->counted = 1;
  eddy__client_resolve(next);
}

void eddy_client_stats(const eddy_client_t *client, eddy_client_stats_t *out) {
  const client_t *c = (const client_t *)client;
  eddy_queue_t *q;
  *out = c->st;
  out->connections = out->idle = out->waiting = 0;
  EDDY_QUEUE_FOREACH(q, &c->hosts) {
    const host_t *h = EDDY_CONTAINER_OF(q, host_t, node);
    eddy_respool_stats_t s;
    eddy_respool_stats(&h->pool, &s);
    out->connections += s.size + s.destroying;
    out->idle += s.available;
    out->waiting += s.pending;
  }
}

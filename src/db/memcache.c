/*
 * The memcached client: commands, and the connections they go over.
 * Commands wait in one FIFO and go to the borrowed connection with the
 * fewest in flight (one, by default: a single pipeline); without one the
 * client takes an idle connection from the pool or asks it for one. A
 * connection that goes quiet with nobody waiting goes back to the pool.
 */
#include <stdlib.h>
#include <string.h>

#include "db/mc_int.h"

typedef struct {
  eddy_respool_acquire_t a;
  struct eddy_mc_s *mc;
} mc_acq_t;

static void run_failed(eddy__pending_t *p);

static int parse_addr(const char *addr, struct sockaddr_storage *out) {
  const char *colon = strrchr(addr, ':');
  if (!colon || colon == addr) return -EINVAL;
  char host[64];
  size_t n = (size_t)(colon - addr);
  if (addr[0] == '[' && colon[-1] == ']') {
    addr++;
    n -= 2;
  }
  if (n >= sizeof(host)) return -EINVAL;
  memcpy(host, addr, n);
  host[n] = '\0';
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port <= 0 || port > 65535) return -EINVAL;
  if (strcmp(host, "localhost") == 0) memcpy(host, "127.0.0.1", 10);
  return eddy_net_addr(host, (int)port, out);
}

int eddy_mc_open(eddy_loop_t *loop, const char *addr,
                 const eddy_mc_options_t *opts, eddy_mc_t **out) {
  if (!loop || !addr || !out) return -EINVAL;
  eddy_mc_t *mc = calloc(1, sizeof(*mc));
  if (!mc) return -ENOMEM;
  int err = parse_addr(addr, &mc->addr);
  eddy_mc_options_t o = opts ? *opts : (eddy_mc_options_t){0};
  eddy_respool_factory_t f = {eddy__mc_create, eddy__mc_destroy, NULL};
  eddy_respool_opts_t po = {.max = o.max_conns ? o.max_conns : 1,
                            .idle_timeout_ms = o.idle_ms ? o.idle_ms : 30000};
  if (!err) err = eddy_respool_init(loop, &mc->pool, &f, &po);
  if (err) {
    free(mc);
    return err;
  }
  mc->pool.data = mc;
  mc->loop = loop;
  mc->max_conns = po.max;
  eddy_queue_init(&mc->wait);
  eddy_queue_init(&mc->active);
  eddy_queue_init(&mc->failed);
  eddy__pending_init(&mc->fail_pending);
  mc->fail_pending.cb = run_failed;
  mc->fail_pending.label = "memcache failed";
  *out = mc;
  return 0;
}

static int key_ok(const char *key, size_t klen) {
  if (!key || klen == 0 || klen > 250) return 0;
  for (size_t i = 0; i < klen; i++)
    if ((unsigned char)key[i] <= ' ' || key[i] == 0x7f) return 0;
  return 1;
}

static int submit(eddy_mc_t *mc, int kind, const char *cmd, const char *key,
                  size_t klen, const void *value, size_t vlen, uint32_t flags,
                  uint32_t exptime, uint64_t delta, eddy_mc_cb cb, void *data) {
  if (!mc || !cb || !key_ok(key, klen) || vlen > (1u << 20) || (vlen && !value))
    return -EINVAL;
  if (mc->closing) return -ECANCELED;
  eddy__mc_req_t *req = calloc(1, sizeof(*req));
  if (!req) return -ENOMEM;
  req->kind = kind;
  req->cb = cb;
  req->res.data = data;
  req->res.mc = mc;
  req->res.message = "";
  if (eddy__mc_encode(req, cmd, key, klen, value, vlen, flags, exptime,
                      delta)) {
    free(req);
    return -ENOMEM;
  }
  eddy__req_register(mc->loop);
  eddy_queue_push(&mc->wait, &req->node);
  eddy__mc_pump(mc);
  return 0;
}

int eddy_mc_get(eddy_mc_t *mc, const char *key, size_t klen, eddy_mc_cb cb,
                void *data) {
  return submit(mc, MC_GET, "get", key, klen, NULL, 0, 0, 0, 0, cb, data);
}

int eddy_mc_set(eddy_mc_t *mc, const char *key, size_t klen, const void *value,
                size_t vlen, uint32_t flags, uint32_t exptime, eddy_mc_cb cb,
                void *data) {
  return submit(mc, MC_STORE, "set", key, klen, value, vlen, flags, exptime, 0,
                cb, data);
}

int eddy_mc_add(eddy_mc_t *mc, const char *key, size_t klen, const void *value,
                size_t vlen, uint32_t flags, uint32_t exptime, eddy_mc_cb cb,
                void *data) {
  return submit(mc, MC_STORE, "add", key, klen, value, vlen, flags, exptime, 0,
                cb, data);
}

int eddy_mc_delete(eddy_mc_t *mc, const char *key, size_t klen, eddy_mc_cb cb,
                   void *data) {
  return submit(mc, MC_DELETE, "delete", key, klen, NULL, 0, 0, 0, 0, cb, data);
}

int eddy_mc_incr(eddy_mc_t *mc, const char *key, size_t klen, uint64_t delta,
                 eddy_mc_cb cb, void *data) {
  return submit(mc, MC_INCR, "incr", key, klen, NULL, 0, 0, 0, delta, cb, data);
}

/* Delivers once; frees once it is also off the wire. */
void eddy__mc_req_done(eddy__mc_req_t *req) {
  eddy_mc_t *mc = req->res.mc;
  if (req->cb) {
    eddy_queue_remove(&req->node);
    eddy_mc_cb cb = req->cb;
    req->cb = NULL;
    cb(&req->res, req->status);
    eddy__req_unregister(mc->loop);
  }
  if (req->written && req->answered) {
    free(req->wire);
    free(req->value);
    free(req);
  }
}

static void run_failed(eddy__pending_t *p) {
  eddy_mc_t *mc = EDDY_CONTAINER_OF(p, eddy_mc_t, fail_pending);
  while (!eddy_queue_empty(&mc->failed))
    eddy__mc_req_done(
        EDDY_CONTAINER_OF(eddy_queue_head(&mc->failed), eddy__mc_req_t, node));
}

void eddy__mc_fail_later(eddy__mc_req_t *req, int status) {
  eddy_mc_t *mc = req->res.mc;
  req->status = status;
  eddy_queue_remove(&req->node);
  eddy_queue_push(&mc->failed, &req->node);
  if (!eddy__pending_queued(&mc->fail_pending))
    eddy__pending_push(mc->loop, &mc->fail_pending);
}

static void fail_waiting(eddy_mc_t *mc, int status) {
  while (!eddy_queue_empty(&mc->wait)) {
    eddy__mc_req_t *req = EDDY_CONTAINER_OF(eddy_queue_head(&mc->wait),
                                            eddy__mc_req_t, node);
    req->written = req->answered = 1; /* never sent */
    eddy__mc_fail_later(req, status);
  }
}

static void make_active(eddy_mc_t *mc, eddy__mc_conn_t *c) {
  c->lent = 1;
  eddy_queue_push(&mc->active, &c->node);
  mc->nactive++;
}

static void on_acquired(eddy_respool_acquire_t *a, int status,
                        eddy_respool_res_t *res) {
  mc_acq_t *acq = EDDY_CONTAINER_OF(a, mc_acq_t, a);
  eddy_mc_t *mc = acq->mc;
  free(acq);
  mc->nacquiring--;
  if (res) {
    eddy__mc_conn_t *c = EDDY_CONTAINER_OF(res, eddy__mc_conn_t, res);
    if (mc->closing)
      eddy_respool_release(&mc->pool, res);
    else
      make_active(mc, c);
  } else if (!mc->nactive && !mc->nacquiring) {
    fail_waiting(mc, status); /* nothing else would serve them */
  }
  eddy__mc_pump(mc);
}

/* A connection to send on, now; or NULL after asking the pool for one. */
static eddy__mc_conn_t *connection(eddy_mc_t *mc) {
  eddy__mc_conn_t *best = NULL;
  eddy_queue_t *q;
  EDDY_QUEUE_FOREACH(q, &mc->active) {
    eddy__mc_conn_t *c = EDDY_CONTAINER_OF(q, eddy__mc_conn_t, node);
    if (!best || c->ninflight < best->ninflight) best = c;
  }
  eddy_respool_res_t *res;
  if ((!best || best->ninflight) && mc->nactive < mc->max_conns &&
      eddy_respool_try_acquire(&mc->pool, &res) == 0) {
    best = EDDY_CONTAINER_OF(res, eddy__mc_conn_t, res);
    make_active(mc, best);
  }
  if (best || mc->nacquiring) return best;
  mc_acq_t *acq = calloc(1, sizeof(*acq));
  if (!acq) return NULL;
  acq->mc = mc;
  if (eddy_respool_acquire(&mc->pool, &acq->a, on_acquired))
    free(acq);
  else
    mc->nacquiring++;
  return NULL;
}

void eddy__mc_pump(eddy_mc_t *mc) {
  while (!mc->closing && !eddy_queue_empty(&mc->wait)) {
    eddy__mc_conn_t *c = connection(mc);
    if (!c) return;
    eddy__mc_req_t *req = EDDY_CONTAINER_OF(eddy_queue_head(&mc->wait),
                                            eddy__mc_req_t, node);
    eddy_queue_remove(&req->node);
    eddy__mc_send(c, req);
  }
}

static void give_back(eddy_mc_t *mc, eddy__mc_conn_t *c) {
  eddy_queue_remove(&c->node);
  mc->nactive--;
  c->lent = 0;
  eddy_respool_release(&mc->pool, &c->res);
}

void eddy__mc_conn_quiet(eddy__mc_conn_t *c) {
  eddy_mc_t *mc = c->mc;
  if (c->lent && !c->ninflight && (mc->closing || eddy_queue_empty(&mc->wait)))
    give_back(mc, c);
  eddy__mc_pump(mc);
}

static void on_pool_closed(eddy_respool_t *pool) {
  eddy_mc_t *mc = pool->data;
  if (eddy__pending_queued(&mc->fail_pending)) { /* deliver them first */
    eddy__pending_cancel(&mc->fail_pending);
    run_failed(&mc->fail_pending);
  }
  eddy__req_unregister(mc->loop);
  if (mc->close_cb) mc->close_cb(mc);
  free(mc);
}

int eddy_mc_close(eddy_mc_t *mc, eddy_mc_close_cb cb) {
  if (!mc || mc->closing) return -EINVAL;
  mc->closing = 1;
  mc->close_cb = cb;
  eddy__req_register(mc->loop);
  fail_waiting(mc, -ECANCELED);
  eddy_queue_t *q = eddy_queue_head(&mc->active);
  while (q != &mc->active) { /* the busy ones go back when quiet */
    eddy__mc_conn_t *c = EDDY_CONTAINER_OF(q, eddy__mc_conn_t, node);
    q = q->next;
    if (!c->ninflight) give_back(mc, c);
  }
  eddy_respool_close(&mc->pool, on_pool_closed);
  return 0;
}

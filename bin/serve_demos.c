/*
 * The loop lessons. The same "work" (a busy wait of N ms) done three ways:
 * on the loop thread (every other request waits), cut into 1 ms slices
 * with immediates (others run between the slices), and on the worker pool
 * (the loop stays free; a full queue says 503 at once).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

#define SLICE_NS 1000000ull

void serve_spin_ns(uint64_t ns) {
  uint64_t end = eddy_hrtime() + ns;
  while (eddy_hrtime() < end) {
  }
}

int serve_ms_param(serve_t *s, eddy_app_req_t *req, uint64_t *ms) {
  const char *v = eddy_app_req_query(req, "ms");
  char *end;
  errno = 0;
  unsigned long long n = v ? strtoull(v, &end, 10) : 100;
  if (v && (errno || end == v || *end || v[0] == '-')) {
    eddy_app_fail(req, 400, "ms must be a whole number of milliseconds");
    return -1;
  }
  if (n > s->cfg.max_block_ms) {
    eddy_app_fail(req, 400, "ms must be at most %llu (--max-block-ms)",
                  (unsigned long long)s->cfg.max_block_ms);
    return -1;
  }
  *ms = n;
  return 0;
}

/* {"demo":..,"ms":..,"took_ms":..,<extra key>:<n>,"lesson":..} */
static void answer(eddy_app_res_t *res, const char *demo, uint64_t ms,
                   uint64_t start_ns, const char *extra, int64_t n,
                   const char *lesson) {
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, eddy_app_res_req(res));
  eddy_app_jw_object(&jw);
  eddy_app_jw_key(&jw, "demo");
  eddy_app_jw_string(&jw, demo);
  eddy_app_jw_key(&jw, "ms");
  eddy_app_jw_int(&jw, (int64_t)ms);
  eddy_app_jw_key(&jw, "took_ms");
  eddy_app_jw_double(&jw, (double)(eddy_hrtime() - start_ns) / 1e6);
  if (extra) {
    eddy_app_jw_key(&jw, extra);
    eddy_app_jw_int(&jw, n);
  }
  eddy_app_jw_key(&jw, "lesson");
  eddy_app_jw_string(&jw, lesson);
  eddy_app_jw_object_end(&jw);
  eddy_app_res_send_jw(res, &jw);
}

static void hello(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  eddy_app_res_set(res, "Content-Type", "text/plain");
  eddy_app_res_end(res, "Hello, World!", 13);
}

static void hello_name(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, req);
  eddy_app_jw_object(&jw);
  eddy_app_jw_key(&jw, "hello");
  eddy_app_jw_string(&jw, eddy_app_req_param(req, "name"));
  eddy_app_jw_object_end(&jw);
  eddy_app_res_send_jw(res, &jw);
}

static void blocking(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  uint64_t ms, t0 = eddy_hrtime();
  if (serve_ms_param(arg, req, &ms)) return;
  serve_spin_ns(ms * 1000000ull);
  answer(res, "blocking", ms, t0, NULL, 0,
         "the loop thread was busy: every other request waited");
}

/* ---- non-blocking: 1 ms slices, each in its own immediate */

typedef struct {
  eddy_immediate_t imm; /* not a handle: nothing to close, only free */
  eddy_app_req_t *req;  /* valid until we finish it (app.h) */
  uint64_t ms, start_ns, left_ns;
  int64_t slices;
} slicer_t;

static void next_slice(eddy_immediate_t *imm) {
  slicer_t *w = imm->data;
  eddy_app_res_t *res = eddy_app_req_res(w->req);
  uint64_t ns = w->left_ns < SLICE_NS ? w->left_ns : SLICE_NS;
  if (!eddy_app_res_gone(res)) serve_spin_ns(ns);
  w->left_ns -= ns;
  w->slices++;
  if (w->left_ns > 0 && !eddy_app_res_gone(res)) {
    eddy_immediate_start(imm, next_slice); /* other callbacks run first */
    return;
  }
  answer(res, "non-blocking", w->ms, w->start_ns, "slices", w->slices,
         "the work was cut into 1 ms slices: other requests ran between "
         "them");
  free(w); /* the loop does not touch `imm` after its callback returns */
}

static void non_blocking(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  uint64_t ms;
  if (serve_ms_param(arg, req, &ms)) return;
  slicer_t *w = calloc(1, sizeof(*w));
  if (!w) {
    eddy_app_next(req, -ENOMEM);
    return;
  }
  w->req = req;
  w->ms = ms;
  w->start_ns = eddy_hrtime();
  w->left_ns = ms * 1000000ull;
  eddy_immediate_init(eddy_app_req_loop(req), &w->imm);
  w->imm.data = w;
  eddy_immediate_start(&w->imm, next_slice);
}

/* ---- compute: the worker pool */

typedef struct {
  eddy_pool_task_t task;
  eddy_app_req_t *req; /* valid until we finish it */
  uint64_t ms, start_ns;
} compute_t;

static int compute_fn(void *arg, void **result) { /* on a pool thread */
  compute_t *c = arg;
  serve_spin_ns(c->ms * 1000000ull);
  return 0;
}

static void compute_done(eddy_pool_task_t *task, int status, void *result) {
  compute_t *c = EDDY_CONTAINER_OF(task, compute_t, task);
  eddy_app_req_t *req = c->req;
  uint64_t ms = c->ms, t0 = c->start_ns;
  free(c);
  if (status < 0) {
    eddy_app_next(req, status);
    return;
  }
  answer(eddy_app_req_res(req), "compute", ms, t0, NULL, 0,
         "the work ran on a worker-pool thread: the loop stayed free");
}

static void compute(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  serve_t *s = arg;
  uint64_t ms;
  if (serve_ms_param(s, req, &ms)) return;
  compute_t *c = calloc(1, sizeof(*c));
  if (!c) {
    eddy_app_next(req, -ENOMEM);
    return;
  }
  c->req = req;
  c->ms = ms;
  c->start_ns = eddy_hrtime();
  int r = eddy_pool_run(&s->pool, &c->task, compute_fn, c, compute_done);
  if (r == 0) return;
  free(c);
  if (r != EDDY_EQUEUEFULL) {
    eddy_app_next(req, r);
    return;
  }
  /* Backpressure reaches the client at once instead of memory growing. */
  eddy_app_res_status(res, 503);
  eddy_app_res_set(res, "Retry-After", "1");
  eddy_app_res_set(res, "Content-Type", "application/json");
  static const char body[] = "{\"error\":\"the worker pool is full\"}";
  eddy_app_res_end(res, body, sizeof(body) - 1);
}

int serve_add_demos(serve_t *s) {
  int r = eddy_app_get(s->app, "/hello", hello, s);
  if (!r) r = eddy_app_get(s->app, "/hello/:name", hello_name, s);
  if (!r) r = eddy_app_get(s->app, "/blocking", blocking, s);
  if (!r) r = eddy_app_get(s->app, "/non-blocking", non_blocking, s);
  if (!r) r = eddy_app_get(s->app, "/compute", compute, s);
  return r;
}

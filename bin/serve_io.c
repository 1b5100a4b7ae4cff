/*
 * The I/O lessons: three JSON files read one after another (each callback
 * starts the next read) and all at once (a join, Promise.all), parsed with
 * jansson and merged into one answer; a join of mixed async work.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

static const char *file_keys[SERVE_NFILES] = {"users", "config", "routes"};

/* Adds file i's bytes to `merged`; 0, or fails the request (500). */
static int merge(eddy_app_req_t *req, json_t *merged, const char *path, int i,
                 ssize_t result, const char *buf) {
  if (result < 0) {
    eddy_app_fail(req, 500, "%s: %s", path, eddy_strerror((int)result));
    return -1;
  }
  json_error_t err;
  json_t *v = json_loadb(buf, (size_t)result, 0, &err);
  if (!v) {
    eddy_app_fail(req, 500, "%s: line %d: %s", path, err.line, err.text);
    return -1;
  }
  json_object_set_new(merged, file_keys[i], v);
  return 0;
}

static void send_merged(eddy_app_req_t *req, json_t *merged, const char *how,
                        uint64_t start_ns) {
  json_object_set_new(merged, "read", json_string(how));
  json_object_set_new(merged, "took_ms",
                      json_real((double)(eddy_hrtime() - start_ns) / 1e6));
  eddy_app_res_json(eddy_app_req_res(req), merged);
}

/* ---- serial: the callback of read i starts read i + 1 */

typedef struct {
  eddy_fs_t fs;
  eddy_app_req_t *req; /* valid until we finish it (app.h) */
  serve_t *s;
  json_t *merged;
  int index;
  uint64_t start_ns;
} serial_t;

static void serial_next(eddy_fs_t *fs) {
  serial_t *w = EDDY_CONTAINER_OF(fs, serial_t, fs);
  int i = w->index;
  int bad = merge(w->req, w->merged, w->s->data_ptrs[i], i, fs->result,
                  fs->buf);
  eddy_fs_req_cleanup(fs);
  int r = 0;
  if (!bad && ++w->index < SERVE_NFILES) {
    r = eddy_fs_read_file(fs->loop, fs, w->s->data_ptrs[w->index], serial_next);
    if (r == 0) return;
    eddy_app_next(w->req, r);
  } else if (!bad) {
    send_merged(w->req, w->merged, "serial", w->start_ns);
  }
  json_decref(w->merged);
  free(w);
}

static void inefficient(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  serve_t *s = arg;
  serial_t *w = calloc(1, sizeof(*w));
  json_t *merged = json_object();
  int r = w && merged ? 0 : -ENOMEM;
  if (!r) {
    *w = (serial_t){.req = req,
                    .s = s,
                    .merged = merged,
                    .start_ns = eddy_hrtime()};
    r = eddy_fs_read_file(s->loop, &w->fs, s->data_ptrs[0], serial_next);
  }
  if (r) {
    json_decref(merged);
    free(w);
    eddy_app_next(req, r);
  }
}

/* ---- parallel: one join of three reads */

typedef struct {
  eddy_join_t join; /* must not move: the struct is heap-allocated */
  eddy_app_req_t *req;
  serve_t *s;
  uint64_t start_ns;
} gather_t;

static void on_gathered(eddy_join_t *j) {
  gather_t *g = EDDY_CONTAINER_OF(j, gather_t, join);
  json_t *merged = json_object();
  int bad = merged ? 0 : (eddy_app_next(g->req, -ENOMEM), 1);
  for (int i = 0; i < SERVE_NFILES && !bad; i++)
    bad = merge(g->req, merged, g->s->data_ptrs[i], i, j->slots[i].result,
                j->slots[i].fs ? j->slots[i].fs->buf : NULL);
  if (!bad) send_merged(g->req, merged, "parallel (join)", g->start_ns);
  json_decref(merged);
  eddy_join_cleanup(j);
  free(g);
}

static void efficient(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  serve_t *s = arg;
  gather_t *g = calloc(1, sizeof(*g));
  if (!g) {
    eddy_app_next(req, -ENOMEM);
    return;
  }
  g->req = req;
  g->s = s;
  g->start_ns = eddy_hrtime();
  int r = eddy_join_init(s->loop, &g->join, SERVE_NFILES, on_gathered);
  if (r) {
    free(g);
    eddy_app_next(req, r);
    return;
  }
  r = eddy_join_read_files(&g->join, s->data_ptrs, SERVE_NFILES);
  for (int i = 0; r && i < SERVE_NFILES; i++) /* on_gathered answers 500 */
    eddy_join_settle(eddy_join_slot(&g->join, (size_t)i), r);
}

/* ---- a join of mixed work: a file, a timer, a pool task, a DNS lookup */

enum { P_FILE, P_TIMER, P_TASK, P_DNS, P_COUNT };
static const char *part_names[P_COUNT] = {"file", "timer", "compute", "dns"};

typedef struct {
  eddy_timer_t timer; /* first: its close callback frees the struct */
  eddy_join_t join;
  eddy_fs_t fs;
  eddy_pool_task_t task;
  eddy_getaddrinfo_t dns;
  eddy_app_req_t *req; /* valid until we finish it */
  uint64_t ms, start_ns, done_ns[P_COUNT];
} mix_t;

static void settle(mix_t *m, int part, int64_t result) {
  m->done_ns[part] = eddy_hrtime() - m->start_ns;
  eddy_join_settle(eddy_join_slot(&m->join, (size_t)part), result);
}
static void mix_file(eddy_fs_t *fs) {
  settle(EDDY_CONTAINER_OF(fs, mix_t, fs), P_FILE, fs->result);
}
static void mix_timer(eddy_timer_t *t) { settle((mix_t *)t, P_TIMER, 0); }
static int mix_fn(void *arg, void **result) {
  serve_spin_ns(((mix_t *)arg)->ms * 1000000ull); /* only `ms` is read */
  return 0;
}
static void mix_task(eddy_pool_task_t *t, int status, void *result) {
  settle(EDDY_CONTAINER_OF(t, mix_t, task), P_TASK, status);
}
static void mix_dns(eddy_getaddrinfo_t *d, int status) {
  settle(EDDY_CONTAINER_OF(d, mix_t, dns), P_DNS, status);
}
static void mix_free(eddy_handle_t *h) { free(h); }

static void on_mixed(eddy_join_t *j) {
  mix_t *m = EDDY_CONTAINER_OF(j, mix_t, join);
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, m->req);
  eddy_app_jw_object(&jw);
  uint64_t sum = 0;
  for (int i = 0; i < P_COUNT; i++) {
    eddy_app_jw_key(&jw, part_names[i]);
    eddy_app_jw_object(&jw);
    eddy_app_jw_key(&jw, "ok");
    eddy_app_jw_bool(&jw, j->slots[i].result >= 0);
    eddy_app_jw_key(&jw, "done_ms");
    eddy_app_jw_double(&jw, (double)m->done_ns[i] / 1e6);
    eddy_app_jw_object_end(&jw);
    sum += m->done_ns[i];
  }
  eddy_app_jw_key(&jw, "sum_ms");
  eddy_app_jw_double(&jw, (double)sum / 1e6);
  eddy_app_jw_key(&jw, "took_ms");
  eddy_app_jw_double(&jw, (double)(eddy_hrtime() - m->start_ns) / 1e6);
  eddy_app_jw_object_end(&jw);
  eddy_app_res_send_jw(eddy_app_req_res(m->req), &jw);
  eddy_fs_req_cleanup(&m->fs);
  eddy_getaddrinfo_cleanup(&m->dns);
  eddy_join_cleanup(j);
  eddy_close(EDDY_HANDLE(&m->timer), mix_free);
}

/* Starts the four parts; one that cannot start settles with its error. */
static void start_parts(serve_t *s, mix_t *m) {
  eddy_loop_t *loop = s->loop;
  int r = eddy_fs_read_file(loop, &m->fs, s->data_ptrs[0], mix_file);
  if (r) settle(m, P_FILE, r);
  eddy_timer_start(&m->timer, mix_timer, m->ms, 0);
  r = eddy_pool_run(&s->pool, &m->task, mix_fn, m, mix_task);
  if (r) settle(m, P_TASK, r);
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
  r = eddy_getaddrinfo(loop, &m->dns, "localhost", NULL, &hints, mix_dns);
  if (r) settle(m, P_DNS, r);
}

static void parallel(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  serve_t *s = arg;
  uint64_t ms;
  if (serve_ms_param(s, req, &ms)) return;
  mix_t *m = calloc(1, sizeof(*m));
  if (!m || eddy_join_init(s->loop, &m->join, P_COUNT, on_mixed)) {
    free(m);
    eddy_app_next(req, -ENOMEM);
    return;
  }
  m->req = req;
  m->ms = ms;
  m->start_ns = eddy_hrtime();
  eddy_timer_init(s->loop, &m->timer);
  start_parts(s, m);
}

int serve_add_io(serve_t *s) {
  int r = eddy_app_get(s->app, "/inefficient", inefficient, s);
  if (!r) r = eddy_app_get(s->app, "/efficient", efficient, s);
  if (!r) r = eddy_app_get(s->app, "/parallel", parallel, s);
  return r;
}

/*
 * GET /profile/:id -- the seeds' ordered request, in three steps:
 *
 *   session  memcached get of "session:<id>" (--memcached; without it the
 *            answer says {"skipped": "no --memcached"}; a miss is null)
 *   user     SELECT id, name, email, created_at FROM users WHERE id = $1
 *   service  a web-service call through eddy's HTTP client to
 *            --service-url ("{id}" replaced by the id; default this
 *            server's own GET /service/recommendations/{id})
 *
 * then one JSON answer: {"id", "mode", "session", "user", "service",
 * "steps_ms": {...}, "took_ms"}. Serially (the default) each step starts in
 * the callback of the one before; with ?parallel=1 the three, which do not
 * depend on each other, start at once and a join (Promise.all) answers
 * when the last is back, so took_ms is about the longest step, not the sum.
 *
 * A failure is one JSON error naming the step, {"error", "step"}: bad id
 * 400 (step "request"), memcached unreachable or failing 502, user not
 * found 404, database unreachable 503 (other database errors 500), service
 * unreachable, not 2xx or not JSON 502. Serially the later steps do not
 * run; in parallel the first failed step in the order session, user,
 * service is reported, a service call still running is aborted, and the
 * others finish before the answer (so nothing is left running).
 *
 * Memory: all state of a request is one profile_t in the request's arena.
 * The app keeps a request, and its arena, until it is answered, even after
 * the client left (app.h), and a profile is answered exactly once, by
 * finish(), when no step is running any more: so every callback below may
 * use its profile_t. The client leaving aborts the service call and stops
 * the chain; the step in flight ends and then the request is finished.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

enum { STEP_SESSION, STEP_USER, STEP_SERVICE, NSTEPS };
static const char *const step_names[NSTEPS] = {"session", "user", "service"};

enum { SESSION_SKIPPED, SESSION_MISS, SESSION_HIT };

#define SERVICE_MAX_BODY (1u << 20)
#define SERVICE_MAX_URL 4096
#define DEFAULT_SERVICE_PATH "/service/recommendations/{id}"

typedef struct {
  eddy_join_t join;    /* ?parallel=1; never moves: the struct is in the
                          arena, which lives until finish() */
  serve_t *s;          /* the server: outlives every request */
  eddy_app_req_t *req; /* valid until finish() answers it (see the top) */
  /* The service call while it runs: the client keeps it valid until its
   * on_end or on_error has returned, and both set this to NULL first. */
  eddy_client_req_t *creq;
  int64_t id;
  int parallel;
  int gone; /* the client left: no more steps start */
  uint64_t start_ns, step_start_ns[NSTEPS], step_ns[NSTEPS];
  int fail_status[NSTEPS];      /* 0, or the HTTP status of its failure */
  const char *fail_msg[NSTEPS]; /* its message, in the arena */
  /* The results, copied into the arena: the libraries' buffers live only
   * during their callbacks. */
  int session_state;
  const char *session;
  size_t session_len;
  int64_t user_id;
  const char *user_text[3]; /* name, email, created_at */
  size_t user_len[3];
  const char *service_json; /* compact JSON text */
} profile_t;

static void step_done(profile_t *p, int step);

/* Records that `step` failed with HTTP `status` (first failure kept). */
static void fail(profile_t *p, int step, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(profile_t *p, int step, int status, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (p->fail_status[step]) return;
  p->fail_status[step] = status;
  p->fail_msg[step] = eddy_app_strndup(p->req, msg, strlen(msg));
}

/* A copy in the request's arena; NULL (and the step failed) on OOM. */
static const char *keep(profile_t *p, int step, const char *b, size_t n) {
  const char *c = eddy_app_strndup(p->req, b ? b : "", b ? n : 0);
  if (!c) fail(p, step, 500, "out of memory");
  return c;
}

/* ---- step 1: the session from memcached */

static void got_session(eddy_mc_result_t *res, int status) {
  profile_t *p = res->data;
  if (status == -ENOENT) {
    p->session_state = SESSION_MISS;
  } else if (status) {
    fail(p, STEP_SESSION, 502, "memcached: %s", eddy_strerror(status));
  } else if ((p->session = keep(p, STEP_SESSION, res->value, res->len))) {
    p->session_state = SESSION_HIT;
    p->session_len = res->len;
  }
  step_done(p, STEP_SESSION);
}

static void start_session(profile_t *p) {
  char key[40];
  int n = snprintf(key, sizeof(key), "session:%lld", (long long)p->id);
  int r = 0;
  if (p->s->mc)
    r = eddy_mc_get(p->s->mc, key, (size_t)n, got_session, p);
  else
    p->session_state = SESSION_SKIPPED;
  if (r) fail(p, STEP_SESSION, 502, "memcached: %s", eddy_strerror(r));
  if (r || !p->s->mc) step_done(p, STEP_SESSION); /* nothing to wait for */
}

/* ---- step 2: the user from the database */

static void fail_db(profile_t *p, eddy_db_result_t *res, int status) {
  const char *detail = res && res->error.message && res->error.message[0]
                           ? res->error.message
                           : eddy_strerror(status);
  fail(p, STEP_USER, serve_db_unreachable(status) ? 503 : 500, "database: %s",
       detail);
}

static void got_user(eddy_db_result_t *res, int status) {
  profile_t *p = res->data;
  if (status) {
    fail_db(p, res, status);
  } else if (!res->nrows) {
    fail(p, STEP_USER, 404, "no user %lld", (long long)p->id);
  } else {
    const eddy_db_value_t *row = eddy_db_row(res, 0);
    p->user_id = row[0].i;
    for (int i = 0; i < 3; i++) {
      p->user_text[i] = keep(p, STEP_USER, row[i + 1].p, row[i + 1].len);
      p->user_len[i] = row[i + 1].p ? row[i + 1].len : 0;
    }
  }
  step_done(p, STEP_USER);
}

static void start_user(profile_t *p) {
  static const char sql[] =
      "SELECT id, name, email, created_at FROM users WHERE id = $1";
  eddy_db_value_t id = eddy_db_int(p->id);
  int r = -ECANCELED; /* s->db is NULL once the server closed its data */
  if (p->s->db) r = eddy_db_query(p->s->db, sql, &id, 1, NULL, got_user, p);
  if (r) {
    fail_db(p, NULL, r);
    step_done(p, STEP_USER);
  }
}

/* ---- step 3: the web service through the HTTP client */

/* `tpl` with every "{id}" replaced by `id`, into out; -ENAMETOOLONG if
 * it does not fit. */
static int expand_url(const char *tpl, const char *id, char *out, size_t cap) {
  size_t o = 0, idn = strlen(id);
  for (const char *q = tpl; *q;) {
    int is_id = !strncmp(q, "{id}", 4);
    size_t n = is_id ? idn : 1;
    if (o + n >= cap) return -ENAMETOOLONG;
    memcpy(out + o, is_id ? id : q, n);
    o += n;
    q += is_id ? 4 : 1;
  }
  out[o] = '\0';
  return 0;
}

/* The service's URL for this request: --service-url or this server's own
 * route, with "{id}" replaced. In the arena; NULL if it cannot be made. */
static char *service_url(profile_t *p) {
  const char *tpl = p->s->cfg.service_url;
  char own[512], id[24], url[SERVICE_MAX_URL];
  if (!tpl) {
    const char *h = p->s->cfg.host;
    if (!strcmp(h, "0.0.0.0")) h = "127.0.0.1";
    if (!strcmp(h, "::")) h = "::1";
    int v6 = strchr(h, ':') != NULL;
    snprintf(own, sizeof(own), "http://%s%s%s:%d" DEFAULT_SERVICE_PATH,
             v6 ? "[" : "", h, v6 ? "]" : "",
             eddy_http_server_port(eddy_app_req_server(p->req)));
    tpl = own;
  }
  snprintf(id, sizeof(id), "%lld", (long long)p->id);
  if (expand_url(tpl, id, url, sizeof(url))) return NULL;
  return eddy_app_strndup(p->req, url, strlen(url));
}

static void got_service(eddy_client_req_t *creq, const eddy_client_res_t *r) {
  profile_t *p = creq->data;
  p->creq = NULL; /* ends with this callback */
  json_error_t err;
  json_t *v = NULL;
  char *text = NULL;
  if (r->status < 200 || r->status > 299)
    fail(p, STEP_SERVICE, 502, "the service answered %d", r->status);
  else if (!(v = json_loadb(r->body ? r->body : "", r->body_len,
                            JSON_DECODE_ANY, &err)))
    fail(p, STEP_SERVICE, 502, "the service's answer is not JSON: %s",
         err.text);
  else if (!(text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)))
    fail(p, STEP_SERVICE, 500, "out of memory");
  else
    p->service_json = keep(p, STEP_SERVICE, text, strlen(text));
  free(text);
  json_decref(v);
  step_done(p, STEP_SERVICE);
}

static void service_failed(eddy_client_req_t *creq, int status) {
  profile_t *p = creq->data;
  p->creq = NULL; /* ends with this callback */
  fail(p, STEP_SERVICE, 502, "the service: %s", eddy_strerror(status));
  step_done(p, STEP_SERVICE);
}

static void start_service(profile_t *p) {
  const char *url = service_url(p);
  eddy_client_req_opts_t o = {.url = url,
                              .buffer_body = 1,
                              .max_body = SERVICE_MAX_BODY,
                              .on_end = got_service,
                              .on_error = service_failed,
                              .data = p};
  int r = url ? eddy_client_request(p->s->client, &o, &p->creq) : -ENOMEM;
  if (r) {
    p->creq = NULL;
    fail(p, STEP_SERVICE, r == EDDY_EQUEUEFULL ? 503 : 502, "the service: %s",
         eddy_strerror(r));
    step_done(p, STEP_SERVICE);
  }
}

/* ---- the answer */

static void write_session(eddy_app_jw_t *jw, const profile_t *p) {
  if (p->session_state == SESSION_SKIPPED) {
    eddy_app_jw_object(jw);
    eddy_app_jw_key(jw, "skipped");
    eddy_app_jw_string(jw, "no --memcached");
    eddy_app_jw_object_end(jw);
  } else if (p->session_state == SESSION_MISS) {
    eddy_app_jw_null(jw);
  } else {
    eddy_app_jw_string_n(jw, p->session, p->session_len);
  }
}

static void write_user(eddy_app_jw_t *jw, const profile_t *p) {
  static const char *const keys[3] = {"name", "email", "created_at"};
  eddy_app_jw_object(jw);
  eddy_app_jw_key(jw, "id");
  eddy_app_jw_int(jw, p->user_id);
  for (int i = 0; i < 3; i++) {
    eddy_app_jw_key(jw, keys[i]);
    eddy_app_jw_string_n(jw, p->user_text[i], p->user_len[i]);
  }
  eddy_app_jw_object_end(jw);
}

static void answer_profile(profile_t *p) {
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, p->req);
  eddy_app_jw_object(&jw);
  eddy_app_jw_key(&jw, "id");
  eddy_app_jw_int(&jw, p->id);
  eddy_app_jw_key(&jw, "mode");
  eddy_app_jw_string(&jw, p->parallel ? "parallel" : "serial");
  eddy_app_jw_key(&jw, "session");
  write_session(&jw, p);
  eddy_app_jw_key(&jw, "user");
  write_user(&jw, p);
  eddy_app_jw_key(&jw, "service");
  eddy_app_jw_raw(&jw, p->service_json, strlen(p->service_json));
  eddy_app_jw_key(&jw, "steps_ms");
  eddy_app_jw_object(&jw);
  for (int i = 0; i < NSTEPS; i++) {
    eddy_app_jw_key(&jw, step_names[i]);
    eddy_app_jw_double(&jw, (double)p->step_ns[i] / 1e6);
  }
  eddy_app_jw_object_end(&jw);
  eddy_app_jw_key(&jw, "took_ms");
  eddy_app_jw_double(&jw, (double)(eddy_hrtime() - p->start_ns) / 1e6);
  eddy_app_jw_object_end(&jw);
  if (eddy_app_res_send_jw(eddy_app_req_res(p->req), &jw) == -EINVAL)
    eddy_app_next(p->req, jw.error ? jw.error : -ENOMEM);
}

/* {"error", "step"} with `status`; `step` may be "request". */
static void answer_error(eddy_app_req_t *req, int status, const char *step,
                         const char *msg) {
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, req);
  eddy_app_jw_object(&jw);
  eddy_app_jw_key(&jw, "error");
  eddy_app_jw_string(&jw, msg ? msg : "out of memory");
  eddy_app_jw_key(&jw, "step");
  eddy_app_jw_string(&jw, step);
  eddy_app_jw_object_end(&jw);
  eddy_app_res_t *res = eddy_app_req_res(req);
  eddy_app_res_status(res, status);
  if (eddy_app_res_send_jw(res, &jw) == -EINVAL)
    eddy_app_next(req, jw.error ? jw.error : -ENOMEM);
}

/* Answers the request, once, when no step runs any more; p is gone after
 * this (it lives in the request's arena). */
static void finish(profile_t *p) {
  eddy_app_res_t *res = eddy_app_req_res(p->req);
  eddy_app_res_on_close(res, NULL, NULL);
  if (p->gone) { /* nobody to tell: release the request */
    eddy_app_res_end(res, NULL, 0);
    return;
  }
  for (int i = 0; i < NSTEPS; i++)
    if (p->fail_status[i]) {
      answer_error(p->req, p->fail_status[i], step_names[i], p->fail_msg[i]);
      return;
    }
  answer_profile(p);
}

/* ---- serial and parallel */

static void start_step(profile_t *p, int step) {
  p->step_start_ns[step] = eddy_hrtime();
  if (step == STEP_SESSION)
    start_session(p);
  else if (step == STEP_USER)
    start_user(p);
  else
    start_service(p);
}

static void step_done(profile_t *p, int step) {
  p->step_ns[step] = eddy_hrtime() - p->step_start_ns[step];
  int failed = p->fail_status[step] != 0;
  if (p->parallel) {
    /* The answer will be this failure (or an earlier step's): the
     * service's answer is not needed any more. */
    if (failed && step != STEP_SERVICE && p->creq) eddy_client_abort(p->creq);
    eddy_join_settle(eddy_join_slot(&p->join, (size_t)step), failed ? -1 : 0);
  } else if (failed || p->gone || step == STEP_SERVICE) {
    finish(p);
  } else {
    start_step(p, step + 1);
  }
}

static void on_joined(eddy_join_t *j) {
  profile_t *p = EDDY_CONTAINER_OF(j, profile_t, join);
  eddy_join_cleanup(j); /* before finish() frees the arena holding j */
  finish(p);
}

/* The client left: stop the chain; the service call can be aborted (its
 * on_error follows, later), the other steps end by themselves. */
static void requester_gone(eddy_app_req_t *req, eddy_app_res_t *res,
                           void *arg) {
  profile_t *p = arg;
  p->gone = 1;
  if (p->creq) eddy_client_abort(p->creq);
}

/* Reads a decimal in 1..INT64_MAX; -1 if `s` is not one. */
static int64_t positive_id(const char *s) {
  if (!s || *s < '0' || *s > '9') return -1;
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  return errno || *end || v < 1 ? -1 : v;
}

static void route_profile(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  int64_t id = positive_id(eddy_app_req_param(req, "id"));
  if (id < 0) {
    answer_error(req, 400, "request", "the id must be a positive integer");
    return;
  }
  profile_t *p = eddy_app_alloc_zero(req, sizeof(*p));
  if (!p) {
    eddy_app_next(req, -ENOMEM);
    return;
  }
  const char *par = eddy_app_req_query(req, "parallel");
  *p = (profile_t){.s = arg, .req = req, .id = id, .start_ns = eddy_hrtime()};
  p->parallel = par && strcmp(par, "0") && strcmp(par, "false");
  if (p->parallel &&
      eddy_join_init(eddy_app_req_loop(req), &p->join, NSTEPS, on_joined)) {
    eddy_app_next(req, -ENOMEM);
    return;
  }
  /* Before any step: a step that fails at once answers (and clears it). */
  eddy_app_res_on_close(res, requester_gone, p);
  if (!p->parallel) {
    start_step(p, STEP_SESSION); /* each step starts the next */
    return;
  }
  for (int i = 0; i < NSTEPS; i++) start_step(p, i);
}

/* ---- the web service: GET /service/recommendations/:id */

typedef struct {
  eddy_timer_t timer;  /* first: the close callback frees the struct */
  eddy_app_req_t *req; /* valid until reco_fire answers it (app.h) */
  int64_t id;
} reco_t;

static void reco_free(eddy_handle_t *h) { free(h); }

static void reco_fire(eddy_timer_t *t) {
  reco_t *r = (reco_t *)t;
  static const char *const titles[3] = {"Event loops, explained",
                                        "A thread pool for blocking calls",
                                        "Promise.all in C"};
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, r->req);
  eddy_app_jw_object(&jw);
  eddy_app_jw_key(&jw, "user_id");
  eddy_app_jw_int(&jw, r->id);
  eddy_app_jw_key(&jw, "recommendations");
  eddy_app_jw_array(&jw);
  for (int i = 0; i < 3; i++) eddy_app_jw_string(&jw, titles[i]);
  eddy_app_jw_array_end(&jw);
  eddy_app_jw_object_end(&jw);
  eddy_app_res_t *res = eddy_app_req_res(r->req);
  eddy_app_res_on_close(res, NULL, NULL); /* the request ends here */
  if (eddy_app_res_send_jw(res, &jw) == -EINVAL) eddy_app_next(r->req, -ENOMEM);
  eddy_close(EDDY_HANDLE(&r->timer), reco_free);
}

/* The client left: answer (that is, release the request) at once, from
 * the timer rather than inside the server's close notification. */
static void reco_gone(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  reco_t *r = arg;
  eddy_timer_start(&r->timer, reco_fire, 0, 0);
}

static void route_service(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  serve_t *s = arg;
  int64_t id = positive_id(eddy_app_req_param(req, "id"));
  if (id < 0) {
    eddy_app_fail(req, 400, "the id must be a positive integer");
    return;
  }
  reco_t *r = calloc(1, sizeof(*r));
  if (!r) {
    eddy_app_next(req, -ENOMEM);
    return;
  }
  r->req = req;
  r->id = id;
  eddy_timer_init(s->loop, &r->timer);
  eddy_timer_start(&r->timer, reco_fire, s->cfg.service_delay_ms, 0);
  eddy_app_res_on_close(res, reco_gone, r);
}

int serve_add_profile(serve_t *s) {
  if (s->cfg.service_url) { /* checked once here, with the longest id */
    char url[SERVICE_MAX_URL];
    eddy_client_url_t u;
    int r = expand_url(s->cfg.service_url, "9223372036854775807", url,
                       sizeof(url));
    if (!r) r = eddy_client_url_parse(url, strlen(url), &u);
    if (r) {
      fprintf(stderr, "eddy serve: --service-url %s: %s\n", s->cfg.service_url,
              eddy_strerror(r));
      return r;
    }
  }
  int r = s->client ? 0 : eddy_client_create(s->loop, NULL, &s->client);
  if (!r) r = eddy_app_get(s->app, "/profile/:id", route_profile, s);
  if (!r)
    r = eddy_app_get(s->app, "/service/recommendations/:id", route_service, s);
  return r;
}

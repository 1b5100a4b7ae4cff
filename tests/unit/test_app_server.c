/*
 * The app over real HTTP: an in-process server on a loop thread, a raw
 * socket client on the test thread. Routing answers (404, 405 + Allow,
 * HEAD, OPTIONS, 400 on bad escapes), middleware order, async next,
 * error middleware and the default handler, routers, the running label.
 */
#include <criterion/criterion.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy/app.h"
#include "support/e2e_helpers.h"
#include "support/app_fixture.h"
#include "support/httpsrv_helpers.h"

TestSuite(app_server, .timeout = 20);

static tsrv_t srv;
static eddy_app_t *app;
static char out[16384];

static void start(void) { app_fixture_start(&srv, app); }
static void stop(void) { app_fixture_stop(&srv, &app); }

/* One request (extra header lines and a body may be NULL); returns the
 * status and leaves the whole response in `out`. */
static int ask(const char *method, const char *path, const char *headers,
               const char *body) {
  return app_fixture_ask(srv.port, method, path, headers, body, out,
                         sizeof out);
}

static const char *body(void) { return app_fixture_body(out); }

static void say(eddy_app_res_t *res, const char *s) {
  eddy_app_res_type(res, "txt");
  eddy_app_res_send(res, s);
}

static void user(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  char *s = eddy_app_printf(req, "%s id=%s label=%s", (char *)arg,
                            eddy_app_req_param(req, "id"),
                            eddy_loop_label(eddy_app_req_loop(req), NULL));
  say(res, s);
}

static void files(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  say(res, eddy_app_req_param(req, "*"));
}

Test(app_server, routes_params_and_the_default_answers) {
  app = eddy_app_create();
  cr_assert_eq(eddy_app_get(app, "/users/:id", user, "param"), 0);
  cr_assert_eq(eddy_app_get(app, "/users/me", user, "literal"), 0);
  cr_assert_eq(eddy_app_post(app, "/users/:id", user, "post"), 0);
  cr_assert_eq(eddy_app_get(app, "/files/*", files, NULL), 0);
  cr_assert_eq(eddy_app_get(app, "/users/:name", user, NULL), -EEXIST);
  start();
  cr_assert_eq(ask("GET", "/users/42", NULL, NULL), 200);
  cr_assert_str_eq(body(), "param id=42 label=GET /users/:id");
  cr_assert_eq(ask("GET", "/users/me", NULL, NULL), 200);
  cr_assert_str_eq(body(), "literal id=(null) label=GET /users/me");
  cr_assert_eq(ask("GET", "/users/a%20b%2Fc", NULL, NULL), 200);
  cr_assert_str_eq(body(), "param id=a b/c label=GET /users/:id");
  cr_assert_eq(ask("GET", "/users/a%00b", NULL, NULL), 400);
  cr_assert(strstr(body(), "malformed percent-encoding"), "%s", out);
  cr_assert_eq(ask("GET", "/files/a/b.txt", NULL, NULL), 200);
  cr_assert_str_eq(body(), "a/b.txt");
  cr_assert_eq(ask("GET", "/nope", NULL, NULL), 404);
  cr_assert_str_eq(body(), "{\"error\":\"Not Found\"}");
  cr_assert(strstr(out, "Content-Type: application/json"));
  cr_assert_eq(ask("DELETE", "/users/42", NULL, NULL), 405);
  cr_assert(strstr(out, "Allow: GET, HEAD, POST, OPTIONS\r\n"), "%s", out);
  cr_assert_eq(ask("HEAD", "/users/42", NULL, NULL), 200);
  cr_assert(strstr(out, "Content-Length: 32\r\n"), "%s", out);
  cr_assert_str_eq(body(), "");
  cr_assert_eq(ask("OPTIONS", "/users/42", NULL, NULL), 204);
  cr_assert(strstr(out, "Allow: GET, HEAD, POST, OPTIONS\r\n"), "%s", out);
  cr_assert_eq(ask("OPTIONS", "/nope", NULL, NULL), 404);
  stop();
}

/* Middleware that appends its name to the "trail" local. */
static void trail(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  const char *t = eddy_app_locals_get(req, "trail");
  eddy_app_locals_set(req, "trail",
                      eddy_app_printf(req, "%s%s ", t ? t : "", (char *)arg));
  eddy_app_next(req, 0);
}

static void show_trail(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  trail(req, res, arg); /* calls next: the handler must not, so undo */
}

static void answer_trail(eddy_app_req_t *req, eddy_app_res_t *res,
                         void *arg) {
  const char *t = eddy_app_locals_get(req, "trail");
  say(res, eddy_app_printf(req, "%s%s", t ? t : "", (char *)arg));
}

static void pass(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  eddy_app_next(req, 0);
}

Test(app_server, middleware_and_routes_run_in_registration_order) {
  app = eddy_app_create();
  eddy_app_use(app, NULL, trail, "all");
  eddy_app_use(app, "/api", trail, "api");
  eddy_app_use(app, "/apix", trail, "apix");
  eddy_app_get(app, "/api/x", answer_trail, "route");
  eddy_app_get(app, "/api/pass", pass, NULL);
  eddy_app_use(app, "/api", trail, "late");
  eddy_app_use(app, NULL, answer_trail, "custom-404");
  (void)show_trail;
  start();
  cr_assert_eq(ask("GET", "/api/x", NULL, NULL), 200);
  cr_assert_str_eq(body(), "all api route");
  cr_assert_eq(ask("GET", "/api/pass", NULL, NULL), 200);
  cr_assert_str_eq(body(), "all api late custom-404");
  cr_assert_eq(ask("GET", "/apix", NULL, NULL), 200);
  cr_assert_str_eq(body(), "all apix custom-404");
  stop();
}

/* Async next: a timer, then the next layer. */
typedef struct {
  eddy_timer_t timer;
  eddy_app_req_t *req;
  int err;
} later_t;

static void free_later(eddy_handle_t *h) { free(h->data); }

static void on_later(eddy_timer_t *t) {
  later_t *l = t->data;
  eddy_app_req_t *req = l->req;
  int err = l->err;
  eddy_close((eddy_handle_t *)t, free_later);
  eddy_app_locals_set(req, "waited", "yes");
  eddy_app_next(req, err);
}

static void wait_ms(eddy_app_req_t *req, int err, uint64_t ms) {
  later_t *l = calloc(1, sizeof(*l));
  l->req = req;
  l->err = err;
  eddy_timer_init(eddy_app_req_loop(req), &l->timer);
  l->timer.data = l;
  eddy_timer_start(&l->timer, on_later, ms, 0);
}

static void wait_then_next(eddy_app_req_t *req, eddy_app_res_t *res,
                           void *arg) {
  wait_ms(req, (int)(intptr_t)arg, 20);
}

static void waited(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  say(res, eddy_app_locals_get(req, "waited"));
}

static int error_seen;
static void on_error(int err, eddy_app_req_t *req, eddy_app_res_t *res,
                     void *arg) {
  error_seen = err;
  if (arg) {
    eddy_app_res_status(res, 418);
    say(res, eddy_app_printf(req, "caught %s", eddy_err_name(err)));
  } else {
    eddy_app_next(req, 0); /* keeps the error */
  }
}

static void fails(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  eddy_app_next(req, (int)(intptr_t)arg);
}

static void teapot(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  eddy_app_fail(req, 422, "field '%s' is missing", "name");
}

static void teapot_1xx(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  eddy_app_fail(req, 150, "no final status");
}

Test(app_server, async_next_and_error_middleware) {
  app = eddy_app_create();
  eddy_app_use_error(app, NULL, on_error, "too early: never runs");
  eddy_app_use(app, "/slow", wait_then_next, NULL);
  eddy_app_use(app, "/slowfail", wait_then_next, (void *)(intptr_t)-EIO);
  eddy_app_get(app, "/slow", waited, NULL);
  eddy_app_get(app, "/slowfail", waited, NULL);
  eddy_app_get(app, "/caught", fails, (void *)(intptr_t)-ENOENT);
  eddy_app_get(app, "/internal", fails, (void *)(intptr_t)-EACCES);
  eddy_app_get(app, "/status", fails, (void *)(intptr_t)-403);
  eddy_app_get(app, "/teapot", teapot, NULL);
  /* errnos of -100..-133 (a client's -ETIMEDOUT passed straight on) were
   * answered as status 1xx, an interim head the client waits past */
  eddy_app_get(app, "/timedout", fails, (void *)(intptr_t)-ETIMEDOUT);
  eddy_app_get(app, "/refused", fails, (void *)(intptr_t)-ECONNREFUSED);
  eddy_app_get(app, "/interim", teapot_1xx, NULL);
  eddy_app_use_error(app, "/caught", on_error, "answer");
  eddy_app_use_error(app, NULL, on_error, NULL);
  start();
  cr_assert_eq(ask("GET", "/slow", NULL, NULL), 200);
  cr_assert_str_eq(body(), "yes");
  cr_assert_eq(ask("GET", "/slowfail", NULL, NULL), 500);
  cr_assert_str_eq(body(), "{\"error\":\"Internal Server Error\"}");
  cr_assert_eq(error_seen, -EIO);
  cr_assert_eq(ask("GET", "/caught", NULL, NULL), 418);
  cr_assert_str_eq(body(), "caught ENOENT");
  cr_assert_eq(ask("GET", "/internal", NULL, NULL), 500);
  cr_assert_str_eq(body(), "{\"error\":\"Internal Server Error\"}");
  cr_assert_eq(ask("GET", "/status", NULL, NULL), 403);
  cr_assert_str_eq(body(), "{\"error\":\"Forbidden\"}");
  cr_assert_eq(ask("GET", "/teapot", NULL, NULL), 422);
  cr_assert_str_eq(body(), "{\"error\":\"field 'name' is missing\"}");
  cr_assert_eq(ask("GET", "/timedout", NULL, NULL), 500);
  cr_assert_eq(ask("GET", "/refused", NULL, NULL), 500);
  cr_assert_eq(ask("GET", "/interim", NULL, NULL), 500);
  stop();
}

static void sub_hello(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  say(res, eddy_app_printf(req, "sub %s %s", eddy_app_req_route(req),
                           eddy_app_req_param(req, "n")));
}

Test(app_server, mounted_router) {
  app = eddy_app_create();
  eddy_app_t *v1 = eddy_app_create(), *inner = eddy_app_create();
  eddy_app_use(v1, NULL, trail, "v1");
  eddy_app_get(v1, "/hello/:n", sub_hello, NULL);
  eddy_app_get(v1, "/", answer_trail, "v1-root");
  eddy_app_get(inner, "/deep", answer_trail, "deep");
  cr_assert_eq(eddy_app_mount(v1, "/inner", inner), 0);
  cr_assert_eq(eddy_app_mount(app, "/v1", v1), 0);
  cr_assert_eq(eddy_app_mount(app, "/again", v1), -EINVAL);
  cr_assert_eq(eddy_app_mount(inner, "/x", app), -EINVAL); /* a cycle */
  cr_assert_eq(eddy_app_use(app, "/a//b", pass, NULL), -EINVAL);
  cr_assert_eq(eddy_app_use(app, "/u/*", pass, NULL), -EINVAL);
  cr_assert_eq(eddy_app_use(app, "/u/:", pass, NULL), -EINVAL);
  eddy_app_t *unmounted = eddy_app_create();
  cr_assert_eq(eddy_app_mount(app, "/u/:id", unmounted), -EINVAL);
  eddy_app_destroy(unmounted);
  cr_assert_eq(eddy_app_use(app, "api", pass, NULL), -EINVAL);
  eddy_app_use(app, NULL, trail, "after");
  start();
  cr_assert_eq(ask("GET", "/v1/hello/bob", NULL, NULL), 200);
  cr_assert_str_eq(body(), "sub /v1/hello/:n bob");
  cr_assert_eq(ask("GET", "/v1", NULL, NULL), 200);
  cr_assert_str_eq(body(), "v1 v1-root");
  cr_assert_eq(ask("GET", "/v1/inner/deep", NULL, NULL), 200);
  cr_assert_str_eq(body(), "v1 deep");
  cr_assert_eq(ask("GET", "/hello/bob", NULL, NULL), 404);
  cr_assert_eq(eddy_app_get(app, "/late", pass, NULL), -EBUSY);
  stop();
}

static void route_n(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  say(res, eddy_app_printf(req, "%d %s", (int)(intptr_t)arg,
                           eddy_app_req_param(req, "id")));
}

Test(app_server, a_thousand_routes) {
  app = eddy_app_create();
  char pat[64];
  for (int i = 0; i < 1000; i++) {
    snprintf(pat, sizeof pat, "/r%d/:id", i);
    cr_assert_eq(eddy_app_get(app, pat, route_n, (void *)(intptr_t)i), 0);
  }
  start();
  for (int i = 0; i < 1000; i += 111) {
    snprintf(pat, sizeof pat, "/r%d/x%d", i, i);
    cr_assert_eq(ask("GET", pat, NULL, NULL), 200);
    char want[64];
    snprintf(want, sizeof want, "%d x%d", i, i);
    cr_assert_str_eq(body(), want);
  }
  stop();
}

/* The client leaves (a reset) while a middleware waits: on_close runs, the
 * later next() finishes the request (on_end runs, nothing leaks or
 * crashes). A bare FIN would not do: it may be a half-close, whose client
 * still waits for the answer (test_http_half_close.c). */
static volatile int closes, ends;

static void note_close(eddy_app_req_t *req, eddy_app_res_t *res, void *a) {
  closes++;
}

static void note_end(eddy_app_req_t *req, eddy_app_res_t *res, void *a) {
  ends++;
}

static void wait_watching(eddy_app_req_t *req, eddy_app_res_t *res,
                          void *arg) {
  eddy_app_res_on_close(res, note_close, NULL);
  wait_ms(req, 0, 500); /* long enough for the close to be seen first */
}

static void never(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  cr_assert_fail("the route ran for a client that left");
}

Test(app_server, client_leaves_during_async_middleware) {
  app = eddy_app_create();
  eddy_app_use(app, "/gone", wait_watching, NULL);
  eddy_app_get(app, "/gone", never, NULL);
  eddy_app_get(app, "/here", answer_trail, "here");
  eddy_app_on_end(app, note_end, NULL);
  start();
  e2e_server_t s = {.pid = 0, .port = srv.port};
  int fd = e2e_connect(&s);
  const char *req = "GET /gone HTTP/1.1\r\nHost: t\r\n\r\n";
  e2e_send(fd, req, strlen(req));
  usleep(5000);
  struct linger reset = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  close(fd);
  for (int i = 0; i < 400 && ends < 1; i++) usleep(5000);
  cr_assert_eq(closes, 1);
  cr_assert_eq(ends, 1);
  cr_assert_eq(ask("GET", "/here", NULL, NULL), 200);
  cr_assert_str_eq(body(), "here");
  stop();
}

/* The stall detector names the route that blocks the loop. */
static _Atomic(const char *) stalled_label;

static void on_stall(eddy_loop_t *loop, const char *label, uint64_t ns,
                     void *arg) {
  const char *none = NULL;
  atomic_compare_exchange_strong(&stalled_label, &none, label);
}

static void block(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  uint64_t until = eddy_hrtime() + 500 * 1000000ull;
  while (eddy_hrtime() < until) {
  }
  say(res, "done");
}

Test(app_server, the_stall_detector_names_the_route) {
  app = eddy_app_create();
  eddy_app_use(app, NULL, pass, NULL);
  eddy_app_get(app, "/block/:n", block, NULL);
  tsrv_init(&srv, NULL, eddy_app_http_handler);
  srv.server.data = app;
  cr_assert_eq(eddy_loop_stall_start(&srv.loop, 50, on_stall, NULL), 0);
  tsrv_run(&srv);
  cr_assert_eq(ask("GET", "/block/1", NULL, NULL), 200);
  cr_assert_str_eq(atomic_load(&stalled_label), "GET /block/:n");
  stop();
}

/* next() in a route handler goes on to the next route that matches (in
 * the lookup's order), at its place among the middleware, as in Express;
 * a route whose place is behind runs at once. */
Test(app_server, next_from_a_route_reaches_the_next_matching_route) {
  app = eddy_app_create();
  eddy_app_get(app, "/users/me", trail, "literal");
  eddy_app_use(app, "/users", trail, "mw");
  eddy_app_all(app, "/users/me", trail, "all");
  eddy_app_get(app, "/users/:id", trail, "param");
  eddy_app_get(app, "/p/:x", trail, "p-param");
  eddy_app_get(app, "/p/lit", trail, "p-lit");
  eddy_app_use(app, NULL, answer_trail, "end");
  start();
  cr_assert_eq(ask("GET", "/users/me", NULL, NULL), 200);
  cr_assert_str_eq(body(), "literal mw all param end");
  cr_assert_eq(ask("POST", "/users/me", NULL, NULL), 200);
  cr_assert_str_eq(body(), "mw all end");
  cr_assert_eq(ask("GET", "/users/42", NULL, NULL), 200);
  cr_assert_str_eq(body(), "mw param end");
  /* /p/lit: the literal first (precedence); then /p/:x, registered
   * before it, whose place is behind: at once */
  cr_assert_eq(ask("GET", "/p/lit", NULL, NULL), 200);
  cr_assert_str_eq(body(), "p-lit p-param end");
  stop();
}

/* eddy_app_res_bytes counts the body bytes sent: none for HEAD or 204. */
static _Atomic uint64_t end_bytes;

static void note_bytes(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  atomic_store(&end_bytes, eddy_app_res_bytes(res));
}

static void no_content(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  eddy_app_res_status(res, 204);
  eddy_app_res_send(res, "dropped");
}

Test(app_server, bytes_count_what_is_sent) {
  app = eddy_app_create();
  eddy_app_get(app, "/ten", answer_trail, "0123456789");
  eddy_app_get(app, "/none", no_content, NULL);
  eddy_app_on_end(app, note_bytes, NULL);
  start();
  cr_assert_eq(ask("GET", "/ten", NULL, NULL), 200);
  cr_assert_eq(atomic_load(&end_bytes), 10);
  atomic_store(&end_bytes, 99);
  cr_assert_eq(ask("HEAD", "/ten", NULL, NULL), 200);
  cr_assert(strstr(out, "Content-Length: 10\r\n"), "%s", out);
  cr_assert_eq(atomic_load(&end_bytes), 0);
  atomic_store(&end_bytes, 99);
  cr_assert_eq(ask("GET", "/none", NULL, NULL), 204);
  cr_assert_eq(atomic_load(&end_bytes), 0);
  stop();
}

/* app.use('/users/:id', ...): the middleware sees its prefix's parameters
 * and the path below the matched segments; the route sees its own. */
static const char *or_dash(const char *s) { return s ? s : "-"; }

static void show_param(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  const char *t = eddy_app_locals_get(req, "trail");
  eddy_app_locals_set(
      req, "trail",
      eddy_app_printf(req, "%s%s=%s:%s ", t ? t : "", (char *)arg,
                      or_dash(eddy_app_req_param(req, (char *)arg)),
                      eddy_app_req_subpath(req)));
  eddy_app_next(req, 0);
}

static void route_params(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  const char *t = eddy_app_locals_get(req, "trail");
  say(res, eddy_app_printf(req, "%sroute uid=%s id=%s", t ? t : "",
                           or_dash(eddy_app_req_param(req, "uid")),
                           or_dash(eddy_app_req_param(req, "id"))));
}

Test(app_server, middleware_prefix_with_parameters) {
  app = eddy_app_create();
  cr_assert_eq(eddy_app_use(app, "/users/:id", show_param, "id"), 0);
  cr_assert_eq(eddy_app_use(app, "/users/:id/posts/:post", show_param, "post"),
               0);
  eddy_app_get(app, "/users/:uid/posts/:pid", route_params, NULL);
  eddy_app_use(app, NULL, answer_trail, "end");
  start();
  cr_assert_eq(ask("GET", "/users/7/posts/9", NULL, NULL), 200);
  cr_assert_str_eq(body(), "id=7:/posts/9 post=9:/ route uid=7 id=-");
  cr_assert_eq(ask("GET", "/users/a%20b/", NULL, NULL), 200);
  cr_assert_str_eq(body(), "id=a b:/ end");
  cr_assert_eq(ask("GET", "/users", NULL, NULL), 200); /* never empty */
  cr_assert_str_eq(body(), "end");
  cr_assert_eq(ask("GET", "/usersx/1", NULL, NULL), 200);
  cr_assert_str_eq(body(), "end");
  cr_assert_eq(ask("GET", "/users/a%00b/posts", NULL, NULL), 400);
  cr_assert(strstr(body(), "malformed percent-encoding"), "%s", out);
  stop();
}

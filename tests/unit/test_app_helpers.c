/*
 * Request and response helpers over real HTTP: query and cookies,
 * headers, JSON and form bodies (limits, errors), res.json, the writer,
 * redirect, Set-Cookie, type, send_file, the on-end hook.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy/app.h"
#include "support/app_fixture.h"
#include "support/httpsrv_helpers.h"

TestSuite(app_helpers, .timeout = 20);

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

static void echo_query(eddy_app_req_t *req, eddy_app_res_t *res, void *a) {
  const char *all[4];
  size_t n = eddy_app_req_query_all(req, "tag", all, 4);
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, req);
  eddy_app_jw_object(&jw);
  eddy_app_jw_key(&jw, "q");
  eddy_app_jw_string(&jw, eddy_app_req_query(req, "q"));
  eddy_app_jw_key(&jw, "tags");
  eddy_app_jw_array(&jw);
  for (size_t i = 0; i < n && i < 4; i++) eddy_app_jw_string(&jw, all[i]);
  eddy_app_jw_array_end(&jw);
  eddy_app_jw_key(&jw, "sid");
  eddy_app_jw_string(&jw, eddy_app_req_cookie(req, "sid"));
  eddy_app_jw_key(&jw, "theme");
  eddy_app_jw_string(&jw, eddy_app_req_cookie(req, "theme"));
  eddy_app_jw_key(&jw, "ua");
  eddy_app_jw_string(&jw, eddy_app_req_header(req, "user-AGENT"));
  eddy_app_jw_key(&jw, "ip");
  eddy_app_jw_string(&jw, eddy_app_req_ip(req));
  eddy_app_jw_object_end(&jw);
  cr_assert_eq(eddy_app_res_send_jw(res, &jw), 0);
}

Test(app_helpers, query_cookies_headers) {
  app = eddy_app_create();
  eddy_app_set_trust_proxy(app, 1);
  eddy_app_get(app, "/q", echo_query, NULL);
  start();
  cr_assert_eq(ask("GET", "/q?q=caf%C3%A9+au+lait&tag=a&tag=b%26c",
                   "Cookie: sid=s1; theme=\"dark\"\r\nCookie: x=1\r\n"
                   "User-Agent: t/1\r\nX-Forwarded-For: 10.0.0.7, 1.2.3.4\r\n",
                   NULL),
               200);
  cr_assert_str_eq(body(), "{\"q\":\"caf\xc3\xa9 au lait\",\"tags\":[\"a\","
                           "\"b&c\"],\"sid\":\"s1\",\"theme\":\"dark\","
                           "\"ua\":\"t/1\",\"ip\":\"10.0.0.7\"}");
  cr_assert(strstr(out, "Content-Type: application/json\r\n"));
  stop();
}

/* Without trust_proxy, X-Forwarded-For is ignored: the address is the
 * connection's peer. */
Test(app_helpers, ip_is_the_peer_address) {
  app = eddy_app_create();
  eddy_app_get(app, "/q", echo_query, NULL);
  start();
  cr_assert_eq(ask("GET", "/q", "X-Forwarded-For: 10.0.0.7\r\n", NULL), 200);
  cr_assert(strstr(body(), "\"ip\":\"127.0.0.1\""), "%s", body());
  stop();
}

static void echo_json(eddy_app_req_t *req, eddy_app_res_t *res, void *a) {
  json_t *v = eddy_app_req_json(req);
  if (!v) {
    eddy_app_res_send(res, "no json");
    return;
  }
  json_t *o = json_pack("{s:O,s:s}", "got", v, "ok", "yes");
  eddy_app_res_json(res, o);
  json_decref(o);
}

static void echo_form(eddy_app_req_t *req, eddy_app_res_t *res, void *a) {
  const char *k, *v;
  char *s = eddy_app_printf(req, "name=%s", eddy_app_req_form(req, "name"));
  for (size_t i = 0; eddy_app_req_form_at(req, i, &k, &v) == 0; i++)
    s = eddy_app_printf(req, "%s [%s=%s]", s, k, v);
  eddy_app_res_send(res, s);
}

static eddy_app_body_opts_t small = {.limit = 64};

Test(app_helpers, json_and_form_bodies) {
  app = eddy_app_create();
  /* The first parser that takes a body wins: the narrow one first. */
  eddy_app_use(app, "/small", eddy_app_json_body, &small);
  eddy_app_use(app, NULL, eddy_app_json_body, NULL);
  eddy_app_use(app, NULL, eddy_app_urlencoded_body, NULL);
  eddy_app_post(app, "/echo", echo_json, NULL);
  eddy_app_post(app, "/small", echo_json, NULL);
  eddy_app_post(app, "/form", echo_form, NULL);
  start();
  const char *json = "Content-Type: application/json; charset=utf-8\r\n";
  cr_assert_eq(ask("POST", "/echo", json, "{\"a\":[1,\"\\u00e9\"]}"), 200);
  cr_assert_str_eq(body(), "{\"got\":{\"a\":[1,\"\xc3\xa9\"]},\"ok\":\"yes\"}");
  cr_assert_eq(ask("POST", "/echo", "Content-Type: application/vnd.x+json\r\n",
                   "[true]"), 200);
  cr_assert_eq(ask("POST", "/echo", json, "{\"a\": tru}"), 400);
  cr_assert(strstr(body(), "invalid JSON at line 1, column"), "%s", out);
  cr_assert_eq(ask("POST", "/echo", json, "{\"a\":1} x"), 400);
  cr_assert(strstr(body(), "end of file expected"), "%s", out);
  cr_assert_eq(ask("POST", "/echo", "Content-Type: text/plain\r\n", "{"), 200);
  cr_assert_str_eq(body(), "no json");
  char big[200];
  memset(big, ' ', sizeof big);
  memcpy(big, "{\"a\":1}", 7);
  big[199] = '\0';
  cr_assert_eq(ask("POST", "/small", json, big), 413);
  cr_assert_str_eq(body(),
                   "{\"error\":\"request body is larger than 64 bytes\"}");
  /* 100 KiB default */
  static char huge[120 * 1024];
  memset(huge, ' ', sizeof huge - 1);
  huge[0] = '[', huge[sizeof huge - 2] = ']';
  cr_assert_eq(ask("POST", "/echo", json, huge), 413);
  const char *form = "Content-Type: application/x-www-form-urlencoded\r\n";
  cr_assert_eq(ask("POST", "/form", form, "name=J+Doe&x=1&x=%262"), 200);
  cr_assert_str_eq(body(), "name=J Doe [name=J Doe] [x=1] [x=&2]");
  cr_assert_eq(ask("POST", "/form", form, "name=%zz"), 400);
  cr_assert(strstr(body(), "malformed"), "%s", out);
  stop();
}

static char file_path[64];

static void responses(eddy_app_req_t *req, eddy_app_res_t *res, void *a) {
  const char *what = eddy_app_req_param(req, "what");
  if (!strcmp(what, "redirect")) {
    cr_assert_eq(eddy_app_res_redirect(res, 0, "/x\r\nEvil: 1"), -EINVAL);
    eddy_app_res_redirect(res, 301, "/new");
  } else if (!strcmp(what, "cookie")) {
    eddy_app_cookie_opts_t o = {.path = "/", .max_age = 60, .http_only = 1,
                                .same_site = "Lax"};
    cr_assert_eq(eddy_app_res_set_cookie(res, "a", "b c", NULL), -EINVAL);
    cr_assert_eq(eddy_app_res_set_cookie(res, "a;", "b", NULL), -EINVAL);
    cr_assert_eq(eddy_app_res_set_cookie(res, "sid", "abc", &o), 0);
    cr_assert_eq(eddy_app_res_set_cookie(res, "t", "1", NULL), 0);
    eddy_app_res_end(res, NULL, 0);
  } else if (!strcmp(what, "type")) {
    eddy_app_res_type(res, ".css");
    eddy_app_res_send(res, "a{}");
  } else if (!strcmp(what, "problem") || !strcmp(what, "json")) {
    /* res.json keeps a type the app chose; else application/json, set
     * once even over a type set on the HTTP response directly */
    if (what[0] == 'p')
      eddy_app_res_set(res, "content-type", "application/problem+json");
    else
      eddy_http_res_set_header(eddy_app_res_http(res), "Content-Type", "x/y");
    eddy_app_jw_t jw;
    eddy_app_jw_init(&jw, req);
    eddy_app_jw_object(&jw);
    eddy_app_jw_key(&jw, "title");
    eddy_app_jw_string(&jw, "Not here");
    eddy_app_jw_object_end(&jw);
    eddy_app_res_status(res, what[0] == 'p' ? 404 : 200);
    eddy_app_res_send_jw(res, &jw);
  } else if (!strcmp(what, "file")) {
    cr_assert_eq(eddy_app_res_send_file(res, file_path), 0);
  } else if (!strcmp(what, "missing")) {
    cr_assert_eq(eddy_app_res_send_file(res, "/nonexistent/x.txt"), 0);
  } else {
    eddy_app_res_status(res, 201);
    eddy_app_res_write(res, "chunk,", 6);
    eddy_app_res_end(res, "end", 3);
  }
}

static int ended, ended_status;
static void on_end(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  ended++;
  ended_status = eddy_app_res_get_status(res);
  cr_assert_str_eq(eddy_app_req_route(req), "/r/:what");
}

Test(app_helpers, responses) {
  snprintf(file_path, sizeof file_path, "/tmp/eddy-app-%d.html", getpid());
  FILE *f = fopen(file_path, "w");
  fputs("<p>hi</p>", f);
  fclose(f);
  app = eddy_app_create();
  eddy_app_get(app, "/r/:what", responses, NULL);
  eddy_app_on_end(app, on_end, NULL);
  start();
  cr_assert_eq(ask("GET", "/r/redirect", NULL, NULL), 301);
  cr_assert(strstr(out, "Location: /new\r\n"));
  cr_assert_str_eq(body(), "Moved Permanently. Redirecting to /new");
  cr_assert_eq(ask("GET", "/r/cookie", NULL, NULL), 200);
  cr_assert(strstr(out, "Set-Cookie: sid=abc; Path=/; Max-Age=60; HttpOnly; "
                        "SameSite=Lax\r\nSet-Cookie: t=1\r\n"), "%s", out);
  cr_assert_eq(ask("GET", "/r/type", NULL, NULL), 200);
  cr_assert(strstr(out, "Content-Type: text/css; charset=utf-8\r\n"));
  cr_assert_eq(ask("GET", "/r/problem", NULL, NULL), 404);
  cr_assert(strstr(out, "\r\ncontent-type: application/problem+json\r\n"),
            "%s", out);
  cr_assert(!strstr(out, "application/json"), "%s", out);
  cr_assert_str_eq(body(), "{\"title\":\"Not here\"}");
  cr_assert_eq(ask("GET", "/r/json", NULL, NULL), 200);
  cr_assert(strstr(out, "\r\nContent-Type: application/json\r\n"), "%s", out);
  cr_assert(!strstr(out, "x/y") && !strstr(strstr(out, "application/json") + 1,
                                           "Content-Type"), "%s", out);
  cr_assert_eq(ask("GET", "/r/file", NULL, NULL), 200);
  cr_assert(strstr(out, "Content-Type: text/html; charset=utf-8\r\n"));
  cr_assert_str_eq(body(), "<p>hi</p>");
  cr_assert_eq(ask("GET", "/r/missing", NULL, NULL), 404);
  cr_assert_eq(ask("GET", "/r/stream", NULL, NULL), 201);
  cr_assert(strstr(out, "Transfer-Encoding: chunked"));
  stop();
  cr_assert_eq(ended, 8);
  cr_assert_eq(ended_status, 201);
  unlink(file_path);
}

static void show_subpath(eddy_app_req_t *req, eddy_app_res_t *res, void *a) {
  eddy_app_res_send(res, eddy_app_req_subpath(req));
}

static int hook_calls[3];
static void hook(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  hook_calls[(intptr_t)arg]++;
}

Test(app_helpers, subpath_and_end_hooks) {
  app = eddy_app_create();
  eddy_app_t *r = eddy_app_create();
  eddy_app_use(r, "/files", show_subpath, NULL);
  eddy_app_mount(app, "/static", r);
  eddy_app_get(app, "/whole/path", show_subpath, NULL);
  eddy_app_on_end(app, hook, (void *)0);
  cr_assert_eq(eddy_app_add_end_hook(app, hook, (void *)1), 0);
  cr_assert_eq(eddy_app_add_end_hook(app, hook, (void *)2), 0);
  start();
  cr_assert_eq(ask("GET", "/static/files/css/a%20b.css?x=1", NULL, NULL), 200);
  cr_assert_str_eq(body(), "/css/a%20b.css");
  cr_assert_eq(ask("GET", "/static/files", NULL, NULL), 200);
  cr_assert_str_eq(body(), "/");
  cr_assert_eq(ask("GET", "/whole/path", NULL, NULL), 200);
  cr_assert_str_eq(body(), "/whole/path");
  stop();
  for (int i = 0; i < 3; i++) cr_assert_eq(hook_calls[i], 3);
}

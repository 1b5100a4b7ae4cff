/*
 * eddy serve's GET /profile/:id: the session from a real memcached (started
 * here), the user from the default SQLite database, a web-service call
 * through eddy's HTTP client; serial and ?parallel=1 (a join); every
 * failure one JSON error naming its step; a client that leaves mid-request
 * aborts the service call. The servers run with LeakSanitizer's check at
 * exit on, so e2e_stop's "exit status 0" also means "nothing leaked".
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/e2e_helpers.h"
#include "support/rawsrv_helpers.h"
#include "support/serve_helpers.h"
#include "support/service_helpers.h"

TestSuite(serve_profile, .timeout = 60, .fini = e2e_kill_leftover);

/* Starts eddy serve with `extra` and the leak check at its exit. */
static void start(e2e_server_t *s, const char *const *extra) {
  setenv("ASAN_OPTIONS",
         "detect_leaks=1:leak_check_at_exit=1:abort_on_error=0", 1);
  e2e_start(s, extra);
}

/* POST /users; the new id. */
static long long create_user(const e2e_server_t *s, const char *name,
                             const char *email) {
  char body[256];
  served_t r;
  int n = snprintf(body, sizeof(body), "{\"name\":\"%s\",\"email\":\"%s\"}",
                   name, email);
  serve_request_body(s, "POST", "/users", "application/json", body,
                          (size_t)n, &r);
  cr_assert_eq(r.status, 201, "%s", r.body);
  json_t *v = json_loads(r.body, 0, NULL);
  cr_assert(json_is_integer(json_object_get(v, "id")), "%s", r.body);
  long long id = json_integer_value(json_object_get(v, "id"));
  json_decref(v);
  served_free(&r);
  return id;
}

/* `set key 0 0 len` over memcached's text protocol; asserts STORED. */
static void mc_put(const svc_t *mc, const char *key, const char *value) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)mc->port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
  char cmd[512], reply[64] = "";
  int n = snprintf(cmd, sizeof(cmd), "set %s 0 0 %zu\r\n%s\r\n", key,
                   strlen(value), value);
  e2e_send(fd, cmd, (size_t)n);
  size_t got = 0;
  while (got < 8) {
    ssize_t r = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);
    cr_assert(r > 0, "memcached closed");
    got += (size_t)r;
  }
  reply[got] = '\0';
  cr_assert_str_eq(reply, "STORED\r\n");
  close(fd);
}

/* GET path: the answer's JSON (asserts it is JSON) and its status. */
static json_t *get_json(const e2e_server_t *s, const char *path,
                        long *status) {
  served_t r;
  serve_request(s, "GET", path, NULL, &r);
  json_error_t err;
  json_t *v = json_loads(r.body, 0, &err);
  cr_assert(v, "%s: not JSON (%s): %s", path, err.text, r.body);
  *status = r.status;
  served_free(&r);
  return v;
}

/* Asserts GET path answers `status` with {"error": "...", "step": step}. */
static void expect_error(const e2e_server_t *s, const char *path, long status,
                         const char *step) {
  long got;
  json_t *v = get_json(s, path, &got);
  char *text = json_dumps(v, 0);
  cr_assert_eq(got, status, "%s: %s", path, text);
  cr_assert_str_eq(json_string_value(json_object_get(v, "step")), step,
                   "%s: %s", path, text);
  cr_assert(json_is_string(json_object_get(v, "error")), "%s", text);
  cr_assert_eq(json_object_size(v), 2, "%s", text);
  free(text);
  json_decref(v);
}

static double ms_of(json_t *v, const char *key) {
  json_t *n = json_object_get(json_object_get(v, "steps_ms"), key);
  cr_assert(json_is_number(n), "steps_ms.%s", key);
  return json_number_value(n);
}

/* The session of a server without --memcached. */
static const char SKIPPED[] = "(skipped)";

/* Asserts the fields of a 200 answer for user `id` (name, email), mode,
 * session (NULL: null; SKIPPED) and the service's JSON (this server's
 * route). */
static json_t *expect_profile(const e2e_server_t *s, long long id,
                              const char *mode, const char *name,
                              const char *session) {
  char path[96];
  long status;
  snprintf(path, sizeof(path), "/profile/%lld%s", id,
           strcmp(mode, "parallel") ? "" : "?parallel=1");
  json_t *v = get_json(s, path, &status);
  char *text = json_dumps(v, 0);
  cr_assert_eq(status, 200, "%s", text);
  cr_assert_eq(json_integer_value(json_object_get(v, "id")), id, "%s", text);
  cr_assert_str_eq(json_string_value(json_object_get(v, "mode")), mode);
  json_t *sess = json_object_get(v, "session");
  if (session == SKIPPED)
    cr_assert_str_eq(json_string_value(json_object_get(sess, "skipped")),
                     "no --memcached", "%s", text);
  else if (session)
    cr_assert_str_eq(json_string_value(sess), session, "%s", text);
  else
    cr_assert(json_is_null(sess), "%s", text);
  json_t *user = json_object_get(v, "user");
  cr_assert_eq(json_integer_value(json_object_get(user, "id")), id);
  cr_assert_str_eq(json_string_value(json_object_get(user, "name")), name);
  cr_assert(strstr(json_string_value(json_object_get(user, "email")), "@"));
  cr_assert(json_is_string(json_object_get(user, "created_at")), "%s", text);
  json_t *svc = json_object_get(v, "service");
  cr_assert_eq(json_integer_value(json_object_get(svc, "user_id")), id, "%s",
               text);
  cr_assert(json_array_size(json_object_get(svc, "recommendations")) > 0);
  cr_assert(json_is_number(json_object_get(v, "took_ms")), "%s", text);
  free(text);
  return v;
}

Test(serve_profile, serial_and_parallel_answers_with_memcached) {
  svc_t mc;
  mc_start(&mc);
  e2e_server_t s;
  const char *const args[] = {"--memcached", mc.url, "--service-delay-ms",
                              "150", NULL};
  start(&s, args);
  long long ada = create_user(&s, "Ada", "ada@example.org");
  long long bob = create_user(&s, "Bob", "bob@example.org");
  char key[64];
  snprintf(key, sizeof(key), "session:%lld", ada);
  mc_put(&mc, key, "{\"cart\":3}");

  json_t *v = expect_profile(&s, ada, "serial", "Ada", "{\"cart\":3}");
  double took = json_number_value(json_object_get(v, "took_ms"));
  double sess = ms_of(v, "session"), user = ms_of(v, "user"),
         svc = ms_of(v, "service");
  /* The service waited --service-delay-ms (a timer: the loop's cached
   * clock may be a little behind, hence the margin). */
  cr_assert_geq(svc, 100.0, "service %.3f ms", svc);
  /* One after another: the whole takes at least the sum of the steps. */
  cr_assert_geq(took + 0.01, sess + user + svc, "serial took %.3f", took);
  json_decref(v);

  v = expect_profile(&s, ada, "parallel", "Ada", "{\"cart\":3}");
  took = json_number_value(json_object_get(v, "took_ms"));
  sess = ms_of(v, "session"), user = ms_of(v, "user");
  svc = ms_of(v, "service");
  cr_assert_geq(svc, 100.0, "service %.3f ms", svc);
  /* All at once: the session and the user came back while the service
   * was still waiting, and the whole took less than the sum. */
  cr_assert_lt(sess, svc);
  cr_assert_lt(user, svc);
  cr_assert_lt(took, sess + user + svc, "parallel took %.3f of %.3f", took,
               sess + user + svc);
  cr_assert_geq(took + 0.01, svc);
  json_decref(v);

  json_decref(expect_profile(&s, bob, "serial", "Bob", NULL)); /* a miss */
  json_decref(expect_profile(&s, bob, "parallel", "Bob", NULL));
  e2e_stop(&s);
  mc_stop(&mc);
}

Test(serve_profile, without_memcached_the_session_is_skipped) {
  e2e_server_t s;
  start(&s, NULL);
  long long id = create_user(&s, "Cy", "cy@example.org");
  json_decref(expect_profile(&s, id, "serial", "Cy", SKIPPED));
  json_decref(expect_profile(&s, id, "parallel", "Cy", SKIPPED));
  expect_error(&s, "/profile/999", 404, "user");
  expect_error(&s, "/profile/999?parallel=1", 404, "user");
  expect_error(&s, "/profile/abc", 400, "request");
  expect_error(&s, "/profile/0", 400, "request");
  expect_error(&s, "/profile/-3?parallel=1", 400, "request");
  e2e_stop(&s);
}

/* A database that goes away: the user step answers 503 (a private
 * PostgreSQL server, stopped under the running eddy serve). */
Test(serve_profile, database_unreachable_is_503_at_the_user_step) {
  svc_t pg;
  pg_start_private(&pg);
  e2e_server_t s;
  const char *const args[] = {"--db", pg.url, NULL};
  start(&s, args);
  long long id = create_user(&s, "Hal", "hal@example.org");
  json_decref(expect_profile(&s, id, "parallel", "Hal", SKIPPED));
  pg_stop(&pg);
  char path[64];
  snprintf(path, sizeof(path), "/profile/%lld", id);
  expect_error(&s, path, 503, "user");
  snprintf(path, sizeof(path), "/profile/%lld?parallel=1", id);
  expect_error(&s, path, 503, "user");
  e2e_stop(&s);
  pg_destroy(&pg);
}

static const char json_reply[] =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    "Content-Length: 11\r\n\r\n{\"ok\":true}";

/* With memcached gone the session step fails (502); serially neither the
 * database nor the service is asked (the service counts its requests);
 * in parallel a silent service is aborted so the answer comes at once. */
Test(serve_profile, memcached_down_is_502_at_the_session_step) {
  svc_t mc;
  mc_start(&mc);
  rawsrv_t svc;
  rawsrv_start(&svc, json_reply, RAW_KEEP);
  char url[96]; /* args points at it: it is rewritten for the second run */
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/svc/{id}", svc.port);
  e2e_server_t s;
  const char *const args[] = {"--memcached", mc.url, "--service-url", url,
                              NULL};
  start(&s, args);
  long long id = create_user(&s, "Di", "di@example.org");
  char path[64];
  snprintf(path, sizeof(path), "/profile/%lld", id);
  long status;
  json_t *v = get_json(&s, path, &status);
  cr_assert_eq(status, 200);
  cr_assert(json_is_true(
      json_object_get(json_object_get(v, "service"), "ok"))); /* as sent */
  json_decref(v);
  cr_assert_eq(atomic_load(&svc.requests), 1);

  mc_stop(&mc);
  expect_error(&s, path, 502, "session");
  expect_error(&s, "/profile/999", 502, "session"); /* before the user */
  cr_assert_eq(atomic_load(&svc.requests), 1, "later steps ran");
  mc_restart(&mc); /* the client reconnects: the chain works again */
  v = get_json(&s, path, &status);
  cr_assert_eq(status, 200);
  cr_assert(json_is_null(json_object_get(v, "session"))); /* a new cache */
  json_decref(v);
  cr_assert_eq(atomic_load(&svc.requests), 2);
  e2e_stop(&s);
  rawsrv_stop(&svc);
  mc_stop(&mc);

  rawsrv_start(&svc, NULL, RAW_SILENT); /* would hold the answer 30 s */
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/svc/{id}", svc.port);
  start(&s, args);
  long t0 = e2e_now_ms();
  expect_error(&s, "/profile/1?parallel=1", 502, "session");
  /* The service call was aborted, or the answer would wait 30 s. */
  cr_assert_lt(e2e_now_ms() - t0, 5000, "waited for the silent service");
  e2e_stop(&s);
  rawsrv_stop(&svc);
}

/* A service that cannot be reached, answers 500, or answers text. */
static void expect_service_failure(const char *url) {
  e2e_server_t s;
  const char *const args[] = {"--service-url", url, NULL};
  start(&s, args);
  long long id = create_user(&s, "Eve", "eve@example.org");
  char path[64];
  snprintf(path, sizeof(path), "/profile/%lld", id);
  expect_error(&s, path, 502, "service");
  snprintf(path, sizeof(path), "/profile/%lld?parallel=1", id);
  expect_error(&s, path, 502, "service");
  expect_error(&s, "/profile/999?parallel=1", 404, "user"); /* first step */
  e2e_stop(&s);
}

Test(serve_profile, service_unreachable_500_or_not_json_is_502) {
  char url[96];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/svc/{id}", closed_port());
  expect_service_failure(url);

  rawsrv_t svc;
  rawsrv_start(&svc,
               "HTTP/1.1 500 Internal Server Error\r\n"
               "Content-Type: application/json\r\n"
               "Content-Length: 11\r\n\r\n{\"ok\":true}",
               RAW_KEEP);
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/svc/{id}", svc.port);
  expect_service_failure(url);
  rawsrv_stop(&svc);

  rawsrv_start(&svc,
               "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
               "Content-Length: 13\r\n\r\nHello, World!",
               RAW_KEEP);
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/hello", svc.port);
  expect_service_failure(url);
  rawsrv_stop(&svc);
}

/* Sends GET path on a new connection; the socket. */
static int send_get(const e2e_server_t *s, const char *path) {
  char req[256];
  int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n",
                   path);
  int fd = e2e_connect(s);
  e2e_send(fd, req, (size_t)n);
  return fd;
}

/* Closes with a RST (`reset`: the client is gone), else with a FIN, which
 * eddy's server takes as a half-close (the answer is still written, then
 * it closes). */
static void leave(int fd, int reset) {
  if (reset) {
    struct linger l = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  close(fd);
}

/* A client that leaves while the service is being called: the call is
 * aborted (the silent service sees its connection close), nothing leaks
 * (the leak check at exit), and the server goes on serving. */
Test(serve_profile, client_leaving_aborts_the_service_call) {
  rawsrv_t svc;
  rawsrv_start(&svc, NULL, RAW_SILENT);
  char url[96];
  snprintf(url, sizeof(url), "http://127.0.0.1:%d/svc/{id}", svc.port);
  e2e_server_t s;
  const char *const args[] = {"--service-url", url, NULL};
  start(&s, args);
  long long id = create_user(&s, "Fay", "fay@example.org");
  char path[64];
  for (int parallel = 0; parallel < 2; parallel++) {
    snprintf(path, sizeof(path), "/profile/%lld%s", id,
             parallel ? "?parallel=1" : "");
    int before = atomic_load(&svc.requests);
    int fd = send_get(&s, path);
    for (int i = 0; i < 500 && atomic_load(&svc.requests) == before; i++)
      usleep(10000);
    cr_assert_eq(atomic_load(&svc.requests), before + 1, "no service call");
    leave(fd, 1); /* while the service is being called */
    for (int i = 0; i < 300 && atomic_load(&svc.active) > 0; i++)
      usleep(10000);
    cr_assert_eq(atomic_load(&svc.active), 0, "not aborted (%s)", path);
  }
  expect_error(&s, "/profile/999", 404, "user"); /* still serving */
  e2e_stop(&s);
  rawsrv_stop(&svc);
}

/* The same with the server's own service route (a timer): the client
 * leaves (RST, or FIN) during the first steps and during the delay. */
Test(serve_profile, client_leaving_during_any_step_is_clean) {
  e2e_server_t s;
  const char *const args[] = {"--service-delay-ms", "300", NULL};
  start(&s, args);
  long long id = create_user(&s, "Gus", "gus@example.org");
  char path[64];
  for (int parallel = 0; parallel < 2; parallel++) {
    snprintf(path, sizeof(path), "/profile/%lld%s", id,
             parallel ? "?parallel=1" : "");
    for (int reset = 0; reset < 2; reset++) {
      leave(send_get(&s, path), reset); /* during the first steps */
      int fd = send_get(&s, path);
      usleep(100000); /* during the service's delay */
      leave(fd, reset);
    }
  }
  usleep(400000); /* every call in flight has ended */
  json_decref(expect_profile(&s, id, "serial", "Gus", SKIPPED));
  e2e_stop(&s);
}

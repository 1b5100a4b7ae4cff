/*
 * `eddy serve` as the demo app, end to end: every endpoint, errors of the
 * data files, /metrics as Prometheus text, /readyz during a graceful
 * shutdown, and the seeds' lesson about blocking the loop.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/e2e_helpers.h"
#include "support/fs_helpers.h"
#include "support/prom_check.h"
#include "support/serve_helpers.h"

static void fini(void) { e2e_kill_leftover(); }
TestSuite(serve_e2e, .fini = fini);

static json_t *json_of(const served_t *r) {
  json_error_t err;
  json_t *v = json_loadb(r->body, r->body_len, 0, &err);
  cr_assert_not_null(v, "not JSON (%s): %s", err.text, r->body);
  return v;
}

/* GET `path`: asserts the status and the JSON type; returns the value. */
static json_t *get_json(const e2e_server_t *s, const char *path, long status) {
  served_t r;
  serve_request(s, "GET", path, NULL, &r);
  cr_assert_eq(r.status, status, "%s: %ld %s", path, r.status, r.body);
  const char *type = served_header(&r, "Content-Type");
  cr_assert(type && !strncmp(type, "application/json", 16), "%s: %s", path,
            type ? type : "no type");
  json_t *v = json_of(&r);
  served_free(&r);
  return v;
}

static const char *str(json_t *o, const char *key) {
  return json_string_value(json_object_get(o, key));
}

Test(serve_e2e, hello_routes_users_and_health) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  served_t r;
  serve_request(&s, "GET", "/hello", NULL, &r);
  cr_assert(r.status == 200 && !strcmp(r.body, "Hello, World!"));
  served_free(&r);
  json_t *v = get_json(&s, "/hello/w%C3%B6rld", 200);
  cr_assert_str_eq(str(v, "hello"), "w\xc3\xb6rld");
  json_decref(v);
  v = get_json(&s, "/users", 200); /* a fresh database: no users */
  cr_assert_eq(json_array_size(json_object_get(v, "users")), 0);
  json_decref(v);
  v = get_json(&s, "/users/9", 404);
  cr_assert_str_eq(str(v, "error"), "no user 9");
  json_decref(v);
  json_decref(get_json(&s, "/users/x", 400));
  v = get_json(&s, "/healthz", 200);
  cr_assert_str_eq(str(v, "status"), "ok");
  json_decref(v);
  v = get_json(&s, "/readyz", 200);
  cr_assert_str_eq(str(v, "status"), "ready");
  json_decref(v);
  json_decref(get_json(&s, "/no/such/page", 404));
  e2e_stop(&s);
}

Test(serve_e2e, the_page_links_every_demo) {
  static const char *const html[] = {"Accept: text/html,*/*;q=0.8", NULL};
  static const char *const links[] = {
      "/hello\"", "/hello/world", "/blocking?ms=", "/non-blocking?ms=",
      "/compute?ms=", "/inefficient", "/efficient", "/parallel?ms=",
      "/users\"", "/metrics", "/healthz", "/readyz"};
  e2e_server_t s;
  e2e_start(&s, NULL);
  served_t r;
  serve_request(&s, "GET", "/", html, &r);
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(served_header(&r, "Content-Type"),
                   "text/html; charset=utf-8");
  for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
    cr_assert_not_null(strstr(r.body, links[i]), "no link %s", links[i]);
  served_free(&r);
  serve_request(&s, "GET", "/", NULL, &r); /* not a browser: the hello */
  cr_assert_str_eq(r.body, "Hello, World!");
  served_free(&r);
  e2e_stop(&s);
}

Test(serve_e2e, work_demos_answer_what_they_did) {
  static const char *const extra[] = {"--max-block-ms", "500", NULL};
  static const char *const demos[] = {"blocking", "non-blocking", "compute"};
  e2e_server_t s;
  e2e_start(&s, extra);
  for (int i = 0; i < 3; i++) {
    char path[64];
    snprintf(path, sizeof(path), "/%s?ms=30", demos[i]);
    json_t *v = get_json(&s, path, 200);
    cr_assert_str_eq(str(v, "demo"), demos[i]);
    cr_assert_eq(json_integer_value(json_object_get(v, "ms")), 30);
    cr_assert_geq(json_number_value(json_object_get(v, "took_ms")), 29.0);
    cr_assert_not_null(str(v, "lesson"));
    json_decref(v);
    snprintf(path, sizeof(path), "/%s?ms=501", demos[i]); /* > max: 400 */
    v = get_json(&s, path, 400);
    cr_assert_not_null(strstr(str(v, "error"), "500"));
    json_decref(v);
    snprintf(path, sizeof(path), "/%s?ms=-1", demos[i]);
    json_decref(get_json(&s, path, 400));
  }
  json_t *v = get_json(&s, "/non-blocking?ms=20", 200);
  cr_assert_eq(json_integer_value(json_object_get(v, "slices")), 20);
  json_decref(v);
  e2e_stop(&s);
}

/* The three files, merged under their names, serially and with a join. */
Test(serve_e2e, inefficient_efficient_and_parallel) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  json_t *a = get_json(&s, "/inefficient", 200);
  json_t *b = get_json(&s, "/efficient", 200);
  cr_assert_str_eq(str(a, "read"), "serial");
  cr_assert_str_eq(str(b, "read"), "parallel (join)");
  const char *keys[] = {"users", "config", "routes"};
  for (int i = 0; i < 3; i++) {
    cr_assert_not_null(json_object_get(a, keys[i]), "%s", keys[i]);
    cr_assert(json_equal(json_object_get(a, keys[i]),
                         json_object_get(b, keys[i])), "%s", keys[i]);
  }
  cr_assert_eq(json_integer_value(json_object_get(json_object_get(a, "users"),
                                                  "total")), 3);
  json_decref(a);
  json_decref(b);
  json_t *p = get_json(&s, "/parallel?ms=200", 200);
  const char *parts[] = {"file", "timer", "compute", "dns"};
  for (int i = 0; i < 4; i++)
    cr_assert(json_is_true(json_object_get(json_object_get(p, parts[i]),
                                           "ok")), "%s", parts[i]);
  /* A 200 ms timer and 200 ms of pool work at once: the time is the
   * longest part, not the sum. */
  double took = json_number_value(json_object_get(p, "took_ms"));
  double sum = json_number_value(json_object_get(p, "sum_ms"));
  cr_assert_geq(took, 199.0);
  cr_assert_lt(took, sum, "took %.1f sum %.1f", took, sum);
  json_decref(p);
  e2e_stop(&s);
}

Test(serve_e2e, a_missing_or_broken_data_file_is_a_json_500) {
  const char *dir = scratch_dir();
  char users[600];
  snprintf(users, sizeof(users), "%s/users.json", dir);
  write_file_sync(users, "{\"users\":[],\"total\":0}", 22);
  write_file_sync(scratch_path("config.json"), "{\"broken\": ", 11);
  static const char *extra[] = {"--sample-dir", NULL, NULL};
  extra[1] = dir;
  e2e_server_t s;
  e2e_start(&s, extra);
  const char *paths[] = {"/inefficient", "/efficient"};
  for (int i = 0; i < 2; i++) {
    json_t *v = get_json(&s, paths[i], 500);
    cr_assert_str_eq(str(v, "error"), "Internal Server Error"); /* no detail */
    json_decref(v);
  }
  write_file_sync(scratch_path("config.json"), "{}", 2);
  json_t *v = get_json(&s, "/efficient", 500); /* routes.json is missing */
  json_decref(v);
  write_file_sync(scratch_path("routes.json"), "[]", 2);
  json_decref(get_json(&s, "/efficient", 200));
  json_decref(get_json(&s, "/inefficient", 200));
  e2e_stop(&s);
  scratch_remove();
}

Test(serve_e2e, metrics_are_prometheus_text) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  served_t r;
  for (int i = 0; i < 3; i++) {
    serve_request(&s, "GET", "/hello/metrics", NULL, &r);
    served_free(&r);
  }
  json_decref(get_json(&s, "/compute?ms=5", 200));
  json_decref(get_json(&s, "/users/9", 404));
  serve_request(&s, "GET", "/hello.txt", NULL, &r); /* the thread pool */
  cr_assert_eq(r.status, 200);
  served_free(&r);
  serve_request(&s, "GET", "/metrics", NULL, &r);
  cr_assert_eq(r.status, 200);
  cr_assert_str_eq(served_header(&r, "Content-Type"),
                   "text/plain; version=0.0.4; charset=utf-8");
  const char *err = prom_check(r.body, r.body_len);
  cr_assert_null(err, "%s\n%s", err, r.body);
  cr_assert_eq(prom_check_python(r.body, r.body_len), 0, "%s", r.body);
  cr_assert_eq(prom_value(r.body, "eddy_http_requests_total{method=\"GET\","
                                  "route=\"/hello/:name\",status=\"200\"}"), 3);
  cr_assert_eq(prom_value(r.body, "eddy_http_requests_total{method=\"GET\","
                                  "route=\"/users/:id\",status=\"404\"}"), 1);
  cr_assert_geq(prom_value(r.body, "eddy_http_request_duration_seconds_count"),
                5);
  cr_assert_geq(prom_value(r.body, "eddy_http_open_connections"), 1);
  cr_assert_eq(prom_value(r.body, "eddy_workerpool_completed_total"
                                  "{pool=\"compute\"}"), 1);
  cr_assert_geq(prom_value(r.body, "eddy_threadpool_completed_total"), 1);
  cr_assert_eq(prom_value(r.body, "eddy_static_opens_total"), 1);
  cr_assert_geq(prom_value(r.body, "eddy_eventloop_delay_seconds_count"), 0);
  double u = prom_value(r.body, "eddy_eventloop_utilization_ratio");
  cr_assert(u > 0 && u <= 1, "utilization %f", u);
  served_free(&r);
  e2e_stop(&s);
}

Test(serve_e2e, readyz_is_503_while_shutting_down) {
  static const char *const extra[] = {"--drain-delay-ms", "1500", NULL};
  e2e_server_t s;
  e2e_start(&s, extra);
  json_decref(get_json(&s, "/readyz", 200));
  kill(s.pid, SIGTERM);
  usleep(200000);
  served_t r;
  serve_request(&s, "GET", "/readyz", NULL, &r);
  cr_assert_eq(r.status, 503, "%s", r.body);
  cr_assert_str_eq(served_header(&r, "Connection"), "close");
  served_free(&r);
  serve_request(&s, "GET", "/hello", NULL, &r); /* still serving */
  cr_assert_eq(r.status, 200);
  served_free(&r);
  e2e_wait_exit(&s, 10000); /* by itself after the delay, status 0 */
}

Test(serve_e2e, help_version_and_bad_flags) {
  const char *bin = getenv("EDDY_BIN");
  char cmd[1024], out[8192];
  snprintf(cmd, sizeof(cmd), "%s serve --help", bin);
  FILE *f = popen(cmd, "r");
  size_t n = fread(out, 1, sizeof(out) - 1, f);
  out[n] = '\0';
  cr_assert_eq(pclose(f), 0);
  static const char *const flags[] = {
      "--port", "--host", "--root", "--data-dir", "--db", "--memcached",
      "--sample-dir", "--max-block-ms",
      "--pool-threads", "--access-log", "--stall-ms", "--drain-delay-ms",
      "--grace-ms", "--service-url", "--service-delay-ms", "--headers-timeout-ms", "--request-timeout-ms",
      "--keep-alive-timeout-ms", "--send-timeout-ms", "--max-connections",
      "--help", "--version"};
  for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
    cr_assert_not_null(strstr(out, flags[i]), "help lacks %s", flags[i]);
  snprintf(cmd, sizeof(cmd), "%s --version", bin);
  f = popen(cmd, "r");
  n = fread(out, 1, sizeof(out) - 1, f);
  out[n] = '\0';
  cr_assert_eq(pclose(f), 0);
  cr_assert_eq(strncmp(out, "eddy ", 5), 0, "%s", out);
  snprintf(cmd, sizeof(cmd), "%s serve --port 99999 2>/dev/null", bin);
  cr_assert_eq(WEXITSTATUS(system(cmd)), 2);
  snprintf(cmd, sizeof(cmd), "%s serve --nope 1 2>/dev/null", bin);
  cr_assert_eq(WEXITSTATUS(system(cmd)), 2);
}

Test(serve_e2e, host_name_and_access_log) {
  scratch_dir();
  const char *log = scratch_path("access.log");
  static const char *extra[] = {"--host", "localhost", "--access-log", NULL,
                                NULL};
  extra[3] = log;
  e2e_server_t s;
  e2e_start(&s, extra); /* e2e_start connects to 127.0.0.1 */
  static const char *const ua[] = {"User-Agent: test \"agent\"",
                                   "Referer: http://r.example/", NULL};
  served_t r;
  serve_request(&s, "GET", "/hello/log?x=1", ua, &r);
  served_free(&r);
  e2e_stop(&s); /* the writer flushes at exit */
  char buf[4096];
  FILE *f = fopen(log, "r");
  cr_assert_not_null(f);
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  cr_assert_not_null(strstr(buf, "\"GET /hello/log?x=1 HTTP/1.1\" 200 "),
                     "%s", buf);
  cr_assert_not_null(strstr(buf, "\"http://r.example/\" "
                                 "\"test \\x22agent\\x22\"\n"), "%s", buf);
  cr_assert_not_null(strstr(buf, " - - ["), "%s", buf);
  scratch_remove();
}

/* ---- the seeds' lesson: who waits while N ms of work runs */

typedef struct {
  long sent_ms, done_ms;
  int status;
} timed_t;

static int send_get(const e2e_server_t *s, const char *path, timed_t *t) {
  char req[256];
  int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n",
                   path);
  int fd = e2e_connect(s);
  t->sent_ms = e2e_now_ms();
  e2e_send(fd, req, (size_t)n);
  return fd;
}

static void finish(int fd, timed_t *t) {
  char buf[4096];
  t->status = e2e_read_response(fd, buf, sizeof(buf), 0);
  t->done_ms = e2e_now_ms();
  close(fd);
}

/* Starts `slow` (1000 ms of work), then /hello on another connection
 * 150 ms later; fills both timings. */
static void race(const char *slow, timed_t *work, timed_t *hello) {
  e2e_server_t s;
  e2e_start(&s, NULL);
  int a = send_get(&s, slow, work);
  usleep(150000);
  int b = send_get(&s, "/hello", hello);
  finish(b, hello);
  finish(a, work);
  cr_assert_eq(work->status, 200);
  cr_assert_eq(hello->status, 200);
  e2e_stop(&s);
}

Test(serve_e2e, blocking_makes_hello_wait) {
  timed_t work, hello;
  race("/blocking?ms=1000", &work, &hello);
  /* /hello could only be read once the busy loop ended. */
  cr_assert_geq(hello.done_ms, work.done_ms - 20, "hello %ld, work %ld",
                hello.done_ms, work.done_ms);
  cr_assert_geq(hello.done_ms - hello.sent_ms, 500, "hello took %ld ms",
                hello.done_ms - hello.sent_ms);
}

Test(serve_e2e, compute_leaves_the_loop_free) {
  timed_t work, hello;
  race("/compute?ms=1000", &work, &hello);
  cr_assert_lt(hello.done_ms, work.done_ms);
  /* A few ms on an idle machine; the bound allows a shared, busy one. */
  cr_assert_lt(hello.done_ms - hello.sent_ms, 250, "hello took %ld ms",
               hello.done_ms - hello.sent_ms);
}

Test(serve_e2e, non_blocking_slices_let_hello_through) {
  timed_t work, hello;
  race("/non-blocking?ms=1000", &work, &hello);
  cr_assert_lt(hello.done_ms, work.done_ms);
  cr_assert_lt(hello.done_ms - hello.sent_ms, 250, "hello took %ld ms",
               hello.done_ms - hello.sent_ms);
}

/* One pool thread and a queue of one: the third /compute at once is 503
 * with Retry-After, without waiting for the others. */
Test(serve_e2e, compute_says_503_when_the_pool_is_full) {
  static const char *const extra[] = {"--pool-threads", "1", NULL};
  e2e_server_t s;
  e2e_start(&s, extra);
  timed_t t[3];
  int fd[3];
  for (int i = 0; i < 3; i++) {
    fd[i] = send_get(&s, "/compute?ms=800", &t[i]);
    usleep(50000);
  }
  char buf[4096];
  t[2].status = e2e_read_response(fd[2], buf, sizeof(buf), 0);
  t[2].done_ms = e2e_now_ms();
  cr_assert_eq(t[2].status, 503, "%s", buf);
  cr_assert_not_null(strstr(buf, "\r\nRetry-After: 1\r\n"), "%s", buf);
  cr_assert_not_null(strstr(buf, "{\"error\":"), "%s", buf);
  cr_assert_lt(t[2].done_ms - t[2].sent_ms, 400);
  close(fd[2]);
  finish(fd[0], &t[0]);
  finish(fd[1], &t[1]);
  cr_assert(t[0].status == 200 && t[1].status == 200);
  e2e_stop(&s);
}

/* Clients that leave in the middle of every slow demo: the server keeps
 * serving and exits cleanly (LeakSanitizer would fail the exit status). */
Test(serve_e2e, clients_leaving_mid_demo) {
  static const char *const slow[] = {
      "/non-blocking?ms=300", "/compute?ms=300", "/parallel?ms=300",
      "/blocking?ms=200",     "/efficient",      "/inefficient"};
  e2e_server_t s;
  e2e_start(&s, NULL);
  for (size_t i = 0; i < sizeof(slow) / sizeof(slow[0]); i++) {
    timed_t t;
    int fd = send_get(&s, slow[i], &t);
    usleep(50000);
    close(fd);
  }
  usleep(500000);
  served_t r;
  serve_request(&s, "GET", "/hello", NULL, &r);
  cr_assert_eq(r.status, 200);
  served_free(&r);
  e2e_stop(&s);
}

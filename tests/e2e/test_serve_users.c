/*
 * eddy serve's users API, end to end over HTTP, the same cases on both
 * engines: SQLite (a temporary --data-dir) and a real PostgreSQL (a fresh
 * database per test on the run's shared server). Every route and status,
 * hostile strings stored and read back byte for byte, the 16 KiB body
 * limit. Each server runs with the stall detector on (users_helpers.h)
 * and users_stop fails the test if its loop ever stalled.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/users_helpers.h"

TestSuite(serve_users_sqlite, .timeout = 60, .fini = e2e_kill_leftover);
TestSuite(serve_users_pg, .timeout = 60, .fini = e2e_kill_leftover);

/* One case, two tests: on SQLite and on PostgreSQL. */
#define USERS_CASE(name)                                       \
  static void name(const e2e_server_t *s);                     \
  Test(serve_users_sqlite, name) { run_case("sqlite", name); } \
  Test(serve_users_pg, name) { run_case("postgres", name); }   \
  static void name(const e2e_server_t *s)

static void run_case(const char *engine, void (*body)(const e2e_server_t *)) {
  users_srv_t u;
  users_start(&u, engine, NULL);
  body(&u.srv);
  users_stop(&u);
}

static long send_json(const e2e_server_t *s, const char *method,
                      const char *path, const char *body) {
  served_t r;
  long status = users_send(s, method, path, "application/json", body, &r);
  const char *ct = served_header(&r, "Content-Type");
  if (status >= 400) { /* every error is one JSON object with a message */
    cr_assert(ct && strstr(ct, "application/json"), "%ld: %s", status, ct);
    cr_assert_neq(served_error(&r)[0], '\0');
  }
  served_free(&r);
  return status;
}

static long request_status(const e2e_server_t *s, const char *method,
                           const char *path) {
  served_t r;
  serve_request(s, method, path, NULL, &r);
  long status = r.status;
  served_free(&r);
  return status;
}

/* GET /users?... : the ids listed (at most `max`), asserting the echoed
 * limit and offset; returns how many. */
static size_t list_ids(const e2e_server_t *s, const char *query, int64_t limit,
                       int64_t offset, int64_t *ids, size_t max) {
  char path[128];
  served_t r;
  snprintf(path, sizeof(path), "/users%s", query);
  cr_assert_eq(users_get(s, path, &r), 200, "%s: %s", path, r.body);
  json_t *j = served_json(&r);
  json_t *users = json_object_get(j, "users");
  cr_assert(json_is_array(users), "%s", r.body);
  cr_assert_eq(json_integer_value(json_object_get(j, "limit")), limit);
  cr_assert_eq(json_integer_value(json_object_get(j, "offset")), offset);
  size_t n = json_array_size(users);
  cr_assert_leq(n, max);
  for (size_t i = 0; i < n; i++)
    ids[i] = json_integer_value(
        json_object_get(json_array_get(users, i), "id"));
  json_decref(j);
  served_free(&r);
  return n;
}

/* ---- every route */

USERS_CASE(create_read_update_delete) {
  int64_t id = users_create(s, "Ada Lovelace", "ada@example.org");
  users_expect(s, id, "Ada Lovelace", "ada@example.org");
  char path[64], *body = users_body("Ada King", "ada.king@example.org");
  snprintf(path, sizeof(path), "/users/%lld", (long long)id);
  served_t r;
  cr_assert_eq(users_send(s, "PUT", path, "application/json", body, &r), 200,
               "%s", r.body);
  cr_assert(strstr(r.body, "\"ada.king@example.org\""), "%s", r.body);
  served_free(&r);
  users_expect(s, id, "Ada King", "ada.king@example.org");
  cr_assert_eq(request_status(s, "DELETE", path), 204);
  cr_assert_eq(users_get(s, path, &r), 404);
  cr_assert(strstr(served_error(&r), "no user"), "%s", r.body);
  served_free(&r);
  cr_assert_eq(request_status(s, "DELETE", path), 404);
  cr_assert_eq(send_json(s, "PUT", path, body), 404);
  free(body);
  cr_assert_eq(request_status(s, "POST", path), 405);
  cr_assert_eq(request_status(s, "PUT", "/users"), 405);
  cr_assert_eq(request_status(s, "DELETE", "/users"), 405);
  /* a later user gets a new id, never the deleted one's */
  cr_assert_gt(users_create(s, "Grace", "grace@example.org"), id);
}

USERS_CASE(list_pages_with_limit_and_offset) {
  int64_t made[5], got[100];
  char name[32], email[64];
  cr_assert_eq(list_ids(s, "", 20, 0, got, 100), 0, "a fresh table");
  for (int i = 0; i < 5; i++) {
    snprintf(name, sizeof(name), "user %d", i);
    snprintf(email, sizeof(email), "u%d@example.org", i);
    made[i] = users_create(s, name, email);
  }
  cr_assert_eq(list_ids(s, "", 20, 0, got, 100), 5);
  for (int i = 0; i < 5; i++) cr_assert_eq(got[i], made[i], "in id order");
  cr_assert_eq(list_ids(s, "?limit=2", 2, 0, got, 100), 2);
  cr_assert(got[0] == made[0] && got[1] == made[1]);
  cr_assert_eq(list_ids(s, "?limit=2&offset=2", 2, 2, got, 100), 2);
  cr_assert(got[0] == made[2] && got[1] == made[3]);
  cr_assert_eq(list_ids(s, "?offset=4&limit=2", 2, 4, got, 100), 1);
  cr_assert_eq(got[0], made[4]);
  cr_assert_eq(list_ids(s, "?offset=5", 20, 5, got, 100), 0);
  cr_assert_eq(list_ids(s, "?limit=100&offset=0", 100, 0, got, 100), 5);
  static const char *const bad[] = {
      "?limit=0",    "?limit=101",
      "?limit=-1",   "?limit=x",
      "?limit=",     "?limit=1.5",
      "?offset=-1",  "?offset=x",
      "?limit=+2",   "?offset=99999999999999999999",
      "?limit=%095", "?offset=%0A1"};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char path[64];
    served_t r;
    snprintf(path, sizeof(path), "/users%s", bad[i]);
    cr_assert_eq(users_get(s, path, &r), 400, "%s: %ld", path, r.status);
    cr_assert(strstr(served_error(&r), "limit"), "%s", r.body);
    served_free(&r);
  }
}

USERS_CASE(duplicate_email_is_409) {
  int64_t a = users_create(s, "A", "same@example.org");
  int64_t b = users_create(s, "B", "other@example.org");
  char *dup = users_body("C", "same@example.org");
  cr_assert_eq(send_json(s, "POST", "/users", dup), 409);
  char path[64];
  snprintf(path, sizeof(path), "/users/%lld", (long long)b);
  cr_assert_eq(send_json(s, "PUT", path, dup), 409, "B takes A's email");
  users_expect(s, b, "B", "other@example.org");
  snprintf(path, sizeof(path), "/users/%lld", (long long)a);
  cr_assert_eq(send_json(s, "PUT", path, dup), 200, "A keeps its own");
  users_expect(s, a, "C", "same@example.org");
  free(dup);
  int64_t got[8];
  cr_assert_eq(list_ids(s, "", 20, 0, got, 8), 2, "the 409s added no row");
}

USERS_CASE(bad_ids_are_400_and_missing_ones_404) {
  static const char *const bad[] = {
      "0",    "-1",   "x",    "99999999999999999999",
      "1.5",  "%2B1", "%201", "1x",
      "0x10", "%091", "%0A1", "%0D%0A1",
  };
  char path[64], *body = users_body("N", "n@example.org");
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snprintf(path, sizeof(path), "/users/%s", bad[i]);
    served_t r;
    cr_assert_eq(users_get(s, path, &r), 400, "GET %s: %ld", path, r.status);
    cr_assert(strstr(served_error(&r), "positive integer"), "%s", r.body);
    served_free(&r);
    cr_assert_eq(send_json(s, "PUT", path, body), 400, "PUT %s", path);
    cr_assert_eq(request_status(s, "DELETE", path), 400, "DELETE %s", path);
  }
  const char *missing = "/users/9223372036854775807"; /* INT64_MAX */
  cr_assert_eq(users_get(s, missing, NULL), 404);
  cr_assert_eq(send_json(s, "PUT", missing, body), 404);
  cr_assert_eq(request_status(s, "DELETE", missing), 404);
  free(body);
}

/* ---- bodies */

/* Each of these is refused with 400 by POST and by PUT. */
static const char *const bad_bodies[] = {
    "{",
    "{\"name\": \"a\", \"email\": \"a@b\"",
    "{\"name\": \"a\" \"email\": \"a@b\"}",
    "[]",
    "[{\"name\": \"a\", \"email\": \"a@b\"}]",
    "\"a string\"",
    "42",
    "null",
    "{}",
    "{\"name\": \"a\"}",
    "{\"email\": \"a@b\"}",
    "{\"name\": \"a\", \"email\": \"a@b\", \"admin\": true}",
    "{\"name\": \"a\", \"email\": \"a@b\", \"id\": 7}",
    "{\"name\": 1, \"email\": \"a@b\"}",
    "{\"name\": \"a\", \"email\": null}",
    "{\"name\": [\"a\"], \"email\": \"a@b\"}",
    "{\"name\": {}, \"email\": \"a@b\"}",
    "{\"name\": true, \"email\": \"a@b\"}",
    "{\"name\": \"\", \"email\": \"a@b\"}",
    "{\"name\": \"a\\u0000b\", \"email\": \"a@b\"}",
    "{\"name\": \"line\\nbreak\", \"email\": \"a@b\"}",
    "{\"name\": \"a\", \"email\": \"\"}",
    "{\"name\": \"a\", \"email\": \"no-at-sign\"}",
    "{\"name\": \"a\", \"email\": \"two@@example.org\"}",
    "{\"name\": \"a\", \"email\": \"a b@example.org\"}",
    "{\"name\": \"\xff\xfe\", \"email\": \"a@b\"}", /* not UTF-8 */
};

USERS_CASE(invalid_bodies_are_400_and_change_nothing) {
  int64_t id = users_create(s, "Kept", "kept@example.org");
  char path[64];
  snprintf(path, sizeof(path), "/users/%lld", (long long)id);
  for (size_t i = 0; i < sizeof(bad_bodies) / sizeof(bad_bodies[0]); i++) {
    cr_assert_eq(send_json(s, "POST", "/users", bad_bodies[i]), 400, "POST %s",
                 bad_bodies[i]);
    cr_assert_eq(send_json(s, "PUT", path, bad_bodies[i]), 400, "PUT %s",
                 bad_bodies[i]);
  }
  char name[256]; /* 201 bytes: one over the limit */
  memset(name, 'n', 201);
  name[201] = '\0';
  char *big = users_body(name, "big@example.org");
  cr_assert_eq(send_json(s, "POST", "/users", big), 400);
  free(big);
  users_expect(s, id, "Kept", "kept@example.org");
  int64_t got[8];
  cr_assert_eq(list_ids(s, "", 20, 0, got, 8), 1, "a 400 added a row");
}

USERS_CASE(a_body_that_is_not_json_is_415) {
  int64_t id = users_create(s, "Kept", "kept@example.org");
  char path[64];
  snprintf(path, sizeof(path), "/users/%lld", (long long)id);
  static const char *const types[] = {"application/x-www-form-urlencoded",
                                      "text/plain", "multipart/form-data",
                                      NULL};
  const char *form = "name=Eve&email=eve%40example.org";
  for (size_t i = 0; i < 4; i++) {
    served_t r;
    cr_assert_eq(users_send(s, "POST", "/users", types[i], form, &r), 415,
                 "%s: %ld %s", types[i], r.status, r.body);
    cr_assert(strstr(served_error(&r), "JSON"), "%s", r.body);
    served_free(&r);
    cr_assert_eq(users_send(s, "PUT", path, types[i], form, &r), 415);
    served_free(&r);
  }
  served_t r; /* no body at all is no media type: a 400 */
  serve_request(s, "POST", "/users", NULL, &r);
  cr_assert_eq(r.status, 400, "%s", r.body);
  cr_assert(strstr(served_error(&r), "empty"), "%s", r.body);
  served_free(&r);
  cr_assert_eq(users_send(s, "PUT", path, "application/json", "", &r), 400);
  served_free(&r);
  users_expect(s, id, "Kept", "kept@example.org");
}

USERS_CASE(a_body_over_16_kib_is_413) {
  char *name = malloc(17 * 1024);
  memset(name, 'x', 17 * 1024 - 1);
  name[17 * 1024 - 1] = '\0';
  char *body = users_body(name, "big@example.org");
  served_t r;
  cr_assert_eq(users_send(s, "POST", "/users", "application/json", body, &r),
               413, "%ld %s", r.status, r.body);
  cr_assert(strstr(served_error(&r), "16384"), "%s", r.body);
  served_free(&r);
  free(body);
  free(name);
  /* just under the limit parses (and is refused for its name's length) */
  char *under = malloc(16 * 1024);
  int n = snprintf(under, 16 * 1024, "{\"email\": \"a@b\", \"name\": \"");
  memset(under + n, 'y', 16 * 1024 - n - 2);
  memcpy(under + 16 * 1024 - 2, "\"}", 2);
  serve_request_body(s, "POST", "/users", "application/json", under, 16 * 1024,
                     &r);
  cr_assert_eq(r.status, 400, "%s", r.body);
  cr_assert(strstr(served_error(&r), "name"), "%s", r.body);
  served_free(&r);
  free(under);
  users_create(s, "after", "after@example.org");
}

/* ---- hostile strings are data */

USERS_CASE(hostile_names_round_trip_byte_for_byte) {
  char long_utf8[256] = ""; /* 100 x "é": 200 bytes, the most allowed */
  for (int i = 0; i < 100; i++) strcat(long_utf8, "\xc3\xa9");
  const char *names[] = {
      "'); DROP TABLE users;--",
      "Robert'); DELETE FROM users WHERE ('1'='1",
      "\"double\" and 'single' quotes",
      "back\\slash\\\\ and \\\" escaped quote",
      "$1 $2 ? :name @p %s %n %%",
      long_utf8,
      "\xf0\x9f\xa6\x86 \xf0\x9f\x8e\x89 \xe2\x9c\x93", /* emoji, check */
      "\xe4\xb8\xad\xe6\x96\x87 \xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a",
      "trailing spaces   ",
      "<script>alert(1)</script>",
  };
  enum { N = sizeof(names) / sizeof(names[0]) };
  int64_t ids[N];
  char email[64];
  for (int i = 0; i < N; i++) {
    snprintf(email, sizeof(email), "h%d@example.org", i);
    ids[i] = users_create(s, names[i], email);
  }
  for (int i = 0; i < N; i++) {
    snprintf(email, sizeof(email), "h%d@example.org", i);
    users_expect(s, ids[i], names[i], email);
  }
  /* and a hostile email, through PUT */
  const char *odd = "o'neil+\"x\"@example.org";
  char path[64], *body = users_body(names[0], odd);
  snprintf(path, sizeof(path), "/users/%lld", (long long)ids[0]);
  cr_assert_eq(send_json(s, "PUT", path, body), 200);
  free(body);
  users_expect(s, ids[0], names[0], odd);
  int64_t got[N + 1];
  cr_assert_eq(list_ids(s, "", 20, 0, got, N + 1), N, "the table is whole");
}

/* ---- clients that leave */

/* Sends one request and leaves at once, half the time with a reset. */
static void send_and_leave(const e2e_server_t *s, int i) {
  char req[512], body[128];
  int fd = e2e_connect(s), n;
  cr_assert_geq(fd, 0);
  if (i % 2 == 0) {
    int b = snprintf(body, sizeof(body),
                     "{\"name\":\"gone %d\",\"email\":\"gone%d@example.org\"}", i,
                     i);
    n = snprintf(req, sizeof(req),
                 "POST /users HTTP/1.1\r\nHost: x\r\nContent-Type: "
                 "application/json\r\nContent-Length: %d\r\n\r\n%s",
                 b, body);
  } else {
    n = snprintf(req, sizeof(req),
                 "GET /users?limit=100 HTTP/1.1\r\nHost: x\r\n\r\n");
  }
  cr_assert_eq(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
  if (i % 4 < 2) {
    struct linger reset = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  }
  close(fd);
}

/* Clients that leave while their query runs (on the thread pool for
 * SQLite, on the connection for PostgreSQL): the answer finds nobody, the
 * request's memory is not touched after it is gone (users_stop fails the
 * test on any sanitizer report), every insert is whole or absent, and the
 * server goes on. */
USERS_CASE(clients_that_leave_mid_query_change_nothing_else) {
  enum { N = 80 };
  for (int i = 0; i < N; i++) send_and_leave(s, i);
  int64_t id = users_create(s, "after", "after@example.org");
  users_expect(s, id, "after", "after@example.org");
  int64_t got[N + 2];
  size_t n = list_ids(s, "?limit=100", 100, 0, got, N + 2);
  cr_assert_leq(n, N / 2 + 1, "at most the %d POSTs and one more", N / 2);
  for (size_t k = 0; k + 1 < n; k++) { /* each one readable, whole */
    char path[64];
    served_t r;
    snprintf(path, sizeof(path), "/users/%lld", (long long)got[k]);
    cr_assert_eq(users_get(s, path, &r), 200);
    json_t *j = served_json(&r);
    const char *name = json_string_value(json_object_get(j, "name"));
    cr_assert(name && (!strncmp(name, "gone ", 5) || !strcmp(name, "after")),
              "%s", r.body);
    json_decref(j);
    served_free(&r);
  }
}

/* The check users_stop makes can fail: a handler that blocks the loop
 * (eddy serve's /blocking lesson) is in the log it reads. */
Test(serve_users_sqlite, the_stall_check_sees_a_blocked_loop) {
  users_srv_t u;
  users_start(&u, "sqlite", NULL);
  cr_assert_eq(users_get(&u.srv, "/blocking?ms=200", NULL), 200);
  for (int i = 0; i < 100 && !users_log_has(&u, "loop stalled"); i++)
    usleep(10000);
  cr_assert(users_log_has(&u, "loop stalled: 'GET /blocking'"),
            "no stall logged in %s", u.log);
  e2e_stop(&u.srv);
  unlink(u.log);
}

/* --db over PostgreSQL's Unix socket (the directory %2F-encoded in the
 * host part): the same users API. */
Test(serve_users_pg, over_the_unix_socket) {
  const svc_t *pg = pg_shared();
  char name[64], tcp_url[256], url[512];
  pg_create_db(pg, name, tcp_url);
  const char *tail = strrchr(pg->sock_url, '/'); /* "/postgres" */
  snprintf(url, sizeof(url), "%.*s/%s", (int)(tail - pg->sock_url),
           pg->sock_url, name);
  e2e_server_t s;
  e2e_start(&s, (const char *const[]){"--db", url, NULL});
  int64_t id = users_create(&s, "socket", "socket@example.org");
  users_expect(&s, id, "socket", "socket@example.org");
  e2e_stop(&s);
  pg_drop_db(pg, name);
}

/*
 * eddy serve's users survive: SIGKILL in the middle of a stream of
 * POSTs (every user answered 201 is there after a restart on the same
 * --data-dir), a SIGTERM restart; and a PostgreSQL server restarted under
 * load (requests during the outage get a prompt JSON 503, none
 * hangs, requests succeed again once it is back, eddy serve does not
 * crash).
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/users_helpers.h"

TestSuite(serve_users_durable, .timeout = 90, .fini = e2e_kill_leftover);

static int remove_one(const char *path, const struct stat *st, int type,
                      struct FTW *ftw) {
  return remove(path);
}

static void remove_tree(const char *dir) {
  nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- a writer load: POSTs until told to stop, the 201s kept */

#define WRITERS 4
#define MAX_POSTS 4000 /* per writer: the bound of the loop */

typedef struct {
  const e2e_server_t *srv;
  int no;
  atomic_int *stop;
  int64_t ids[MAX_POSTS]; /* the users answered 201, in order */
  int created;
  int failed; /* transfers that got no answer (the kill) */
  int other;  /* answers other than 201 */
  pthread_t thread;
} writer_t;

static void writer_email(char *out, size_t max, int no, int k) {
  snprintf(out, max, "w%d.%d@example.org", no, k);
}

static void writer_name(char *out, size_t max, int no, int k) {
  snprintf(out, max, "writer %d's user %d \xe2\x9c\x93 'q'", no, k);
}

/* The id of a 201's body, 0 if none. */
static int64_t created_id(const served_t *r) {
  json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
  int64_t id = json_integer_value(json_object_get(j, "id"));
  json_decref(j);
  return id;
}

static void *writer_main(void *arg) {
  writer_t *w = arg;
  char name[96], email[64];
  for (int k = 0; k < MAX_POSTS && !atomic_load(w->stop); k++) {
    writer_name(name, sizeof(name), w->no, k);
    writer_email(email, sizeof(email), w->no, k);
    char *body = users_body(name, email);
    serve_call_t call = {.method = "POST",
                         .path = "/users",
                         .content_type = "application/json",
                         .body = body,
                         .body_len = strlen(body),
                         .timeout_ms = 10000};
    served_t r;
    int rc = serve_perform(w->srv, &call, &r);
    free(body);
    int64_t id = rc == CURLE_OK && r.status == 201 ? created_id(&r) : 0;
    if (id > 0) w->ids[w->created++] = id;
    w->failed += rc != CURLE_OK;
    w->other += rc == CURLE_OK && !id;
    served_free(&r);
    if (rc != CURLE_OK) break; /* the server is gone */
  }
  return NULL;
}

static int total_created(const writer_t *w) {
  int n = 0;
  for (int i = 0; i < WRITERS; i++) n += w[i].created;
  return n;
}

/* The k-th user of writer `no` (k < created) reads back as written. */
static void expect_writer_users(const e2e_server_t *s, const writer_t *w) {
  char name[96], email[64];
  for (int i = 0; i < WRITERS; i++)
    for (int k = 0; k < w[i].created; k++) {
      writer_name(name, sizeof(name), w[i].no, k);
      writer_email(email, sizeof(email), w[i].no, k);
      users_expect(s, w[i].ids[k], name, email);
    }
}

/* Starts the WRITERS threads against `s`, after one request on this
 * thread (the first initialises libcurl). */
static void start_writers(writer_t *w, const e2e_server_t *s,
                          atomic_int *stop) {
  for (int i = 0; i < WRITERS; i++) {
    w[i] = (writer_t){.srv = s, .no = i, .stop = stop};
    pthread_create(&w[i].thread, NULL, writer_main, &w[i]);
  }
}

/* Until the writers have `n` users between them, or 15 s. */
static void wait_created(const writer_t *w, int n) {
  long end = e2e_now_ms() + 15000;
  while (total_created(w) < n && e2e_now_ms() < end) usleep(5000);
}

/* Stops and joins the writers; every answer was a 201 or a failure to
 * get one. Returns the failures. */
static int join_writers(writer_t *w, atomic_int *stop) {
  int failed = 0;
  atomic_store(stop, 1);
  for (int i = 0; i < WRITERS; i++) {
    pthread_join(w[i].thread, NULL);
    failed += w[i].failed;
    cr_assert_eq(w[i].other, 0, "writer %d had answers other than 201", i);
  }
  return failed;
}

Test(serve_users_durable, sqlite_sigkill_mid_write_loses_no_answered_user) {
  char dir[] = "/tmp/eddy-durable-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  const char *const args[] = {"--data-dir", dir, NULL};
  users_srv_t u;
  users_start(&u, "sqlite", args);
  static writer_t w[WRITERS];
  atomic_int stop = 0;
  int64_t first = users_create(&u.srv, "first", "first@example.org");
  start_writers(w, &u.srv, &stop);
  wait_created(w, 200);
  e2e_kill(&u.srv); /* mid-write: every writer has a POST on the wire */
  int failed = join_writers(w, &stop);
  cr_assert_geq(total_created(w), 200, "only %d users in 15 s",
                total_created(w));
  cr_assert_gt(failed, 0, "no POST was cut off by the kill");
  cr_assert_not(users_log_has(&u, "loop stalled"), "see %s", u.log);
  unlink(u.log);
  /* the same data directory, a new server: every 201 is there */
  users_start(&u, "sqlite", args);
  users_expect(&u.srv, first, "first", "first@example.org");
  expect_writer_users(&u.srv, w);
  users_create(&u.srv, "after", "after@example.org"); /* still writable */
  users_stop(&u);
  remove_tree(dir);
}

/* SIGTERM under the same load: the server drains (exit status 0), every
 * answer it gave was a 201, and every 201 is there after a restart. */
Test(serve_users_durable, sqlite_sigterm_under_load_drains_and_keeps_all) {
  char dir[] = "/tmp/eddy-durable-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  const char *const args[] = {"--data-dir", dir, NULL};
  users_srv_t u;
  users_start(&u, "sqlite", args);
  static writer_t w[WRITERS];
  atomic_int stop = 0;
  users_create(&u.srv, "first", "first@example.org");
  start_writers(w, &u.srv, &stop);
  wait_created(w, 100);
  users_stop(&u); /* SIGTERM mid-load: exit 0, no stall, no sanitizer */
  join_writers(w, &stop);
  cr_assert_geq(total_created(w), 100);
  users_start(&u, "sqlite", args);
  expect_writer_users(&u.srv, w);
  users_stop(&u);
  remove_tree(dir);
}

Test(serve_users_durable, sqlite_sigterm_restart_keeps_every_change) {
  char dir[] = "/tmp/eddy-durable-XXXXXX";
  cr_assert_not_null(mkdtemp(dir));
  const char *const args[] = {"--data-dir", dir, NULL};
  users_srv_t u;
  users_start(&u, "sqlite", args);
  int64_t a = users_create(&u.srv, "Ann", "ann@example.org");
  int64_t b = users_create(&u.srv, "Bob", "bob@example.org");
  int64_t c = users_create(&u.srv, "Cy", "cy@example.org");
  char path[64], *body = users_body("Ann B", "ann.b@example.org");
  served_t r;
  snprintf(path, sizeof(path), "/users/%lld", (long long)a);
  cr_assert_eq(users_send(&u.srv, "PUT", path, "application/json", body, &r),
               200);
  served_free(&r);
  free(body);
  snprintf(path, sizeof(path), "/users/%lld", (long long)b);
  serve_request(&u.srv, "DELETE", path, NULL, &r);
  cr_assert_eq(r.status, 204);
  served_free(&r);
  users_stop(&u);
  cr_assert_eq(access(dir, F_OK), 0, "--data-dir was removed");
  users_start(&u, "sqlite", args);
  users_expect(&u.srv, a, "Ann B", "ann.b@example.org");
  cr_assert_eq(users_get(&u.srv, path, NULL), 404, "the deleted user is back");
  users_expect(&u.srv, c, "Cy", "cy@example.org");
  cr_assert_gt(users_create(&u.srv, "Dee", "dee@example.org"), c);
  users_stop(&u);
  remove_tree(dir);
}

/* ---- PostgreSQL restarted under load */

typedef struct {
  const e2e_server_t *srv;
  int64_t id;               /* a user to read */
  atomic_int *stop, *phase; /* phase 0 before, 1 down, 2 back up */
  int ok[3], unavailable[3], hung, odd;
  char odd_text[256];
  pthread_t thread;
} reader_t;

/* During the outage: a 503 with a JSON error (a lost connection, a
 * refused connect); quick, since none may time out. */
static int is_outage_answer(const served_t *r) {
  if (r->status != 503) return 0;
  json_t *j = json_loadb(r->body, r->body_len, 0, NULL);
  int ok = json_is_string(json_object_get(j, "error"));
  json_decref(j);
  return ok;
}

static void count_answer(reader_t *rd, int rc, const served_t *r, int phase,
                         int good) {
  if (rc == CURLE_OPERATION_TIMEDOUT)
    rd->hung++;
  else if (rc == CURLE_OK && r->status == good)
    rd->ok[phase]++;
  else if (rc == CURLE_OK && is_outage_answer(r))
    rd->unavailable[phase]++;
  else if (!rd->odd++)
    snprintf(rd->odd_text, sizeof(rd->odd_text), "curl %d, %ld %.200s", rc,
             r->status, r->body);
}

static void *reader_main(void *arg) {
  reader_t *rd = arg;
  char path[64], email[64];
  snprintf(path, sizeof(path), "/users/%lld", (long long)rd->id);
  for (int k = 0; k < 20000 && !atomic_load(rd->stop); k++) {
    int phase = atomic_load(rd->phase), post = k % 4 == 0;
    snprintf(email, sizeof(email), "r%p.%d@example.org", (void *)rd, k);
    char *body = post ? users_body("load", email) : NULL;
    serve_call_t call = {.method = post ? "POST" : "GET",
                         .path = post ? "/users" : path,
                         .content_type = "application/json",
                         .body = body,
                         .body_len = body ? strlen(body) : 0,
                         .timeout_ms = 8000};
    served_t r;
    int rc = serve_perform(rd->srv, &call, &r);
    count_answer(rd, rc, &r, phase, post ? 201 : 200);
    served_free(&r);
    free(body);
  }
  return NULL;
}

static int sum_ok(const reader_t *rd, int n, int phase) {
  int s = 0;
  for (int i = 0; i < n; i++) s += rd[i].ok[phase];
  return s;
}

static void wait_ok(const reader_t *rd, int n, int phase, int want) {
  long end = e2e_now_ms() + 20000;
  while (sum_ok(rd, n, phase) < want && e2e_now_ms() < end) usleep(10000);
  cr_assert_geq(sum_ok(rd, n, phase), want, "phase %d: %d answers", phase,
                sum_ok(rd, n, phase));
}

Test(serve_users_durable, postgres_restart_under_load_503_then_recovers) {
  static svc_t pg;
  pg_start_private(&pg);
  users_srv_t u;
  users_start_pg(&u, &pg, NULL);
  int64_t id = users_create(&u.srv, "steady", "steady@example.org");
  enum { READERS = 4 };
  static reader_t rd[READERS];
  atomic_int stop = 0, phase = 0;
  for (int i = 0; i < READERS; i++) {
    rd[i] = (reader_t){.srv = &u.srv, .id = id, .stop = &stop, .phase = &phase};
    pthread_create(&rd[i].thread, NULL, reader_main, &rd[i]);
  }
  wait_ok(rd, READERS, 0, 40);
  pg_stop(&pg);
  atomic_store(&phase, 1);
  usleep(1000 * 1000);
  pg_restart(&pg);
  atomic_store(&phase, 2);
  wait_ok(rd, READERS, 2, 100);
  atomic_store(&stop, 1);
  int unavailable = 0, hung = 0;
  for (int i = 0; i < READERS; i++) {
    pthread_join(rd[i].thread, NULL);
    unavailable += rd[i].unavailable[1] + rd[i].unavailable[2];
    hung += rd[i].hung;
    cr_assert_eq(rd[i].odd, 0, "%d odd answers: %s", rd[i].odd, rd[i].odd_text);
  }
  cr_assert_eq(hung, 0, "%d requests hung", hung);
  cr_assert_gt(unavailable, 0, "the outage failed no request");
  cr_assert(e2e_alive(&u.srv), "eddy serve died");
  users_expect(&u.srv, id, "steady", "steady@example.org");
  users_stop(&u); /* exit status 0: no sanitizer report */
  pg_destroy(&pg);
}

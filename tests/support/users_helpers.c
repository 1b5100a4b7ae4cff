/* See users_helpers.h. */
#include "support/users_helpers.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- PostgreSQL databases, one per test */

static PGconn *admin(const svc_t *pg) {
  PGconn *c = PQconnectdb(pg->url);
  cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s: %s", pg->url,
               PQerrorMessage(c));
  return c;
}

static void admin_exec(const svc_t *pg, const char *sql) {
  PGconn *c = admin(pg);
  PGresult *r = PQexec(c, sql);
  cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql,
               PQerrorMessage(c));
  PQclear(r);
  PQfinish(c);
}

void pg_create_db(const svc_t *pg, char name[64], char url[256]) {
  static int made;
  char sql[160];
  snprintf(name, 64, "users_%d_%d", (int)getpid(), made++);
  /* template0: nobody connects to it, so tests may copy it at once */
  snprintf(sql, sizeof(sql), "CREATE DATABASE %s TEMPLATE template0", name);
  admin_exec(pg, sql);
  snprintf(url, 256, "postgres://postgres@127.0.0.1:%d/%s", pg->port, name);
}

void pg_drop_db(const svc_t *pg, const char *name) {
  char sql[160];
  snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
  admin_exec(pg, sql);
}

/* ---- the server */

static void start(users_srv_t *u, const char *const *extra) {
  static int started;
  const char *argv[16] = {"--stall-ms", USERS_STALL_MS};
  int n = 2;
  if (u->pg) {
    argv[n++] = "--db";
    argv[n++] = u->db_url;
  }
  for (; extra && *extra && n < 15; extra++) argv[n++] = *extra;
  argv[n] = NULL;
  snprintf(u->log, sizeof(u->log), "/tmp/eddy-users-%d-%d.log", (int)getpid(),
           started++);
  unlink(u->log);
  e2e_start_logged(&u->srv, argv, u->log);
}

void users_start(users_srv_t *u, const char *engine, const char *const *extra) {
  if (!strcmp(engine, "postgres")) {
    users_start_pg(u, pg_shared(), extra);
    return;
  }
  memset(u, 0, sizeof(*u));
  snprintf(u->engine, sizeof(u->engine), "%s", engine);
  start(u, extra);
}

void users_start_pg(users_srv_t *u, const svc_t *pg, const char *const *extra) {
  memset(u, 0, sizeof(*u));
  snprintf(u->engine, sizeof(u->engine), "postgres");
  u->pg = pg;
  pg_create_db(pg, u->dbname, u->db_url);
  start(u, extra);
}

int users_log_has(const users_srv_t *u, const char *needle) {
  FILE *f = fopen(u->log, "r");
  if (!f) return 0;
  char line[2048];
  int found = 0;
  while (!found && fgets(line, sizeof(line), f)) found = !!strstr(line, needle);
  fclose(f);
  return found;
}

void users_stop(users_srv_t *u) {
  e2e_stop(&u->srv);
  cr_assert_not(users_log_has(u, "loop stalled"),
                "the loop stalled (--stall-ms " USERS_STALL_MS "): see %s",
                u->log);
  cr_assert_not(users_log_has(u, "Sanitizer") ||
                    users_log_has(u, "runtime error"),
                "a sanitizer report: see %s", u->log);
  if (u->pg) pg_drop_db(u->pg, u->dbname);
  unlink(u->log);
}

/* ---- JSON */

json_t *served_json(const served_t *r) {
  json_error_t err;
  json_t *j = json_loadb(r->body, r->body_len, 0, &err);
  cr_assert_not_null(j, "not JSON (%s): %.300s", err.text, r->body);
  return j;
}

const char *served_error(const served_t *r) {
  static char text[512];
  json_t *j = served_json(r);
  const char *e = json_string_value(json_object_get(j, "error"));
  cr_assert_not_null(e, "no \"error\": %.300s", r->body);
  snprintf(text, sizeof(text), "%s", e);
  json_decref(j);
  return text;
}

char *users_body(const char *name, const char *email) {
  json_t *j = json_pack("{s:s, s:s}", "name", name, "email", email);
  cr_assert_not_null(j, "name or email is not UTF-8");
  char *text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  return text;
}

long users_send(const e2e_server_t *s, const char *method, const char *path,
                const char *content_type, const char *body, served_t *out) {
  serve_request_body(s, method, path, content_type, body, strlen(body), out);
  return out->status;
}

long users_get(const e2e_server_t *s, const char *path, served_t *out) {
  served_t local;
  served_t *r = out ? out : &local;
  serve_request(s, "GET", path, NULL, r);
  long status = r->status;
  if (!out) served_free(&local);
  return status;
}

/* Asserts `user` is {"id": id, "name", "email", "created_at"} with these
 * values (id 0: any positive id); returns the id. */
static int64_t check_user(json_t *user, int64_t id, const char *name,
                          const char *email) {
  json_t *jid = json_object_get(user, "id");
  cr_assert(json_is_integer(jid), "no integer id");
  int64_t got = json_integer_value(jid);
  cr_assert(id ? got == id : got > 0, "id %lld, expected %lld", (long long)got,
            (long long)id);
  const char *n = json_string_value(json_object_get(user, "name"));
  const char *e = json_string_value(json_object_get(user, "email"));
  cr_assert(n && !strcmp(n, name), "name \"%s\", sent \"%s\"", n, name);
  cr_assert(e && !strcmp(e, email), "email \"%s\", sent \"%s\"", e, email);
  cr_assert(json_is_string(json_object_get(user, "created_at")));
  cr_assert_eq(json_object_size(user), 4, "other fields in the user");
  return got;
}

int64_t users_create(const e2e_server_t *s, const char *name,
                     const char *email) {
  char *body = users_body(name, email);
  served_t r;
  long status = users_send(s, "POST", "/users", "application/json", body, &r);
  free(body);
  cr_assert_eq(status, 201, "POST /users: %ld %.300s", status, r.body);
  json_t *j = served_json(&r);
  int64_t id = check_user(j, 0, name, email);
  char location[64];
  snprintf(location, sizeof(location), "/users/%lld", (long long)id);
  const char *loc = served_header(&r, "Location");
  cr_assert(loc && !strcmp(loc, location), "Location %s, expected %s", loc,
            location);
  json_decref(j);
  served_free(&r);
  return id;
}

void users_expect(const e2e_server_t *s, int64_t id, const char *name,
                  const char *email) {
  char path[64];
  served_t r;
  snprintf(path, sizeof(path), "/users/%lld", (long long)id);
  cr_assert_eq(users_get(s, path, &r), 200, "GET %s: %ld %.300s", path,
               r.status, r.body);
  const char *ct = served_header(&r, "Content-Type");
  cr_assert(ct && strstr(ct, "application/json"), "Content-Type %s", ct);
  json_t *j = served_json(&r);
  check_user(j, id, name, email);
  json_decref(j);
  served_free(&r);
}

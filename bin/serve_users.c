/*
 * The users API of `eddy serve`, on the database of --db (serve_db.c):
 *
 *   GET    /users/:id               200 the user, 404
 *   GET    /users?limit=&offset=    200 {"users": [...], "limit", "offset"}
 *   POST   /users     {name,email}  201 the user, Location: /users/ID
 *   PUT    /users/:id {name,email}  200 the user, 404
 *   DELETE /users/:id               204, 404
 *
 * JSON in and out; 400 for invalid JSON, fields or parameters (the message
 * says which), 415 for a body that is not JSON, 409 for an email that
 * another user has, 503 when the database cannot be reached. Values travel
 * as bound parameters, never inside the SQL. Each request's state lives in
 * its arena: the request stays valid until it is answered, even if the
 * client leaves first (app.h), so the query callback may always answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve.h"

#define USER_COLUMNS "id, name, email, created_at"
#define NAME_MAX_BYTES 200
#define EMAIL_MAX_BYTES 254
#define LIST_DEFAULT 20
#define LIST_MAX 100

static const eddy_app_body_opts_t users_body = {.limit = 16 * 1024};

typedef struct {
  eddy_app_req_t *req; /* valid until answered (see the top) */
  int64_t id;          /* the :id of the path, 0 for none */
  int64_t limit, offset;
} users_call_t;

/* ---- JSON out */

static void write_user(eddy_app_jw_t *jw, const eddy_db_value_t *row) {
  static const char *const keys[] = {"id", "name", "email", "created_at"};
  eddy_app_jw_object(jw);
  eddy_app_jw_key(jw, keys[0]);
  eddy_app_jw_int(jw, row[0].i);
  for (int i = 1; i < 4; i++) {
    eddy_app_jw_key(jw, keys[i]);
    eddy_app_jw_string_n(jw, row[i].p ? row[i].p : "", row[i].len);
  }
  eddy_app_jw_object_end(jw);
}

static void answer_user(eddy_app_req_t *req, int status,
                        const eddy_db_value_t *row) {
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, req);
  write_user(&jw, row);
  eddy_app_res_t *res = eddy_app_req_res(req);
  eddy_app_res_status(res, status);
  eddy_app_res_send_jw(res, &jw);
}

static void answer_no_content(eddy_app_req_t *req) {
  eddy_app_res_t *res = eddy_app_req_res(req);
  eddy_app_res_status(res, 204);
  eddy_app_res_end(res, NULL, 0);
}

/* A failed query: 409 for the unique email, 503 for an unreachable
 * database, else the error handler's 500 (which logs the detail). */
static void answer_db_error(eddy_app_req_t *req, eddy_db_result_t *res,
                            int status) {
  if (status == EDDY_ECONSTRAINT) {
    eddy_app_fail(req, 409, "a user with this email exists");
  } else if (serve_db_unreachable(status)) {
    eddy_app_fail(req, 503, "the database is unavailable: %s",
                  eddy_strerror(status));
  } else {
    eddy_app_fail(req, 500, "database: %s",
                  res->error.message[0] ? res->error.message
                                        : eddy_strerror(status));
  }
}

/* ---- JSON in */

static int has_control_bytes(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 1;
  return 0;
}

/* A plausible address: one '@' between non-empty parts, no spaces. */
static int valid_email(const char *s, size_t n) {
  const char *at = memchr(s, '@', n);
  if (!at || at == s || at == s + n - 1 || memchr(at + 1, '@', s + n - at - 1))
    return 0;
  return !memchr(s, ' ', n);
}

/* The body's fields: exactly "name" and "email", both strings; else it
 * has answered 400 (415 for a body of another type) and returns NULL. */
static json_t *user_fields(eddy_app_req_t *req) {
  json_t *body = eddy_app_req_json(req), *v;
  const char *key;
  size_t len;
  eddy_app_req_body(req, &len);
  if (!body && !len) { /* no media at all: not a 415 */
    eddy_app_fail(req, 400, "the body is empty: a JSON object is expected");
    return NULL;
  }
  if (!body) {
    eddy_app_fail(req, 415,
                  "a JSON body is expected (Content-Type: "
                  "application/json)");
    return NULL;
  }
  if (!json_is_object(body)) {
    eddy_app_fail(req, 400, "the body must be a JSON object");
    return NULL;
  }
  json_object_foreach(body, key, v) {
    if (strcmp(key, "name") && strcmp(key, "email")) {
      eddy_app_fail(req, 400, "unknown field \"%.64s\"", key);
      return NULL;
    }
  }
  if (!json_is_string(json_object_get(body, "name")) ||
      !json_is_string(json_object_get(body, "email"))) {
    eddy_app_fail(req, 400, "name and email are required strings");
    return NULL;
  }
  return body;
}

/* Reads a valid {"name", "email"} into p[0] and p[1] (text values that
 * point into the body's JSON, which lives until the response ends); on a
 * bad body it has answered and returns -1. */
static int read_user_body(eddy_app_req_t *req, eddy_db_value_t p[2]) {
  json_t *body = user_fields(req);
  if (!body) return -1;
  json_t *name = json_object_get(body, "name");
  json_t *email = json_object_get(body, "email");
  p[0] = eddy_db_textn(json_string_value(name), json_string_length(name));
  p[1] = eddy_db_textn(json_string_value(email), json_string_length(email));
  if (!p[0].len || p[0].len > NAME_MAX_BYTES ||
      has_control_bytes(p[0].p, p[0].len)) {
    eddy_app_fail(req, 400, "name: 1 to %d bytes, no control characters",
                  NAME_MAX_BYTES);
    return -1;
  }
  if (p[1].len > EMAIL_MAX_BYTES || has_control_bytes(p[1].p, p[1].len) ||
      !valid_email(p[1].p, p[1].len)) {
    eddy_app_fail(req, 400, "email: not an address");
    return -1;
  }
  return 0;
}

/* ---- parameters */

/* Reads a decimal in [min, max]; -1 if `s` is not one. */
static int64_t decimal(const char *s, int64_t min, int64_t max) {
  if (!s || *s < '0' || *s > '9') return -1; /* strtoll skips spaces */
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < min || v > max) return -1;
  return v;
}

/* A call for this request with its :id read; NULL after answering. */
static users_call_t *new_call(eddy_app_req_t *req, int with_id) {
  users_call_t *c = eddy_app_alloc_zero(req, sizeof(*c));
  if (!c) {
    eddy_app_next(req, -ENOMEM);
    return NULL;
  }
  c->req = req;
  if (with_id &&
      (c->id = decimal(eddy_app_req_param(req, "id"), 1, INT64_MAX)) < 0) {
    eddy_app_fail(req, 400, "the user id must be a positive integer");
    return NULL;
  }
  return c;
}

static void query_or_fail(serve_t *s, users_call_t *c, const char *sql,
                          const eddy_db_value_t *params, size_t n,
                          eddy_db_done_cb done) {
  int r = eddy_db_query(s->db, sql, params, n, NULL, done, c);
  if (r == -ECANCELED)
    eddy_app_fail(c->req, 503, "the server is shutting down");
  else if (r)
    eddy_app_next(c->req, r);
}

/* ---- the routes */

static void got_user(eddy_db_result_t *res, int status) {
  users_call_t *c = res->data;
  if (status)
    answer_db_error(c->req, res, status);
  else if (!res->nrows)
    eddy_app_fail(c->req, 404, "no user %lld", (long long)c->id);
  else
    answer_user(c->req, 200, eddy_db_row(res, 0));
}

static void get_user(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  users_call_t *c = new_call(req, 1);
  if (!c) return;
  eddy_db_value_t id = eddy_db_int(c->id);
  query_or_fail(arg, c, "SELECT " USER_COLUMNS " FROM users WHERE id = $1", &id,
                1, got_user);
}

static void got_list(eddy_db_result_t *res, int status) {
  users_call_t *c = res->data;
  if (status) {
    answer_db_error(c->req, res, status);
    return;
  }
  eddy_app_jw_t jw;
  eddy_app_jw_init(&jw, c->req);
  eddy_app_jw_object(&jw);
  eddy_app_jw_key(&jw, "users");
  eddy_app_jw_array(&jw);
  for (size_t i = 0; i < res->nrows; i++) write_user(&jw, eddy_db_row(res, i));
  eddy_app_jw_array_end(&jw);
  eddy_app_jw_key(&jw, "limit");
  eddy_app_jw_int(&jw, c->limit);
  eddy_app_jw_key(&jw, "offset");
  eddy_app_jw_int(&jw, c->offset);
  eddy_app_jw_object_end(&jw);
  eddy_app_res_send_jw(eddy_app_req_res(c->req), &jw);
}

static void list_users(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  users_call_t *c = new_call(req, 0);
  if (!c) return;
  const char *limit = eddy_app_req_query(req, "limit");
  const char *offset = eddy_app_req_query(req, "offset");
  c->limit = limit ? decimal(limit, 1, LIST_MAX) : LIST_DEFAULT;
  c->offset = offset ? decimal(offset, 0, INT32_MAX) : 0;
  if (c->limit < 0 || c->offset < 0) {
    eddy_app_fail(req, 400, "limit: 1 to %d; offset: 0 or more", LIST_MAX);
    return;
  }
  eddy_db_value_t p[2] = {eddy_db_int(c->limit), eddy_db_int(c->offset)};
  query_or_fail(arg, c,
                "SELECT " USER_COLUMNS
                " FROM users ORDER BY id LIMIT $1 OFFSET $2",
                p, 2, got_list);
}

/* Now as ISO 8601 UTC with milliseconds, e.g. 2026-12-01T14:05:09.123Z. */
static void now_iso(char out[32]) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void created(eddy_db_result_t *res, int status) {
  users_call_t *c = res->data;
  if (status || !res->nrows) {
    answer_db_error(c->req, res, status ? status : EDDY_EDB);
    return;
  }
  const eddy_db_value_t *row = eddy_db_row(res, 0);
  char location[48];
  snprintf(location, sizeof(location), "/users/%lld", (long long)row[0].i);
  eddy_app_res_set(eddy_app_req_res(c->req), "Location", location);
  answer_user(c->req, 201, row);
}

static void create_user(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  eddy_db_value_t p[3];
  char now[32];
  users_call_t *c = new_call(req, 0);
  if (!c || read_user_body(req, p)) return;
  now_iso(now);
  p[2] = eddy_db_text(now);
  query_or_fail(arg, c,
                "INSERT INTO users (name, email, created_at) "
                "VALUES ($1, $2, $3) RETURNING " USER_COLUMNS,
                p, 3, created);
}

static void update_user(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  eddy_db_value_t p[3];
  users_call_t *c = new_call(req, 1);
  if (!c || read_user_body(req, p)) return;
  p[2] = eddy_db_int(c->id);
  query_or_fail(arg, c,
                "UPDATE users SET name = $1, email = $2 WHERE id = $3 "
                "RETURNING " USER_COLUMNS,
                p, 3, got_user);
}

static void deleted(eddy_db_result_t *res, int status) {
  users_call_t *c = res->data;
  if (status)
    answer_db_error(c->req, res, status);
  else if (!res->affected)
    eddy_app_fail(c->req, 404, "no user %lld", (long long)c->id);
  else
    answer_no_content(c->req);
}

static void delete_user(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  users_call_t *c = new_call(req, 1);
  if (!c) return;
  eddy_db_value_t id = eddy_db_int(c->id);
  query_or_fail(arg, c, "DELETE FROM users WHERE id = $1", &id, 1, deleted);
}

int serve_add_users(serve_t *s) {
  int r = eddy_app_use(s->app, "/users", eddy_app_json_body,
                       (void *)&users_body);
  if (!r) r = eddy_app_get(s->app, "/users", list_users, s);
  if (!r) r = eddy_app_post(s->app, "/users", create_user, s);
  if (!r) r = eddy_app_get(s->app, "/users/:id", get_user, s);
  if (!r) r = eddy_app_put(s->app, "/users/:id", update_user, s);
  if (!r) r = eddy_app_delete(s->app, "/users/:id", delete_user, s);
  return r;
}

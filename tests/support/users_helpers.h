/*
 * Helpers for the e2e tests of `eddy serve`'s users API: a server on a
 * fresh, empty database of either engine (SQLite in a temporary
 * --data-dir, or a new database made for the test on the run's shared
 * PostgreSQL), its stall detector on and its log kept in a file; JSON
 * requests and answers checked with jansson.
 */
#ifndef EDDY_TEST_USERS_HELPERS_H
#define EDDY_TEST_USERS_HELPERS_H

#include <jansson.h>
#include <stdint.h>

#include "support/serve_helpers.h"
#include "support/service_helpers.h"

/* The stall threshold the users servers run with (--stall-ms): a
 * callback that holds the loop this long is logged, and users_stop fails
 * the test. Wall time on a shared machine under ASan, hence not lower. */
#define USERS_STALL_MS "50"

typedef struct {
  e2e_server_t srv;
  char engine[16];  /* "sqlite" or "postgres" */
  char dbname[64];  /* postgres: the database made for this server */
  char db_url[256]; /* postgres: its URL (--db) */
  const svc_t *pg;  /* postgres: the server holding it */
  char log[128];    /* the server's stderr */
} users_srv_t;

/* Starts `eddy serve --stall-ms USERS_STALL_MS [extra...]` on a fresh
 * database of `engine` ("sqlite" or "postgres"; for postgres on the
 * run's shared server) with its stderr in u->log. */
void users_start(users_srv_t *u, const char *engine, const char *const *extra);
/* The same on a database of the PostgreSQL server `pg` (a private one
 * that the test may stop and restart). */
void users_start_pg(users_srv_t *u, const svc_t *pg, const char *const *extra);
/* SIGTERM; asserts exit status 0 and that the log says no loop stalled
 * (and no sanitizer report); drops the test's database, removes the log. */
void users_stop(users_srv_t *u);
/* 1 if the server's log holds `needle`. */
int users_log_has(const users_srv_t *u, const char *needle);

/* A new empty database on `pg` through a libpq admin connection; its
 * name and URL (TCP, numeric host) into the buffers. */
void pg_create_db(const svc_t *pg, char name[64], char url[256]);
/* DROP DATABASE ... WITH (FORCE). */
void pg_drop_db(const svc_t *pg, const char *name);

/* The answer's body as JSON (asserts it parses); json_decref it. */
json_t *served_json(const served_t *r);
/* The "error" string of a JSON error answer (asserts there is one), in
 * a static buffer. */
const char *served_error(const served_t *r);

/* POST /users {"name", "email"} (a JSON string each, any bytes but
 * NUL): asserts 201 with Location /users/ID and the fields echoed;
 * returns the id. */
int64_t users_create(const e2e_server_t *s, const char *name,
                     const char *email);
/* GET /users/ID: asserts 200 and the fields byte for byte. */
void users_expect(const e2e_server_t *s, int64_t id, const char *name,
                  const char *email);
/* A request with a JSON (or other) body; returns the status. */
long users_send(const e2e_server_t *s, const char *method, const char *path,
                const char *content_type, const char *body, served_t *out);
/* The status of GET `path`; the answer kept in *out if not NULL. */
long users_get(const e2e_server_t *s, const char *path, served_t *out);
/* {"name": name, "email": email} as JSON text (malloc'd). */
char *users_body(const char *name, const char *email);

#endif

/*
 * Real services for the db tests: PostgreSQL (Debian's postgresql) and
 * memcached, started by the tests themselves in temporary directories on
 * free ports and Unix sockets, as the unprivileged user `nobody` (the tests
 * run as root and PostgreSQL refuses root), and stopped by PID.
 *
 * PostgreSQL: initdb runs once per run of the test binary (a template data
 * directory under /tmp/eddy-svc-<runner pid>/, made under a file lock by
 * the first test that needs it); one shared server serves the ordinary
 * tests and is stopped by a report hook when the run ends; a test that
 * must restart its server gets a private one, copied from the template.
 * A missing server binary fails the test (scripts/deps.sh installs it).
 */
#ifndef EDDY_TEST_SERVICE_HELPERS_H
#define EDDY_TEST_SERVICE_HELPERS_H

#include <sys/types.h>

typedef struct {
  pid_t pid;
  int port;
  char dir[128];  /* data directory (PG) or run directory (memcached) */
  char url[256];  /* postgres://... over TCP; memcached: 127.0.0.1:port */
  char sock_url[256]; /* PG over its Unix socket */
} svc_t;

/* The shared PostgreSQL server of this run (started on first use). */
const svc_t *pg_shared(void);
/* A private PostgreSQL server (asserts it started). */
void pg_start_private(svc_t *s);
/* Stops (fast shutdown, SIGINT) and waits; start again with pg_restart. */
void pg_stop(svc_t *s);
/* Starts a stopped private server again on the same port and directory. */
void pg_restart(svc_t *s);
/* Stops it and removes its directory. */
void pg_destroy(svc_t *s);

/* A memcached on 127.0.0.1 and a free port (asserts it started). */
void mc_start(svc_t *s);
void mc_stop(svc_t *s);
/* Starts a stopped memcached again on the same port. */
void mc_restart(svc_t *s);

/* A free TCP port on 127.0.0.1. */
int svc_free_port(void);

#endif

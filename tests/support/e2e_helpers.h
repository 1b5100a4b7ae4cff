/*
 * End-to-end helpers: start the real `eddy serve` binary (from EDDY_BIN) on
 * a free port, talk to it over raw sockets, stop it by PID.
 */
#ifndef EDDY_TEST_E2E_HELPERS_H
#define EDDY_TEST_E2E_HELPERS_H

#include <stddef.h>
#include <sys/types.h>

typedef struct {
  pid_t pid;
  int port;
} e2e_server_t;

/* Starts `eddy serve --port <free> [extra...]` (NULL-terminated extra
 * arguments) and waits until it accepts connections (asserts on failure). */
void e2e_start(e2e_server_t *s, const char *const *extra);
/* SIGTERM, then waits for the process; asserts it exited with status 0. */
void e2e_stop(e2e_server_t *s);
/* Kills (SIGKILL) a server a failed test left running; for .fini. */
void e2e_kill_leftover(void);
/* A connected blocking socket to the server, with a 5 s receive timeout. */
int e2e_connect(const e2e_server_t *s);
/* Sends all `n` bytes. */
void e2e_send(int fd, const void *p, size_t n);
/* Reads until EOF, timeout or `max` bytes; returns the count (NUL added).
 * *eof is set to 1 if the peer closed. */
size_t e2e_recv_all(int fd, char *buf, size_t max, int *eof);
/* Counts occurrences of `needle` in `hay`. */
int e2e_count(const char *hay, const char *needle);

#endif

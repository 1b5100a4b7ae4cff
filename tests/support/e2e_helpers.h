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
  char data_dir[64]; /* the temporary --data-dir e2e_start gave, or "" */
} e2e_server_t;

/* Starts `eddy serve --port <free> [extra...]` (NULL-terminated extra
 * arguments) and waits until it accepts connections (asserts on failure).
 * Unless `extra` names --data-dir or --db, the server gets a fresh
 * temporary --data-dir (its SQLite database), removed by e2e_stop. */
void e2e_start(e2e_server_t *s, const char *const *extra);
/* e2e_start with the server's stderr (its log) appended to `log_path`
 * (asserts as e2e_start). */
void e2e_start_logged(e2e_server_t *s, const char *const *extra,
                      const char *log_path);
/* SIGKILL, then waits (a crash, as the kernel would do it); the temporary
 * --data-dir of e2e_start, if any, is removed. */
void e2e_kill(e2e_server_t *s);
/* SIGTERM, then waits for the process; asserts it exited with status 0. */
void e2e_stop(e2e_server_t *s);
/* For a server already told to stop: waits up to `ms` for it to exit by
 * itself (no further signal, which could land after its handlers are
 * gone), then asserts it exited with status 0. */
void e2e_wait_exit(e2e_server_t *s, long ms);
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

/* ---- Examples, responses one at a time, closes, slow readers. ---- */

/* Starts `$EDDY_EXAMPLES/<name> <free port> [extra...]` and waits until it
 * accepts connections, like e2e_start (asserts on failure). */
void e2e_start_example(e2e_server_t *s, const char *name,
                       const char *const *extra);
/* 1 if the server process is still running (not exited, not a zombie). */
int e2e_alive(const e2e_server_t *s);
/* Number of open fds of process `pid` (/proc/<pid>/fd), -1 on error. */
int e2e_fd_count(pid_t pid);
/* Sends what it can of `n` bytes, ignoring EPIPE/ECONNRESET (the server
 * may answer and close before a bad request is fully sent). */
void e2e_send_some(int fd, const void *p, size_t n);
/* Reads exactly one response: the head byte by byte (so nothing of the
 * next pipelined response is consumed), then Content-Length body bytes
 * unless `no_body` (HEAD) or the status is 1xx/204/304. The text goes to
 * buf (NUL-terminated). Returns the status code, or -1 if the connection
 * ended or timed out first. */
int e2e_read_response(int fd, char *buf, size_t max, int no_body);
/* Waits up to `ms` for the peer to close (EOF or reset), discarding any
 * bytes. Returns the ms it took, or -1 if still open. */
long e2e_wait_close(int fd, long ms);
/* One request on a fresh connection; returns the status of the answer
 * (or -1), the response in `out` (may be NULL). */
int e2e_fresh_request(const e2e_server_t *s, const char *req, char *out,
                      size_t max);
/* Milliseconds on the monotonic clock. */
long e2e_now_ms(void);
/* Reads one response whose body is `body_len` bytes, at most 16 KiB per
 * recv, sleeping `pause_us` after each `pause_every` bytes: a slow reader.
 * `mid` (may be NULL) runs once when half the body has come. Returns the
 * malloc'd bytes (free them); *body_at is where the body starts. Asserts
 * the connection does not end first. */
char *e2e_read_slowly(int fd, size_t body_len, size_t pause_every,
                      unsigned pause_us, void (*mid)(void *), void *arg,
                      size_t *body_at);

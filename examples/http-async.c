/*
 * http-async: an HTTP server whose handlers answer later.
 *
 * The model of an asynchronous handler. The handler gets (req, res) and
 * may return before answering: req and res stay valid until it calls
 * eddy_http_res_end(), which it must call exactly once. If the client
 * leaves first, the server calls the res's on_close callback; from then on
 * every res function returns -ECANCELED and res_end only releases res and
 * req. So whatever the handler started (here a timer) must be stopped in
 * on_close, and res_end called there, so nothing touches res afterwards.
 *
 * Routes (anything else is 404):
 *   GET /                 "Hello, World!"
 *   GET /delay?ms=N       answers "N" after an N ms timer (N <= 60000)
 *   POST /echo            answers the request body (the server buffers it)
 *   GET /status?code=N    answers status N (204 and 304 go without body)
 *   GET /stream?n=K       K chunks "chunk i\n", one per 1 ms timer tick,
 *                         with eddy_http_res_write (chunked), then end
 *   GET /close            answers with "Connection: close"
 *
 * Usage: http-async [port]   (default $PORT, else 8080; 127.0.0.1).
 * SIGINT/SIGTERM close the server, giving in-flight requests 1 s.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eddy.h"
#include "eddy/http.h"

#define MAX_DELAY_MS 60000
#define MAX_CHUNKS 100000

/*
 * The state of one pending response. It owns a timer, so it is freed in
 * the timer's close callback, never earlier: a handle's memory may only be
 * released once its close callback ran.
 */
typedef struct {
  eddy_timer_t timer;
  eddy_http_res_t *res; /* NULL once the response is ended */
  long value;           /* /delay: the delay; /stream: chunks left */
  long sent;            /* /stream: chunks written */
} job_t;

static void on_job_closed(eddy_handle_t *h) { free(h->data); }

/* Ends the job: the response is done (or abandoned), the timer goes. */
static void job_finish(job_t *job) {
  job->res = NULL;
  eddy_close(EDDY_HANDLE(&job->timer), on_job_closed);
}

/*
 * The client went away before we answered. res is still valid here, but
 * writing to it would only return -ECANCELED: stop the work, and release
 * res with res_end (which returns -ECANCELED, as expected).
 */
static void on_client_gone(eddy_http_res_t *res) {
  job_t *job = *eddy_http_res_data(res);
  eddy_http_res_end(res, NULL, 0);
  job_finish(job);
}

/* Starts a job for `res` with a timer calling `cb`; NULL if out of memory
 * (the caller then answers 503 at once). */
static job_t *job_start(eddy_http_server_t *server, eddy_http_res_t *res,
                        eddy_timer_cb cb, uint64_t timeout, uint64_t repeat) {
  job_t *job = calloc(1, sizeof(*job));
  if (!job) return NULL;
  job->res = res;
  eddy_timer_init(server->loop, &job->timer);
  job->timer.data = job;
  *eddy_http_res_data(res) = job;
  eddy_http_res_on_close(res, on_client_gone);
  eddy_timer_start(&job->timer, cb, timeout, repeat);
  return job;
}

/* Reads the decimal value of `key` in the query; `dflt` if absent or bad. */
static long query_num(const eddy_http_request_t *req, const char *key, long max,
                      long dflt) {
  size_t klen = strlen(key);
  const char *p = req->query.base, *end = p + req->query.len;
  while (p && p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *stop = amp ? amp : end;
    if ((size_t)(stop - p) > klen && !memcmp(p, key, klen) && p[klen] == '=') {
      long v = 0;
      const char *d = p + klen + 1;
      if (d == stop) return dflt;
      for (; d < stop; d++) {
        if (*d < '0' || *d > '9' || v > max) return dflt;
        v = v * 10 + (*d - '0');
      }
      return v <= max ? v : dflt;
    }
    p = amp ? amp + 1 : end;
  }
  return dflt;
}

static int path_is(const eddy_http_request_t *req, const char *path) {
  return req->path.len == strlen(path) &&
         memcmp(req->path.base, path, req->path.len) == 0;
}

static void answer(eddy_http_res_t *res, int status, const char *text) {
  eddy_http_res_status(res, status);
  eddy_http_res_set_header(res, "Content-Type", "text/plain");
  eddy_http_res_end(res, text, strlen(text));
}

/* ---------------------------------------------------------------- /delay */

static void delay_done(eddy_timer_t *t) {
  job_t *job = t->data;
  char num[24];
  snprintf(num, sizeof(num), "%ld", job->value);
  answer(job->res, 200, num);
  job_finish(job);
}

static void route_delay(eddy_http_server_t *server, eddy_http_request_t *req,
                        eddy_http_res_t *res) {
  long ms = query_num(req, "ms", MAX_DELAY_MS, -1);
  if (ms < 0) {
    answer(res, 400, "ms=N (0..60000) expected\n");
    return;
  }
  job_t *job = job_start(server, res, delay_done, (uint64_t)ms, 0);
  if (!job)
    answer(res, 503, "out of memory\n");
  else
    job->value = ms;
}

/* --------------------------------------------------------------- /stream */

static void stream_tick(eddy_timer_t *t);

/* The output went below its high-water mark: resume the ticks. */
static void stream_drained(eddy_http_res_t *res) {
  job_t *job = *eddy_http_res_data(res);
  eddy_timer_start(&job->timer, stream_tick, 1, 1);
}

static void stream_tick(eddy_timer_t *t) {
  job_t *job = t->data;
  if (job->sent == job->value) {
    eddy_http_res_end(job->res, NULL, 0); /* the last chunk: "0\r\n\r\n" */
    job_finish(job);
    return;
  }
  char line[32];
  int n = snprintf(line, sizeof(line), "chunk %ld\n", job->sent++);
  /* 1: the client reads slower than we write; wait for the drain. */
  if (eddy_http_res_write(job->res, line, (size_t)n) == 1)
    eddy_timer_stop(&job->timer);
}

static void route_stream(eddy_http_server_t *server, eddy_http_request_t *req,
                         eddy_http_res_t *res) {
  long k = query_num(req, "n", MAX_CHUNKS, -1);
  if (k < 0) {
    answer(res, 400, "n=K (0..100000) expected\n");
    return;
  }
  eddy_http_res_set_header(res, "Content-Type", "text/plain");
  job_t *job = job_start(server, res, stream_tick, 1, 1);
  if (!job) {
    answer(res, 503, "out of memory\n");
    return;
  }
  job->value = k;
  eddy_http_res_on_drain(res, stream_drained);
}

/* ------------------------------------------------------------- the rest */

static void route_echo(eddy_http_res_t *res, eddy_http_request_t *req) {
  size_t len;
  const char *body = eddy_http_req_body(req, &len);
  eddy_http_res_set_header(res, "Content-Type", "application/octet-stream");
  eddy_http_res_end(res, body, len); /* copied: the body may go after */
}

static void route_status(eddy_http_res_t *res, eddy_http_request_t *req) {
  long code = query_num(req, "code", 999, -1);
  if (code < 200) {
    answer(res, 400, "code=200..999 expected\n");
    return;
  }
  /* For 204 and 304 the server drops this body (RFC 9110 §15.3.5, 15.4.5). */
  answer(res, (int)code, "status body\n");
}

static void handler(eddy_http_server_t *server, eddy_http_request_t *req,
                    eddy_http_res_t *res) {
  if (path_is(req, "/delay"))
    route_delay(server, req, res);
  else if (path_is(req, "/stream"))
    route_stream(server, req, res);
  else if (path_is(req, "/echo"))
    route_echo(res, req);
  else if (path_is(req, "/status"))
    route_status(res, req);
  else if (path_is(req, "/close")) {
    eddy_http_res_set_header(res, "Connection", "close");
    answer(res, 200, "bye\n");
  } else if (path_is(req, "/"))
    answer(res, 200, "Hello, World!");
  else
    answer(res, 404, "Not Found\n");
}

/* -------------------------------------------------------------- main */

static eddy_signal_t sig_int, sig_term;

static void on_server_closed(eddy_http_server_t *server) {
  eddy_close(EDDY_HANDLE(&sig_int), NULL);
  eddy_close(EDDY_HANDLE(&sig_term), NULL);
}

static void on_stop(eddy_signal_t *sig, int signum) {
  eddy_http_server_close(sig->data, 1000, on_server_closed);
}

/* The port from argv[1], else $PORT, else 8080; -1 if malformed. */
static int pick_port(int argc, char **argv) {
  const char *s = argc > 1 ? argv[1] : getenv("PORT");
  if (!s) return 8080;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  return (errno || end == s || *end || v < 0 || v > 65535) ? -1 : (int)v;
}

int main(int argc, char **argv) {
  int port = pick_port(argc, argv);
  if (port < 0) {
    fputs("usage: http-async [port]\n", stderr);
    return 2;
  }
  eddy_loop_t loop;
  eddy_http_server_t server;
  if (eddy_loop_init(&loop)) return 1;
  eddy_http_server_init(&loop, &server, NULL, handler);
  int r = eddy_http_server_listen(&server, "127.0.0.1", port);
  if (r < 0) {
    fprintf(stderr, "http-async: port %d: %s\n", port, eddy_strerror(r));
    return 1;
  }
  eddy_signal_init(&loop, &sig_int);
  eddy_signal_init(&loop, &sig_term);
  sig_int.data = sig_term.data = &server;
  eddy_signal_start(&sig_int, on_stop, SIGINT);
  eddy_signal_start(&sig_term, on_stop, SIGTERM);
  printf("http-async: listening on http://127.0.0.1:%d/\n",
         eddy_http_server_port(&server));
  fflush(stdout);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  return eddy_loop_close(&loop) ? 1 : 0;
}

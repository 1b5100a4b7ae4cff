/*
 * http-get: Node's `http.get(url, cb)` with `req.on('error', ...)`, in C.
 *
 * Fetches each URL given, all at once through one keep-alive agent, and
 * prints per URL either the status, the number of header lines and the
 * body size, or the error that ended it — a name that does not resolve, a
 * refused connection, a timeout — by name. Exits 0 if every request got a
 * response, 1 otherwise.
 *
 * Usage: http-get URL...   (e.g. http-get http://127.0.0.1:8080/
 *                                          http://nonexistent.invalid/)
 */
#include <stdio.h>

#include "eddy.h"

static int failures;

static void on_end(eddy_client_req_t *req, const eddy_client_res_t *res) {
  printf("%s: %d, %zu header lines, %zu body bytes\n", (const char *)req->data,
         res->status, res->nheaders, res->body_len);
}

static void on_error(eddy_client_req_t *req, int status) {
  /* Exactly one of on_end / on_error runs, once, and nothing after. */
  printf("%s: error %s (%s)\n", (const char *)req->data, eddy_err_name(status),
         eddy_strerror(status));
  failures++;
}

int main(int argc, char **argv) {
  eddy_loop_t loop;
  eddy_client_t *client;
  eddy_client_opts_t opts = {.connect_timeout_ms = 5000,
                             .response_timeout_ms = 10000};
  if (argc < 2) {
    fprintf(stderr, "usage: %s URL...\n", argv[0]);
    return 2;
  }
  if (eddy_loop_init(&loop) < 0 ||
      eddy_client_create(&loop, &opts, &client) < 0)
    return 1;
  for (int i = 1; i < argc; i++) {
    eddy_client_req_opts_t o = {.url = argv[i],
                                .buffer_body = 1,
                                .max_body = 64u * 1024u * 1024u,
                                .on_end = on_end,
                                .on_error = on_error,
                                .data = argv[i]};
    int rc = eddy_client_request(client, &o, NULL);
    if (rc < 0) { /* could not even start: a bad URL, https, ... */
      printf("%s: %s\n", argv[i], eddy_strerror(rc));
      failures++;
    }
  }
  eddy_run(&loop, EDDY_RUN_DEFAULT); /* idle connections do not hold it */
  eddy_client_close(client, NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_loop_close(&loop);
  return failures ? 1 : 0;
}

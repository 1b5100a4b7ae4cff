/*
 * express: Express in C -- routes, a logging middleware, a JSON body,
 * error middleware.
 *
 *   GET  /               "Hello from eddy"
 *   GET  /users/:id      {"id":42,"name":"user 42"} (400 if id is not a number)
 *   POST /users          JSON body {"name": "..."} -> 201 {"id":..,"name":..}
 *   GET  /boom           an error passed to next(): 500 {"error": ...}
 *
 * Usage: express [port]   (default 8080; 127.0.0.1). Ctrl-C stops it.
 * Try:   curl -d '{"name":"Ada"}' -H 'Content-Type: application/json' \
 *          localhost:8080/users
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "eddy.h"

/* app.use((req, res, next) => { console.log(...); next(); }) */
static void log_request(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  printf("-> %s %s\n", eddy_app_req_method(req), eddy_app_req_path(req));
  eddy_app_next(req, 0);
}

/* Runs when each response is finished: status and time taken. */
static void log_response(eddy_app_req_t *req, eddy_app_res_t *res, void *a) {
  double ms = (eddy_hrtime() - eddy_app_req_start_ns(req)) / 1e6;
  printf("<- %d %s %s (%.2f ms)\n", eddy_app_res_get_status(res),
         eddy_app_req_method(req), eddy_app_req_path(req), ms);
}

static void hello(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  eddy_app_res_send(res, "Hello from eddy\n");
}

static void get_user(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  char *end;
  long id = strtol(eddy_app_req_param(req, "id"), &end, 10);
  if (*end) {
    eddy_app_fail(req, 400, "id must be a number");
    return;
  }
  eddy_app_jw_t jw; /* the streaming writer: no tree, no frees */
  eddy_app_jw_init(&jw, req);
  eddy_app_jw_object(&jw);
  eddy_app_jw_key(&jw, "id");
  eddy_app_jw_int(&jw, id);
  eddy_app_jw_key(&jw, "name");
  eddy_app_jw_string(&jw, eddy_app_printf(req, "user %ld", id));
  eddy_app_jw_object_end(&jw);
  eddy_app_res_send_jw(res, &jw);
}

static void create_user(eddy_app_req_t *req, eddy_app_res_t *res, void *a) {
  static json_int_t next_id = 1;
  json_t *name = json_object_get(eddy_app_req_json(req), "name");
  if (!json_is_string(name)) {
    eddy_app_fail(req, 400, "a JSON body with a \"name\" string is needed");
    return;
  }
  json_t *user = json_pack("{s:I,s:O}", "id", next_id++, "name", name);
  eddy_app_res_status(res, 201);
  eddy_app_res_json(res, user);
  json_decref(user);
}

static void boom(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  eddy_app_next(req, -EIO); /* as an async callback would pass its status */
}

/* app.use((err, req, res, next) => ...): log it, let the default answer. */
static void on_error(int err, eddy_app_req_t *req, eddy_app_res_t *res,
                     void *arg) {
  const char *msg = eddy_app_error_message(req);
  printf("!! %s %s: %d %s\n", eddy_app_req_method(req), eddy_app_req_path(req),
         eddy_app_error_status(err), msg ? msg : eddy_strerror(err));
  eddy_app_next(req, err);
}

static eddy_signal_t sigint, sigterm;

/* Ctrl-C or SIGTERM: stop listening, let requests in flight finish. */
static void on_signal(eddy_signal_t *sig, int signum) {
  eddy_http_server_close(sig->data, 1000, NULL);
  eddy_close(EDDY_HANDLE(&sigint), NULL);
  eddy_close(EDDY_HANDLE(&sigterm), NULL);
}

int main(int argc, char **argv) {
  int port = argc > 1 ? atoi(argv[1]) : 8080;
  eddy_loop_t loop;
  eddy_http_server_t server;
  eddy_loop_init(&loop);

  eddy_app_t *app = eddy_app_create();
  eddy_app_use(app, NULL, log_request, NULL);
  eddy_app_use(app, NULL, eddy_app_json_body, NULL);
  eddy_app_get(app, "/", hello, NULL);
  eddy_app_get(app, "/users/:id", get_user, NULL);
  eddy_app_post(app, "/users", create_user, NULL);
  eddy_app_get(app, "/boom", boom, NULL);
  eddy_app_use_error(app, NULL, on_error, NULL);
  eddy_app_on_end(app, log_response, NULL);

  if (eddy_app_listen(app, &loop, &server, NULL, "127.0.0.1", port)) {
    fprintf(stderr, "express: cannot listen on port %d\n", port);
    return 1;
  }
  eddy_signal_init(&loop, &sigint);
  eddy_signal_init(&loop, &sigterm);
  sigint.data = sigterm.data = &server;
  eddy_signal_start(&sigint, on_signal, SIGINT);
  eddy_signal_start(&sigterm, on_signal, SIGTERM);
  printf("express: listening on http://127.0.0.1:%d/\n",
         eddy_http_server_port(&server));
  setvbuf(stdout, NULL, _IOLBF, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_app_destroy(app);
  return eddy_loop_close(&loop) ? 1 : 0;
}

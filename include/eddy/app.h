/*
 * eddy — the application layer: Express in C.
 *
 * An app is a table of routes and a list of middleware, served through the
 * HTTP server (eddy/http.h):
 *
 *   eddy_app_t *app = eddy_app_create();
 *   eddy_app_use(app, NULL, log_request, NULL);            // app.use(fn)
 *   eddy_app_get(app, "/users/:id", get_user, db);         // app.get(...)
 *   eddy_app_use_error(app, NULL, on_error, NULL);         //
 * (err,req,res,next) eddy_app_listen(app, &loop, &server, NULL, "127.0.0.1",
 * 8080);
 *
 * Routes. A pattern is '/'-separated segments: literals ("users"), named
 * parameters (":id", a whole non-empty segment) and, as the last segment
 * only, a wildcard ("*" or "*name") that takes the rest of the path after
 * the '/' (possibly empty; eddy_app_req_param(req, "*") or the name).
 * The table is a tree of segments, so a lookup costs the depth of the path,
 * not the number of routes. At every segment a literal beats a parameter,
 * which beats a wildcard, whatever the order of registration (the lookup
 * backtracks if the better branch leads nowhere). One trailing '/' on the
 * request path is ignored ("/users/5/" matches "/users/:id"). No route for
 * the path: 404. A route for the path but not the method: 405 with an
 * `Allow` header. HEAD runs the GET route (the body is dropped by the
 * server). OPTIONS without its own route is answered 204 with `Allow`.
 * Parameters are percent-decoded; a malformed escape (or %00) is 400.
 *
 * Middleware (Connect's (req, res, next)). Middleware and routes run in
 * registration order, as in Express: a middleware runs when its prefix
 * matches the path (at a segment boundary: "/api" matches "/api" and
 * "/api/x", not "/apix"; a prefix may hold ":name" parameters); the route
 * that matches (the best one, chosen by the tree) runs at the place where
 * it was registered, and if it passes the request on, the next route that
 * also matches (see eddy_app_next). Each layer either answers
 * (eddy_app_res_end/send/json...), or calls eddy_app_next(req, 0) -- now,
 * or later from any callback on the loop thread (a timer, a file read, a
 * pool task) -- to pass the request on. So a middleware registered after
 * the routes runs only when no route matched (or the routes passed on): a
 * custom 404. When the list ends unanswered: 404, 405 or the OPTIONS
 * answer above. Mounted routers (eddy_app_mount) bring their middleware
 * and routes in at the point of mounting, under the prefix.
 *
 * Errors. eddy_app_next(req, err) with err < 0 skips the normal layers and
 * runs the next error middleware (registered after the current point)
 * whose prefix matches; each answers or passes the error on with
 * eddy_app_next (calling it with 0 keeps the current error). After the last
 * one the default handler answers. An error is either an HTTP status,
 * negated (-404, -413: the range -200..-599, which the HTTP parser uses and
 * no errno does), or any other negative code (a negated errno, an EDDY_E*
 * code), which means 500. So an async callback's status goes straight to
 * next: `eddy_app_next(req, status)`. The default handler answers
 * {"error": "..."} with the status; the text is the message given to
 * eddy_app_fail() for a 4xx, else the status's reason phrase: it never
 * shows internals. 5xx errors are logged (eddy/log.h) with the code's name,
 * the detail message and the route.
 *
 * Lifetime. Everything about one request (req, res, parameters, parsed
 * query, cookies, body, locals, the arena) lives until the response ends:
 * the end/send/json/redirect/send_file call that finishes it, after which
 * neither req nor res may be used. Every request must be finished exactly
 * once by the app functions (not by eddy_http_res_end on the raw response).
 * If the client goes away first, res functions return -ECANCELED and a
 * later eddy_app_next() finishes the request by itself; the on-close
 * callback (eddy_app_res_on_close) tells async work it may stop.
 *
 * Registration (routes, use, mount) is done before the first request; once
 * an app has served a request it is compiled and registration returns
 * -EBUSY. Threads: an app and its requests belong to one loop thread.
 * Strings returned by req functions are NUL-terminated and live in the
 * request's arena.
 */
#ifndef EDDY_APP_H
#define EDDY_APP_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "eddy/http.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An app, or a router to mount in one (Express's express.Router()). */
typedef struct eddy_app_s eddy_app_t;
/* One request being handled, and its response (same lifetime). */
typedef struct eddy_app_req_s eddy_app_req_t;
typedef struct eddy_app_res_s eddy_app_res_t;

/* A JSON value of the JSON library eddy uses (jansson's json_t). */
typedef struct json_t eddy_json_value_t;

/* A route handler or middleware; `arg` is the pointer given when it was
 * registered. */
typedef void (*eddy_app_handler_cb)(eddy_app_req_t *req, eddy_app_res_t *res,
                                    void *arg);
/* Error middleware: `err` is the error passed to eddy_app_next(). */
typedef void (*eddy_app_error_cb)(int err, eddy_app_req_t *req,
                                  eddy_app_res_t *res, void *arg);
/* A response ended (eddy_app_on_end) or its client went away (on_close). */
typedef void (*eddy_app_res_cb)(eddy_app_req_t *req, eddy_app_res_t *res,
                                void *arg);

/* Patterns may hold at most this many parameters (the wildcard counts). */
#define EDDY_APP_MAX_PARAMS 16

/* --------------------------------------------------------- the app */

/* A new, empty app (or router). NULL on -ENOMEM. Loop thread. */
EDDY_EXTERN eddy_app_t *eddy_app_create(void);

/*
 * Frees the app, its routes and the routers mounted in it. No request of
 * the app may be in flight (close the server first). NULL is a no-op.
 */
EDDY_EXTERN void eddy_app_destroy(eddy_app_t *app);

/* The app's own pointer, for handlers (eddy_app_req_app). */
EDDY_EXTERN void **eddy_app_data(eddy_app_t *app);

/*
 * Registers `fn` for `method` (EDDY_HTTP_GET...; EDDY_HTTP_METHOD_UNKNOWN
 * means every method, Express's app.all) and `pattern` (copied). Returns
 * 0, -EINVAL (pattern not starting with '/', empty parameter name, a
 * wildcard not last, more than EDDY_APP_MAX_PARAMS parameters, NULL fn),
 * -EEXIST (same method and pattern again; parameter names do not count),
 * -EBUSY (the app has served requests) or -ENOMEM.
 */
EDDY_EXTERN int eddy_app_route(eddy_app_t *app, eddy_http_method_t method,
                               const char *pattern, eddy_app_handler_cb fn,
                               void *arg);

/* Shorthands of eddy_app_route for the common methods. */
#define eddy_app_get(app, pattern, fn, arg) \
  eddy_app_route((app), EDDY_HTTP_GET, (pattern), (fn), (arg))
#define eddy_app_post(app, pattern, fn, arg) \
  eddy_app_route((app), EDDY_HTTP_POST, (pattern), (fn), (arg))
#define eddy_app_put(app, pattern, fn, arg) \
  eddy_app_route((app), EDDY_HTTP_PUT, (pattern), (fn), (arg))
#define eddy_app_delete(app, pattern, fn, arg) \
  eddy_app_route((app), EDDY_HTTP_DELETE, (pattern), (fn), (arg))
#define eddy_app_patch(app, pattern, fn, arg) \
  eddy_app_route((app), EDDY_HTTP_PATCH, (pattern), (fn), (arg))
#define eddy_app_all(app, pattern, fn, arg) \
  eddy_app_route((app), EDDY_HTTP_METHOD_UNKNOWN, (pattern), (fn), (arg))

/*
 * Adds middleware that runs for paths under `prefix` (NULL or "/" for
 * all; copied; one trailing '/' ignored). The prefix holds literal
 * segments and named parameters (":id", as in a route pattern: a whole
 * non-empty segment), as Express's app.use('/users/:id', ...): while the
 * middleware runs, eddy_app_req_param(req, "id") is the decoded value
 * (a malformed escape is 400, as for a route), and eddy_app_req_subpath
 * what follows the matched segments. Returns 0, -EINVAL (prefix not
 * starting with '/', an empty segment, a bad parameter name, more than
 * EDDY_APP_MAX_PARAMS of them, a '*' or '?', NULL fn), -EBUSY or -ENOMEM.
 */
EDDY_EXTERN int eddy_app_use(eddy_app_t *app, const char *prefix,
                             eddy_app_handler_cb fn, void *arg);

/* Adds error middleware (Express's four-argument kind); as eddy_app_use. */
EDDY_EXTERN int eddy_app_use_error(eddy_app_t *app, const char *prefix,
                                   eddy_app_error_cb fn, void *arg);

/*
 * Mounts `router` (from eddy_app_create) at `prefix` ("/api"; NULL or
 * "/" for none; literal segments only): its routes answer under the prefix, its
 * middleware run at this point of `app`'s list with the prefix prepended. `app`
 * takes ownership (eddy_app_destroy frees it); a router is mounted once. What
 * is added to the router before the first request counts. Returns 0, -EINVAL
 * (bad prefix, router already mounted, a cycle), -EBUSY or -ENOMEM.
 */
EDDY_EXTERN int eddy_app_mount(eddy_app_t *app, const char *prefix,
                               eddy_app_t *router);

/*
 * Calls `fn` when each request of the app is finished (after the last
 * byte was handed to the server, or after the client left), just before
 * its memory is freed: for access logs and metrics. One hook; NULL
 * removes it.
 */
EDDY_EXTERN void eddy_app_on_end(eddy_app_t *app, eddy_app_res_cb fn,
                                 void *arg);

/*
 * Adds one more end hook (as eddy_app_on_end, which keeps its own slot),
 * so that a metrics middleware and an access log can both watch: they run
 * in the order added, after the eddy_app_on_end one. At most 8. Returns
 * 0, -ENOSPC, -EINVAL (NULL fn) or -EBUSY (the app has served requests).
 */
EDDY_EXTERN int eddy_app_add_end_hook(eddy_app_t *app, eddy_app_res_cb fn,
                                      void *arg);

/*
 * The HTTP handler that runs the app whose pointer is `server->data`:
 * pass it to eddy_http_server_init() and set server->data = app.
 */
EDDY_EXTERN void eddy_app_http_handler(eddy_http_server_t *server,
                                       eddy_http_request_t *req,
                                       eddy_http_res_t *res);

/*
 * Runs `app` for one request from your own HTTP handler (e.g. to put
 * something before the app). Same contract as a handler: the app finishes
 * the response.
 */
EDDY_EXTERN void eddy_app_dispatch(eddy_app_t *app, eddy_http_server_t *server,
                                   eddy_http_request_t *req,
                                   eddy_http_res_t *res);

/*
 * Convenience: eddy_http_server_init(loop, server, opts, the app handler),
 * server->data = app, then eddy_http_server_listen(host, port). Returns 0
 * or their error. Close the server as usual (eddy_http_server_close).
 */
EDDY_EXTERN int eddy_app_listen(eddy_app_t *app, eddy_loop_t *loop,
                                eddy_http_server_t *server,
                                const eddy_http_server_opts_t *opts,
                                const char *host, int port);

/* ------------------------------------------------------- next, errors */

/*
 * Passes the request on: err == 0 to the next middleware (then the
 * route), err < 0 to the error middleware (see the top of this file).
 * From a route handler, err == 0 goes on as in Express: to the next route
 * that also matches the path and the method (in the lookup's order:
 * literal, parameter, wildcard; a node's own-method route before its
 * every-method one), which runs at its place in the list (at once if its
 * place is already behind), then to the middleware after; 404 at the end.
 * Call it once per middleware, now or later, on the loop thread; a
 * middleware that answered does not call it. After the client went away
 * it finishes the request instead.
 */
EDDY_EXTERN void eddy_app_next(eddy_app_req_t *req, int err);

/*
 * eddy_app_next(req, -status) with a message for the client (printf
 * format, copied to the arena): the default error handler shows it for a
 * 4xx status ({"error": "invalid JSON at line 1, column 9: ..."}), and
 * logs it for a 5xx one.
 */
EDDY_EXTERN void eddy_app_fail(eddy_app_req_t *req, int status, const char *fmt,
                               ...) __attribute__((format(printf, 3, 4)));

/* The message given to eddy_app_fail() for the current error, or NULL. */
EDDY_EXTERN const char *eddy_app_error_message(const eddy_app_req_t *req);

/* The HTTP status an error means: 200..599 for -200..-599, else 500
 * (-100..-199 holds errnos such as -ETIMEDOUT, and a 1xx is no answer). */
EDDY_EXTERN int eddy_app_error_status(int err);

/* ------------------------------------------------------------ request */

/* The raw request (method, target, headers: eddy/http_parser.h). */
EDDY_EXTERN eddy_http_request_t *eddy_app_req_http(eddy_app_req_t *req);
/* The response of this request, and the request of a response. */
EDDY_EXTERN eddy_app_res_t *eddy_app_req_res(eddy_app_req_t *req);
/* The request a response answers. */
EDDY_EXTERN eddy_app_req_t *eddy_app_res_req(eddy_app_res_t *res);
/* The app serving the request (the root app, even inside a router). */
EDDY_EXTERN eddy_app_t *eddy_app_req_app(eddy_app_req_t *req);
/* The loop the request runs on (for timers, fs, pools). */
EDDY_EXTERN eddy_loop_t *eddy_app_req_loop(eddy_app_req_t *req);
/* The server the request came through. */
EDDY_EXTERN eddy_http_server_t *eddy_app_req_server(eddy_app_req_t *req);

/* The method's name ("GET"). */
EDDY_EXTERN const char *eddy_app_req_method(const eddy_app_req_t *req);
/* The path as sent (still percent-encoded), without the query. */
EDDY_EXTERN const char *eddy_app_req_path(eddy_app_req_t *req);
/*
 * The pattern of the matched route ("/users/:id", with the mount prefix),
 * or NULL if no route matches. Known from the first middleware on (the
 * lookup comes first). For metrics labels.
 */
EDDY_EXTERN const char *eddy_app_req_route(const eddy_app_req_t *req);
/* When the app got the request: the loop's cached time (ns) of the
 * iteration that read it (eddy_loop_now_ns: no clock read per request);
 * compare with eddy_hrtime(). */
EDDY_EXTERN uint64_t eddy_app_req_start_ns(const eddy_app_req_t *req);

/*
 * The path below the prefix of the middleware running now (Express's
 * req.path inside app.use('/static', ...)): "/css/a.css" for "/static/css/
 * a.css" under "/static"; "/" when nothing is left; the whole path in a
 * route handler or a middleware without prefix. Still percent-encoded,
 * without the query.
 */
EDDY_EXTERN const char *eddy_app_req_subpath(eddy_app_req_t *req);

/* The decoded value of route parameter `name` (":id" -> "id"; "*" or
 * the wildcard's name), or NULL. */
EDDY_EXTERN const char *eddy_app_req_param(eddy_app_req_t *req,
                                           const char *name);

/*
 * Query string ("?a=1&b=x%20y&a=2"), parsed on first use: keys and values
 * are decoded ('+' is a space); a pair with a malformed escape keeps its
 * raw bytes, a pair with a raw NUL byte is dropped. eddy_app_req_query is
 * the first value of `name` or NULL ("" for "?flag"); query_all fills
 * `out` (up to `max`) with every value of a repeated key, in order, and
 * returns how many there are in all; query_at is the i-th pair in order
 * (0 or -ENOENT past the end).
 */
EDDY_EXTERN const char *eddy_app_req_query(eddy_app_req_t *req,
                                           const char *name);
/* See eddy_app_req_query. */
EDDY_EXTERN size_t eddy_app_req_query_all(eddy_app_req_t *req, const char *name,
                                          const char **out, size_t max);
/* See eddy_app_req_query. */
EDDY_EXTERN int eddy_app_req_query_at(eddy_app_req_t *req, size_t i,
                                      const char **name, const char **value);

/*
 * The first request header named `name` (case-insensitive), as a
 * NUL-terminated copy, or NULL.
 */
EDDY_EXTERN const char *eddy_app_req_header(eddy_app_req_t *req,
                                            const char *name);

/* Cookie `name` from the Cookie header(s) (RFC 6265 §5.4; a quoted value
 * loses its quotes; values are not decoded), or NULL. */
EDDY_EXTERN const char *eddy_app_req_cookie(eddy_app_req_t *req,
                                            const char *name);

/*
 * The client's address as text ("127.0.0.1", "::1"), in the request's
 * arena. With the app's trust_proxy set, the first address of
 * X-Forwarded-For when present. NULL if the client is gone.
 */
EDDY_EXTERN const char *eddy_app_req_ip(eddy_app_req_t *req);

/* Trust X-Forwarded-For for eddy_app_req_ip (Express's trust proxy). */
EDDY_EXTERN void eddy_app_set_trust_proxy(eddy_app_t *app, int trust);

/* The request body as received ("" and 0 if none). */
EDDY_EXTERN const char *eddy_app_req_body(const eddy_app_req_t *req,
                                          size_t *len);

/*
 * The body parsed by eddy_app_json_body, or NULL (no JSON body). Borrowed:
 * freed when the response ends (json_incref to keep it).
 */
EDDY_EXTERN eddy_json_value_t *eddy_app_req_json(eddy_app_req_t *req);

/* A field of a form parsed by eddy_app_urlencoded_body (first value), or
 * NULL; form_at iterates like query_at. */
EDDY_EXTERN const char *eddy_app_req_form(eddy_app_req_t *req,
                                          const char *name);
/* See eddy_app_req_form. */
EDDY_EXTERN int eddy_app_req_form_at(eddy_app_req_t *req, size_t i,
                                     const char **name, const char **value);

/* ------------------------------------- per-request storage and memory */

/*
 * res.locals: a value under `key` (copied) for later middleware; set
 * replaces. The value is not freed by eddy (allocate it in the arena).
 * Returns 0 or -ENOMEM; get returns NULL if unset.
 */
EDDY_EXTERN int eddy_app_locals_set(eddy_app_req_t *req, const char *key,
                                    void *value);
/* See eddy_app_locals_set. */
EDDY_EXTERN void *eddy_app_locals_get(eddy_app_req_t *req, const char *key);

/*
 * Memory freed all at once when the response ends (h2o's per-request
 * pool): 16-byte aligned; NULL on OOM. alloc_zero zeroes; strdup/strndup
 * copy (NUL added); printf formats.
 */
EDDY_EXTERN void *eddy_app_alloc(eddy_app_req_t *req, size_t size);
/* See eddy_app_alloc. */
EDDY_EXTERN void *eddy_app_alloc_zero(eddy_app_req_t *req, size_t size);
/* See eddy_app_alloc. */
EDDY_EXTERN char *eddy_app_strndup(eddy_app_req_t *req, const char *s,
                                   size_t n);
/* See eddy_app_alloc. */
EDDY_EXTERN char *eddy_app_printf(eddy_app_req_t *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Runs `fn(arg)` when the request's memory is freed (after on_end), last
 * registered first: for what the arena cannot hold (a json_t, a file).
 * Returns 0 or -ENOMEM (then fn is not called).
 */
EDDY_EXTERN int eddy_app_defer(eddy_app_req_t *req, void (*fn)(void *),
                               void *arg);

/* ----------------------------------------------------------- response */

/* The raw response (for what the app does not wrap; never end it). */
EDDY_EXTERN eddy_http_res_t *eddy_app_res_http(eddy_app_res_t *res);

/* Sets the status (default 200). 0, -EINVAL (not 200..999, head sent),
 * -ECANCELED. */
EDDY_EXTERN int eddy_app_res_status(eddy_app_res_t *res, int status);
/* The status set so far (200 by default). */
EDDY_EXTERN int eddy_app_res_get_status(const eddy_app_res_t *res);

/* Sets a header (replacing), as eddy_http_res_set_header. */
EDDY_EXTERN int eddy_app_res_set(eddy_app_res_t *res, const char *name,
                                 const char *value);
/* Adds a header line, as eddy_http_res_append_header. */
EDDY_EXTERN int eddy_app_res_append(eddy_app_res_t *res, const char *name,
                                    const char *value);

/*
 * Sets Content-Type from a short name or extension ("json", ".html",
 * "png"), or a full type ("text/csv"; anything with a '/'), as Express's
 * res.type. Text types get "; charset=utf-8". Unknown extensions give
 * application/octet-stream.
 */
EDDY_EXTERN int eddy_app_res_type(eddy_app_res_t *res, const char *type);

/* The MIME type of a file name's extension ("a/b.css" -> "text/css"), or
 * "application/octet-stream". Static string; any thread. */
EDDY_EXTERN const char *eddy_app_mime_type(const char *path);

/*
 * Finishes the response with `len` bytes (may be 0): eddy_http_res_end.
 * send is the same for a NUL-terminated string and sets Content-Type
 * text/html; charset=utf-8 if none was set (as Express's res.send).
 * Returns 0, -ECANCELED (the client had gone; still finished), -ENOMEM,
 * or -EMSGSIZE (a Content-Length the handler set does not match the body:
 * still finished, see eddy_http_res_set_header).
 * req and res are gone after any of the finishing calls below.
 */
EDDY_EXTERN int eddy_app_res_end(eddy_app_res_t *res, const void *body,
                                 size_t len);
/* See eddy_app_res_end. */
EDDY_EXTERN int eddy_app_res_send(eddy_app_res_t *res, const char *text);

/*
 * Finishes the response with `value` serialized (compact), Content-Type
 * application/json unless one was set with eddy_app_res_set or
 * eddy_app_res_type (as Express's res.json). The value is not freed
 * (json_decref it yourself or use json_pack in a defer). -ENOMEM if it cannot
 * be serialized.
 */
EDDY_EXTERN int eddy_app_res_json(eddy_app_res_t *res,
                                  const eddy_json_value_t *value);

/*
 * Finishes with a redirect to `url` (status 0 = 302) with a Location
 * header and a short text body. -EINVAL for a status not 3xx or a URL with
 * control bytes (the response is then not finished).
 */
EDDY_EXTERN int eddy_app_res_redirect(eddy_app_res_t *res, int status,
                                      const char *url);

/* Options of a Set-Cookie line; zero fields are left out. */
typedef struct eddy_app_cookie_opts_s {
  const char *path; /* "Path=/" */
  const char *domain;
  int64_t max_age; /* seconds; 0: not sent; < 0: "Max-Age=0" */
  int http_only;
  int secure;
  const char *same_site; /* "Strict", "Lax", "None" */
} eddy_app_cookie_opts_t;

/*
 * Appends a Set-Cookie header. `value` is sent as given: it must be
 * cookie-octets (RFC 6265 §4.1.1; no space, '"', ',', ';', '\\' or control
 * bytes), else -EINVAL; so is a name that is not a token. opts may be NULL.
 */
EDDY_EXTERN int eddy_app_res_set_cookie(eddy_app_res_t *res, const char *name,
                                        const char *value,
                                        const eddy_app_cookie_opts_t *opts);

/*
 * Finishes with the file at `path` (confine it to your root first):
 * Content-Type from its extension unless set, then
 * eddy_http_res_send_path (opened on the thread pool; 404/403/500 if it
 * cannot be). Returns 0 (finished, or will finish by itself) or an error
 * with the response NOT finished (-EINVAL, -ENOMEM, a queue error).
 */
EDDY_EXTERN int eddy_app_res_send_file(eddy_app_res_t *res, const char *path);

/*
 * Finishes with `length` bytes of the open file `fd` from `offset`
 * (eddy_http_res_send_file: eddy takes fd whatever the result). On
 * -EINVAL or an fstat error the response is NOT finished.
 */
EDDY_EXTERN int eddy_app_res_send_fd(eddy_app_res_t *res, int fd,
                                     int64_t offset, int64_t length);

/*
 * Streams body bytes before finishing (eddy_http_res_write): 0, 1 (above
 * the high-water mark: wait for on_drain), or an error.
 */
EDDY_EXTERN int eddy_app_res_write(eddy_app_res_t *res, const void *data,
                                   size_t len);
/* Called after write returned 1 and the output drained. NULL removes. */
EDDY_EXTERN void eddy_app_res_on_drain(eddy_app_res_t *res, eddy_app_res_cb fn,
                                       void *arg);
/* Called if the client goes away before the response is finished. */
EDDY_EXTERN void eddy_app_res_on_close(eddy_app_res_t *res, eddy_app_res_cb fn,
                                       void *arg);
/* 1 once the client is gone (every res function then returns -ECANCELED). */
EDDY_EXTERN int eddy_app_res_gone(const eddy_app_res_t *res);
/* Body bytes sent so far (for access logs): what was handed to the
 * server, except for a HEAD request or a 1xx/204/304 status, whose body
 * the server drops (they count 0). */
EDDY_EXTERN uint64_t eddy_app_res_bytes(const eddy_app_res_t *res);

/* -------------------------------------------- streaming JSON writer */

/*
 * Writes JSON without building a tree (RFC 8259), into memory of the
 * request's arena (or malloc'd memory with req NULL: free with
 * eddy_app_jw_free). Commas and nesting are tracked; strings are escaped
 * ('"', '\\', control bytes as \uXXXX; UTF-8 is passed through).
 * Doubles that are not finite are written as null. Calls after an error
 * (-ENOMEM, nesting deeper than 63, a value where a key is due) do nothing
 * and the error stays in jw->error. Caller-owned.
 */
typedef struct eddy_app_jw_s {
  char *buf;
  size_t len, cap;
  int error;
  /* private */
  eddy_app_req_t *_req;
  unsigned _depth;
  uint64_t _in_object; /* bit d: level d is an object */
  uint64_t _has_items; /* bit d: level d has a member already */
  int _key_done;       /* a key was written; its value comes next */
} eddy_app_jw_t;

/* Starts an empty writer; req may be NULL (then malloc). */
EDDY_EXTERN void eddy_app_jw_init(eddy_app_jw_t *jw, eddy_app_req_t *req);
/* Frees a malloc'd writer's buffer (req NULL); no-op for arena ones. */
EDDY_EXTERN void eddy_app_jw_free(eddy_app_jw_t *jw);
/* { and } */
EDDY_EXTERN void eddy_app_jw_object(eddy_app_jw_t *jw);
/* See eddy_app_jw_object. */
EDDY_EXTERN void eddy_app_jw_object_end(eddy_app_jw_t *jw);
/* [ and ] */
EDDY_EXTERN void eddy_app_jw_array(eddy_app_jw_t *jw);
/* See eddy_app_jw_array. */
EDDY_EXTERN void eddy_app_jw_array_end(eddy_app_jw_t *jw);
/* A member name inside an object (the value follows). */
EDDY_EXTERN void eddy_app_jw_key(eddy_app_jw_t *jw, const char *key);
/* A string value; _n for `len` bytes (may hold NUL, written \u0000). */
EDDY_EXTERN void eddy_app_jw_string(eddy_app_jw_t *jw, const char *s);
/* See eddy_app_jw_string. */
EDDY_EXTERN void eddy_app_jw_string_n(eddy_app_jw_t *jw, const char *s,
                                      size_t len);
/* Numbers, booleans, null. */
EDDY_EXTERN void eddy_app_jw_int(eddy_app_jw_t *jw, int64_t v);
/* See eddy_app_jw_int. */
EDDY_EXTERN void eddy_app_jw_double(eddy_app_jw_t *jw, double v);
/* See eddy_app_jw_int. */
EDDY_EXTERN void eddy_app_jw_bool(eddy_app_jw_t *jw, int v);
/* See eddy_app_jw_int. */
EDDY_EXTERN void eddy_app_jw_null(eddy_app_jw_t *jw);
/* Already-serialized JSON, written as given (trusted). */
EDDY_EXTERN void eddy_app_jw_raw(eddy_app_jw_t *jw, const char *json,
                                 size_t len);

/*
 * Finishes the response with the writer's text, Content-Type as
 * eddy_app_res_json.
 * -EINVAL if the writer has an error or open containers (the response is
 * then NOT finished); else as eddy_app_res_end.
 */
EDDY_EXTERN int eddy_app_res_send_jw(eddy_app_res_t *res, eddy_app_jw_t *jw);

/* ----------------------------------------------------- body parsers */

/* Options of the body parsers; zero fields take the default. */
typedef struct eddy_app_body_opts_s {
  size_t limit; /* bytes; default 100 KiB (Express); longer: 413 */
} eddy_app_body_opts_t;

/*
 * Middleware: parses a body whose Content-Type is application/json (or
 * ...+json) into eddy_app_req_json, then next. Over the limit: 413. Not
 * JSON: 400 whose message says what and where ("invalid JSON at line 1,
 * column 9: ..."). Other types pass through untouched. `arg` is an
 * eddy_app_body_opts_t * (NULL: defaults) that outlives the app:
 *   eddy_app_use(app, NULL, eddy_app_json_body, &opts);
 */
EDDY_EXTERN void eddy_app_json_body(eddy_app_req_t *req, eddy_app_res_t *res,
                                    void *arg);

/*
 * Middleware: parses an application/x-www-form-urlencoded body for
 * eddy_app_req_form (repeated keys kept; malformed escapes: 400). Limit
 * and arg as eddy_app_json_body.
 */
EDDY_EXTERN void eddy_app_urlencoded_body(eddy_app_req_t *req,
                                          eddy_app_res_t *res, void *arg);

/* ------------------------------------------------ parsing, exposed */

/* One decoded name=value pair (query strings, forms, cookies). */
typedef struct eddy_app_pair_s {
  const char *name;
  const char *value;
} eddy_app_pair_t;

/*
 * Parses a query string or form body (`len` bytes, no '?') into pairs
 * allocated with `alloc(ctx, size)` (NULL -> -ENOMEM), decoded as
 * eddy_app_req_query says. With `strict`, a malformed escape is -EINVAL
 * instead of kept raw. Returns the number of pairs, stored in *out.
 * Pure: any thread. (eddy_app_req_query uses it; exposed for fuzzing.)
 */
EDDY_EXTERN ssize_t eddy_app_parse_query(const char *s, size_t len, int strict,
                                         void *(*alloc)(void *, size_t),
                                         void *ctx, eddy_app_pair_t **out);

/* Parses a Cookie header value the same way (values not decoded). */
EDDY_EXTERN ssize_t eddy_app_parse_cookies(const char *s, size_t len,
                                           void *(*alloc)(void *, size_t),
                                           void *ctx, eddy_app_pair_t **out);

#ifdef __cplusplus
}
#endif
#endif

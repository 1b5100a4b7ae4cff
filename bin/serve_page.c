/* The page at `/`: each demo, linked, with what it shows in a sentence. */
#include <string.h>

#include "serve.h"

static const char page[] =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>eddy serve</title><link rel=\"stylesheet\" href=\"/style.css\">\n"
    "</head><body>\n<h1>eddy serve</h1>\n"
    "<p>One event loop, one thread, many connections. Open two tabs and "
    "try a slow demo in one and <a href=\"/hello\">/hello</a> in the "
    "other.</p>\n<ul>\n"
    "<li><a href=\"/hello\">/hello</a> &mdash; the hello world, as fast "
    "as eddy answers.</li>\n"
    "<li><a href=\"/hello/world\">/hello/:name</a> &mdash; a route "
    "parameter answered as JSON.</li>\n"
    "<li><a href=\"/blocking?ms=2000\">/blocking?ms=N</a> &mdash; N ms of "
    "work on the loop thread: every other request waits (what not to "
    "do).</li>\n"
    "<li><a href=\"/non-blocking?ms=2000\">/non-blocking?ms=N</a> &mdash; "
    "the same work cut into 1 ms slices with immediates: others are "
    "served between the slices.</li>\n"
    "<li><a href=\"/compute?ms=2000\">/compute?ms=N</a> &mdash; the same "
    "work on the worker pool: the loop stays free, and a full queue "
    "answers 503 at once.</li>\n"
    "<li><a href=\"/inefficient\">/inefficient</a> &mdash; three JSON files "
    "read one after another, each read started by the previous "
    "callback.</li>\n"
    "<li><a href=\"/efficient\">/efficient</a> &mdash; the same three "
    "files read all at once with a join (Promise.all).</li>\n"
    "<li><a href=\"/parallel?ms=100\">/parallel?ms=N</a> &mdash; a file "
    "read, a timer, a pool task and a DNS lookup at once: the time is the "
    "longest, not the sum.</li>\n"
    "<li><a href=\"/users\">/users</a> &mdash; users in a database "
    "(SQLite by default, or --db postgres://...): GET, POST, PUT and "
    "DELETE /users/:id with JSON.</li>\n"
    "<li><a href=\"/index.html\">/index.html</a> &mdash; the static files "
    "of --root (ETag, 304, Range, sendfile).</li>\n"
    "<li><a href=\"/metrics\">/metrics</a> &mdash; Prometheus metrics: "
    "requests, latency, event-loop delay and utilization, pools.</li>\n"
    "<li><a href=\"/healthz\">/healthz</a> and <a "
    "href=\"/readyz\">/readyz</a> &mdash; alive, and ready (503 while "
    "shutting down).</li>\n"
    "</ul>\n</body></html>\n";

/* Browsers (Accept: text/html) get the page; every other client gets the
 * classic hello, so `curl host:port/`, the HTTP benchmarks and the raw
 * socket tests see "Hello, World!" as they always have. */
static void home(eddy_app_req_t *req, eddy_app_res_t *res, void *arg) {
  const char *accept = eddy_app_req_header(req, "Accept");
  eddy_app_res_set(res, "Vary", "Accept");
  if (!accept || !strstr(accept, "text/html")) {
    eddy_app_res_set(res, "Content-Type", "text/plain");
    eddy_app_res_end(res, "Hello, World!", 13);
    return;
  }
  eddy_app_res_set(res, "Content-Type", "text/html; charset=utf-8");
  eddy_app_res_end(res, page, sizeof(page) - 1);
}

/* Any method, as the hello server before the app answered them all. */
int serve_add_page(serve_t *s) { return eddy_app_all(s->app, "/", home, s); }

/* The flags of `eddy serve`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

const char serve_usage[] =
    "usage: eddy serve [flags]     the demo app (Express-style, see below)\n"
    "       eddy demo              the event-loop demo (a timer, a signal)\n"
    "       eddy --version         prints the version\n"
    "\n"
    "flags of eddy serve:\n"
    "  --port P                   port (default $PORT, else 8080; 0: any)\n"
    "  --host NAME                address or name to listen on (default\n"
    "                             127.0.0.1; a name such as localhost is\n"
    "                             resolved on the thread pool)\n"
    "  --root DIR                 directory served as static files (default\n"
    "                             the sample site, share/site)\n"
    "  --data-dir DIR             where the SQLite database of /users lives\n"
    "                             (created; default ./data)\n"
    "  --db URL                   the database of /users instead: sqlite:PATH\n"
    "                             or postgres://user@host:port/db (default\n"
    "                             sqlite:DATA-DIR/eddy.db)\n"
    "  --memcached HOST:PORT      the session store of /profile (default\n"
    "                             none)\n"
    "  --sample-dir DIR           users.json, config.json, routes.json for\n"
    "                             /inefficient, /efficient (default\n"
    "                             examples/data)\n"
    "  --max-block-ms MS          largest ?ms= of /blocking, /non-blocking,\n"
    "                             /compute (default 10000; above: 400)\n"
    "  --pool-threads N           worker-pool threads for /compute (default\n"
    "                             one per CPU; queue N*N, full: 503)\n"
    "  --access-log FILE|-        combined-format access log (default off;\n"
    "                             - is stderr)\n"
    "  --stall-ms MS              log callbacks that hold the loop longer\n"
    "                             (default 0: off)\n"
    "  --drain-delay-ms MS        on SIGTERM, answer /readyz 503 for this\n"
    "                             long before closing (default 0)\n"
    "  --grace-ms MS              then give requests in flight this long\n"
    "                             (default 5000)\n"
    "  --headers-timeout-ms MS    the request head must arrive within\n"
    "                             (default 60000)\n"
    "  --request-timeout-ms MS    head and body within (default 300000)\n"
    "  --keep-alive-timeout-ms MS idle keep-alive connections close after\n"
    "                             (default 5000)\n"
    "  --send-timeout-ms MS       a client that takes no byte for this long\n"
    "                             is cut off (default 60000)\n"
    "  --body-timeout-ms MS       a request body that stops arriving for\n"
    "                             this long is 408 (default 60000)\n"
    "  --response-timeout-ms MS   a handler that has not begun its answer\n"
    "                             after this long: 503 (default 0: off)\n"
    "  --max-connections N        above: accept and close (default: the\n"
    "                             open-file limit less 64)\n"
    "  --fetch-allow HOSTS        hosts GET /fetch?url= may call, comma-\n"
    "                             separated (default 127.0.0.1)\n"
    "  --dashboard                the live page at /dashboard (off by\n"
    "                             default; loopback hosts only)\n"
    "  --dashboard-allow          --dashboard on any host, public ones too\n"
    "  -h, --help                 this text\n"
    "\n"
    "GET / answers Hello, World! (browsers, which send Accept: text/html,\n"
    "get the list of demos there). SIGINT/SIGTERM stop the server\n"
    "gracefully.\n";

/* Parses a decimal value; -1 if it is not a number in 0..max. */
static long long number(const char *s, long long max) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end || v < 0 || v > max) return -1;
  return v;
}

static int string_flag(serve_config_t *c, const char *a, const char *v) {
  if (!strcmp(a, "--host"))
    c->host = v;
  else if (!strcmp(a, "--root"))
    c->root = v;
  else if (!strcmp(a, "--data-dir"))
    c->data_dir = v;
  else if (!strcmp(a, "--sample-dir"))
    c->sample_dir = v;
  else if (!strcmp(a, "--db"))
    c->db_url = v;
  else if (!strcmp(a, "--memcached"))
    c->memcached = v;
  else if (!strcmp(a, "--access-log"))
    c->access_log = v;
  else if (!strcmp(a, "--fetch-allow"))
    c->fetch_allow = v;
  else
    return 0;
  return 1;
}

static int number_flag(serve_config_t *c, const char *a, long long n) {
  eddy_http_server_opts_t *o = &c->http;
  if (!strcmp(a, "--port") && n <= 65535)
    c->port = (int)n;
  else if (!strcmp(a, "--max-block-ms"))
    c->max_block_ms = (uint64_t)n;
  else if (!strcmp(a, "--pool-threads") && n > 0 && n <= 1024)
    c->pool_threads = (unsigned)n;
  else if (!strcmp(a, "--stall-ms") && n <= 3600000)
    c->stall_ms = (unsigned)n;
  else if (!strcmp(a, "--drain-delay-ms"))
    c->drain_delay_ms = (uint64_t)n;
  else if (!strcmp(a, "--grace-ms"))
    c->grace_ms = (uint64_t)n;
  else if (!strcmp(a, "--headers-timeout-ms"))
    o->headers_timeout_ms = (uint64_t)n;
  else if (!strcmp(a, "--request-timeout-ms"))
    o->request_timeout_ms = (uint64_t)n;
  else if (!strcmp(a, "--keep-alive-timeout-ms"))
    o->keep_alive_timeout_ms = (uint64_t)n;
  else if (!strcmp(a, "--send-timeout-ms"))
    o->send_timeout_ms = (uint64_t)n;
  else if (!strcmp(a, "--body-timeout-ms"))
    o->body_timeout_ms = (uint64_t)n;
  else if (!strcmp(a, "--response-timeout-ms"))
    o->response_timeout_ms = (uint64_t)n;
  else if (!strcmp(a, "--max-connections") && n <= 1 << 30)
    o->max_connections = (unsigned)n;
  else
    return 0;
  return 1;
}

/* The dashboard shows the server's insides: loopback only, unless the
 * operator says otherwise. Checked here so a cluster fails once. */
static int check_dashboard(const serve_config_t *c) {
  if (!c->dashboard || c->dashboard_allow ||
      eddy_dashboard_host_is_loopback(c->host))
    return 0;
  fprintf(stderr,
          "eddy serve: --dashboard on %s (not loopback) needs "
          "--dashboard-allow\n",
          c->host);
  return -1;
}

/* Flags without a value; 1 if `a` was one. */
static int switch_flag(serve_config_t *c, const char *a) {
  if (!strcmp(a, "--dashboard"))
    c->dashboard = 1;
  else if (!strcmp(a, "--dashboard-allow"))
    c->dashboard = c->dashboard_allow = 1;
  else
    return 0;
  return 1;
}

int serve_parse_args(int argc, char **argv, serve_config_t *c) {
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) return 1;
    if (switch_flag(c, a)) continue;
    if (!v) {
      fprintf(stderr, "eddy serve: %s needs a value\n", a);
      return -1;
    }
    i++;
    if (string_flag(c, a, v)) continue;
    long long n = number(v, 1LL << 40);
    if (n < 0 || !number_flag(c, a, n)) {
      fprintf(stderr, "eddy serve: bad flag or value: %s %s\n", a, v);
      return -1;
    }
  }
  return check_dashboard(c);
}

/*
 * `eddy serve --workers N|auto`: the same demo app in a worker process per
 * core under eddy's cluster primary (src/cluster). The primary parses the
 * same command line, owns the signals and the listening socket, and runs
 * no handler; each worker builds the app on its own loop.
 */
#include <stdio.h>
#include <string.h>

#include "serve.h"

static serve_config_t worker_cfg; /* what the command line said */

static int worker_main(eddy_cluster_worker_t *w) {
  return serve_worker_start(&worker_cfg, w);
}

int serve_cluster(int argc, char **argv, serve_config_t *cfg) {
  int given = 0;
  for (int i = 2; i < argc; i++) given |= strcmp(argv[i], "--workers") == 0;
  if (!given) return -1;
  eddy_cluster_opts_t o = {0};
  if (eddy_cluster_opts_parse(&o, &argc, argv) < 0 ||
      serve_parse_args(argc, argv, cfg) != 0) {
    fprintf(stderr, "%s%s", serve_usage, eddy_cluster_flags_help());
    return 2;
  }
  o.host = cfg->host;
  o.port = cfg->port;
  worker_cfg = *cfg;
  return eddy_cluster_main(argc, argv, &o, worker_main) ? 1 : 0;
}

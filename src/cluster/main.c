/*
 * eddy_cluster_main: the same program is the primary or a worker, decided
 * by the environment the primary gives the workers it starts.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/internal.h"

int eddy_cluster_main(int argc, char **argv, const eddy_cluster_opts_t *opts,
                      eddy_cluster_worker_main_cb worker_main) {
  eddy_cluster_opts_t none = {0};
  if (!worker_main || !argv || !argv[0]) return -EINVAL;
  if (!opts) opts = &none;
  const char *env = getenv(CLUSTER_ENV);
  if (env) {
    char copy[256];
    size_t n = strlen(env);
    if (n >= sizeof(copy)) return 2;
    memcpy(copy, env, n + 1);
    return eddy__cluster_worker_run(copy, worker_main, opts);
  }
  return eddy__cluster_primary_main(argc, argv, opts, worker_main);
}

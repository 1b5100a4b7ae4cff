/*
 * Options: defaults, the command-line flags, and the string the primary
 * hands a worker in its environment.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/internal.h"

void eddy__cluster_opts_defaults(eddy_cluster_opts_t *o) {
  if (!o->workers) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    o->workers = n > 0 ? (unsigned)n : 1;
  }
  if (!o->host) o->host = "127.0.0.1";
  if (!o->backlog) o->backlog = 511;
  if (!o->heartbeat_ms) o->heartbeat_ms = 1000;
  if (!o->stall_timeout_ms) o->stall_timeout_ms = 5000;
  if (!o->grace_ms) o->grace_ms = 10000;
  if (!o->backoff_first_ms) o->backoff_first_ms = 100;
  if (!o->backoff_max_ms) o->backoff_max_ms = 15000;
  if (!o->stable_ms) o->stable_ms = 30000;
}

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  if (!s || !*s || *s == '-') return -EINVAL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return -EINVAL;
  *out = v;
  return 0;
}

static int parse_one(eddy_cluster_opts_t *o, const char *flag,
                     const char *val) {
  uint64_t v = 0;
  if (strcmp(flag, "--share") == 0) {
    if (val && strcmp(val, "shared") == 0)
      o->share = EDDY_CLUSTER_SHARED;
    else if (val && strcmp(val, "reuseport") == 0)
      o->share = EDDY_CLUSTER_REUSEPORT;
    else if (val && strcmp(val, "roundrobin") == 0)
      o->share = EDDY_CLUSTER_ROUND_ROBIN;
    else
      return -EINVAL;
    return 0;
  }
  if (strcmp(flag, "--workers") == 0 && val && strcmp(val, "auto") == 0) {
    o->workers = 0;
    return 0;
  }
  if (parse_u64(val, &v) < 0) return -EINVAL;
  if (strcmp(flag, "--workers") == 0 && v >= 1 && v <= 1024)
    o->workers = (unsigned)v;
  else if (strcmp(flag, "--heartbeat-ms") == 0 && v)
    o->heartbeat_ms = v;
  else if (strcmp(flag, "--stall-timeout-ms") == 0 && v)
    o->stall_timeout_ms = v;
  else if (strcmp(flag, "--max-rss-mb") == 0)
    o->max_rss_mb = v;
  else if (strcmp(flag, "--grace-ms") == 0 && v)
    o->grace_ms = v;
  else
    return -EINVAL;
  return 0;
}

static int is_cluster_flag(const char *a) {
  static const char *const flags[] = {"--workers",
                                      "--heartbeat-ms",
                                      "--stall-timeout-ms",
                                      "--max-rss-mb",
                                      "--grace-ms",
                                      "--share",
                                      NULL};
  for (int i = 0; flags[i]; i++)
    if (strcmp(a, flags[i]) == 0) return 1;
  return 0;
}

int eddy_cluster_opts_parse(eddy_cluster_opts_t *o, int *argc, char **argv) {
  int out = 1;
  for (int i = 1; i < *argc; i++) {
    if (!is_cluster_flag(argv[i])) {
      argv[out++] = argv[i];
      continue;
    }
    if (i + 1 >= *argc || parse_one(o, argv[i], argv[i + 1]) < 0) {
      /* Leave the rest where it was so the caller can name the flag. */
      for (int k = i; k < *argc; k++) argv[out++] = argv[k];
      *argc = out;
      argv[out] = NULL;
      return -EINVAL;
    }
    i++;
  }
  *argc = out;
  argv[out] = NULL;
  return 0;
}

const char *eddy_cluster_flags_help(void) {
  return "  --workers N|auto         worker processes (auto: one per CPU)\n"
         "  --heartbeat-ms MS        worker report interval (1000)\n"
         "  --stall-timeout-ms MS    kill a worker silent this long (5000)\n"
         "  --max-rss-mb MB          restart a worker above this RSS (off)\n"
         "  --grace-ms MS            time to finish requests on stop (10000)\n"
         "  --share shared|reuseport|roundrobin\n"
         "                           how workers share the port (shared)\n";
}

int eddy__cluster_handoff_format(const eddy__handoff_t *h, char *out,
                                 size_t max) {
  const eddy_cluster_opts_t *o = &h->opts;
  int n = snprintf(out, max, "%u %u %d %d %d %d %llu %llu %llu", h->id, h->slot,
                   h->ipc_fd, h->listen_fd, h->note_fd, (int)o->share,
                   (unsigned long long)o->heartbeat_ms,
                   (unsigned long long)o->stall_timeout_ms,
                   (unsigned long long)o->grace_ms);
  return n > 0 && (size_t)n < max ? 0 : -ENAMETOOLONG;
}

int eddy__cluster_handoff_parse(const char *s, eddy__handoff_t *h) {
  unsigned long long hb, st, gr;
  int share;
  memset(h, 0, sizeof(*h));
  if (sscanf(s, "%u %u %d %d %d %d %llu %llu %llu", &h->id, &h->slot,
             &h->ipc_fd, &h->listen_fd, &h->note_fd, &share, &hb, &st,
             &gr) != 9)
    return -EINVAL;
  if (h->ipc_fd < 0 || !hb || !st || !gr) return -EINVAL;
  h->opts.share = (eddy_cluster_share_t)share;
  h->opts.heartbeat_ms = hb;
  h->opts.stall_timeout_ms = st;
  h->opts.grace_ms = gr;
  return 0;
}

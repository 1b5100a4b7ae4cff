/*
 * The `eddy` command: `eddy serve` runs the demo app (serve*.c), `eddy
 * demo` the event-loop demo (a timer, a signal).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"
#include "top.h"

static int ticks;

static void on_tick(eddy_timer_t *t) {
  printf("tick %d at %llu ms (loop utilization %.3f)\n", ++ticks,
         (unsigned long long)eddy_loop_now(t->loop),
         eddy_loop_utilization(t->loop, NULL).utilization);
  fflush(stdout);
}

static void on_signal(eddy_signal_t *s, int signum) {
  printf("got signal %d, stopping\n", signum);
  eddy_loop_stop(s->loop);
}

static int demo(void) {
  eddy_loop_t loop;
  eddy_timer_t timer;
  eddy_signal_t sigint, sigterm;
  if (eddy_loop_init(&loop)) return 1;
  eddy_signal_init(&loop, &sigint);
  eddy_signal_init(&loop, &sigterm);
  eddy_signal_start(&sigint, on_signal, SIGINT);
  eddy_signal_start(&sigterm, on_signal, SIGTERM);
  eddy_timer_init(&loop, &timer);
  eddy_timer_start(&timer, on_tick, 0, 1000);
  printf("eddy demo: a 1 s timer; Ctrl-C to stop\n");
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_close(EDDY_HANDLE(&timer), NULL);
  eddy_close(EDDY_HANDLE(&sigint), NULL);
  eddy_close(EDDY_HANDLE(&sigterm), NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  return eddy_loop_close(&loop) ? 1 : 0;
}

static int serve(int argc, char **argv) {
  serve_config_t cfg;
  memset(&cfg, 0, sizeof(cfg));
  cfg.host = "127.0.0.1";
  cfg.port = 8080;
  cfg.max_block_ms = 10000;
  cfg.grace_ms = 5000;
  cfg.fetch_allow = "127.0.0.1";
  cfg.service_delay_ms = 20;
  const char *env = getenv("PORT");
  char *end;
  long p = env ? strtol(env, &end, 10) : -1;
  if (env && *env && !*end && p >= 0 && p <= 65535) cfg.port = (int)p;
  int c = serve_cluster(argc, argv, &cfg); /* with --workers */
  if (c >= 0) return c;
  int a = serve_parse_args(argc, argv, &cfg);
  if (a) {
    FILE *out = a > 0 ? stdout : stderr;
    fputs(serve_usage, out);
    fputs(eddy_cluster_flags_help(), out);
    return a > 0 ? 0 : 2;
  }
  return serve_main(&cfg);
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : "";
  if (!strcmp(cmd, "demo")) return demo();
  if (!strcmp(cmd, "serve")) return serve(argc, argv);
  if (!strcmp(cmd, "top")) return eddy_top_main(argc - 1, argv + 1);
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "-v")) {
    printf("eddy %s\n", eddy_version());
    return 0;
  }
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    fputs(serve_usage, stdout);
    fputs(eddy_cluster_flags_help(), stdout);
    return 0;
  }
  fputs(serve_usage, stderr);
  return 2;
}

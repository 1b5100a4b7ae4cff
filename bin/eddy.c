/*
 * The `eddy` command. Until the HTTP server lands, `eddy demo` (and
 * `eddy serve`) run the event-loop demo: a timer, an immediate, a signal.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "eddy.h"

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

int main(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "demo") == 0 || strcmp(argv[1], "serve") == 0))
    return demo();
  fprintf(stderr, "usage: eddy demo | eddy serve [--port P]\n");
  return 2;
}

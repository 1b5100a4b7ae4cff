/*
 * eddy's database API doing point reads: `window` queries kept in flight
 * on one loop, QUERIES in all, random ids. The same program measures
 * SQLite (thread pool, N reader connections) and PostgreSQL (pipelined on
 * the loop, pooled connections). Prints queries per second and the
 * process's CPU seconds (user + system, all threads).
 * Usage: eddy_point URL ROWS QUERIES WINDOW CONNS
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "eddy.h"

static eddy_db_t *db;
static long rows, total, sent, done, bad;
static unsigned seed = 1;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

static void on_done(eddy_db_result_t *res, int status);

static void send_one(void) {
  seed = seed * 1103515245u + 12345u;
  eddy_db_value_t id = eddy_db_int(1 + (long)(seed >> 8) % rows);
  if (eddy_db_query(db, "SELECT id, name, email FROM users WHERE id = $1", &id,
                    1, NULL, on_done, NULL))
    abort();
  sent++;
}

static void on_done(eddy_db_result_t *res, int status) {
  done++;
  if (status || res->nrows != 1) bad++;
  if (sent < total) send_one();
}

int main(int argc, char **argv) {
  if (argc < 6) return 2;
  rows = atol(argv[2]);
  total = atol(argv[3]);
  long window = atol(argv[4]);
  eddy_db_options_t o = {.max_conns = (unsigned)atoi(argv[5]),
                         .min_conns = (unsigned)atoi(argv[5])};
  eddy_loop_t loop;
  eddy_loop_init(&loop);
  if (eddy_db_open(&loop, argv[1], &o, &db)) return 1;
  /* warm up: connections open, statements prepared */
  long warm = total / 10;
  total = warm;
  for (long i = 0; i < window && sent < total; i++) send_one();
  while (done < total) eddy_run(&loop, EDDY_RUN_ONCE);
  total = atol(argv[3]);
  sent = done = 0;
  double t0 = now_s(), c0 = cpu_s();
  for (long i = 0; i < window && sent < total; i++) send_one();
  while (done < total) eddy_run(&loop, EDDY_RUN_ONCE);
  double t = now_s() - t0, c = cpu_s() - c0;
  printf("eddy %.0f q/s (%ld queries, %.2f s, cpu %.2f s, errors %ld)\n",
         total / t, total, t, c, bad);
  eddy_db_close(db, NULL);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_loop_close(&loop);
  return bad != 0;
}

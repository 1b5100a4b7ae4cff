/*
 * The floor: SQLite point reads in a tight synchronous loop on one thread
 * (one prepared statement, step, read the columns, reset): what a program
 * that does nothing but query gets. Prints queries per second.
 * Usage: sqlite_floor DB_PATH ROWS QUERIES
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  long rows = atol(argv[2]), n = atol(argv[3]);
  sqlite3 *db;
  if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL))
    return 1;
  sqlite3_stmt *st;
  sqlite3_prepare_v2(db, "SELECT id, name, email FROM users WHERE id = $1", -1, &st, NULL);
  unsigned seed = 1;
  size_t bytes = 0;
  double t0 = now_s();
  for (long i = 0; i < n; i++) {
    seed = seed * 1103515245u + 12345u;
    sqlite3_bind_int64(st, 1, 1 + (long)(seed >> 8) % rows);
    while (sqlite3_step(st) == SQLITE_ROW) {
      /* copy out what a caller would keep, as eddy's rows are copies */
      bytes += strlen((const char *)sqlite3_column_text(st, 1)) +
               strlen((const char *)sqlite3_column_text(st, 2));
    }
    sqlite3_reset(st);
  }
  double t = now_s() - t0;
  printf("floor %.0f q/s (%ld queries, %.2f s, %zu bytes)\n", n / t, n, t, bytes);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return 0;
}

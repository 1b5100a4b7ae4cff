/*
 * parallel-read: three small JSON files read one after another (serial:
 * each read's callback starts the next) and all at once with a join
 * (Promise.all), many times each; prints microseconds per iteration.
 * Each file is "parsed" with a tiny scan that checks brackets and strings
 * and counts object keys.
 *
 * Usage: parallel-read [data_dir [iterations]]. Without data_dir the files
 * are looked for next to the executable (data/), then in the source tree
 * (../../../examples/data from build/<mode>/examples/), then in
 * ./examples/data.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eddy.h"
#include "eddy/fs.h"

#define NFILES 3

static const char *names[NFILES] = {"users.json", "config.json", "routes.json"};
static char paths[NFILES][PATH_MAX];
static const char *path_ptrs[NFILES];
static long iterations = 1000, done_iters;
static int failed, keys[NFILES];

/* Counts keys ("...": at any depth); -1 if brackets or strings are broken. */
static int count_keys(const char *s) {
  int depth = 0, n = 0;
  for (; *s; s++) {
    if (*s == '"') {
      for (s++; *s && *s != '"'; s++)
        if (*s == '\\' && s[1]) s++;
      if (!*s) return -1;
      const char *t = s + 1;
      while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r') t++;
      if (*t == ':') n++;
    } else if (*s == '{' || *s == '[') {
      depth++;
    } else if (*s == '}' || *s == ']') {
      if (--depth < 0) return -1;
    }
  }
  return depth == 0 ? n : -1;
}

/* Checks one file's result: the same key count every time. */
static void check(int i, ssize_t result, const char *buf) {
  int k = result < 0 ? -1 : count_keys(buf);
  if (result < 0)
    fprintf(stderr, "%s: %s\n", path_ptrs[i], eddy_strerror((int)result));
  if (k < 0 || (keys[i] && keys[i] != k)) failed = 1;
  keys[i] = k;
}

/* ---- serial: the callback of read i starts read i + 1 */

static eddy_fs_t serial_req;
static int serial_index;

static void serial_next(eddy_fs_t *req) {
  check(serial_index, req->result, req->buf);
  eddy_fs_req_cleanup(req);
  if (++serial_index == NFILES) {
    serial_index = 0;
    if (++done_iters == iterations || failed) return;
  }
  if (eddy_fs_read_file(req->loop, req, path_ptrs[serial_index], serial_next))
    failed = 1;
}

/* ---- parallel: one join of NFILES reads per iteration */

static eddy_join_t join;

static void start_join(eddy_loop_t *loop);

static void on_join(eddy_join_t *j) {
  for (int i = 0; i < NFILES; i++)
    check(i, j->slots[i].result, j->slots[i].fs ? j->slots[i].fs->buf : NULL);
  eddy_loop_t *loop = j->loop;
  eddy_join_cleanup(j);
  if (++done_iters < iterations && !failed) start_join(loop);
}

static void start_join(eddy_loop_t *loop) {
  if (eddy_join_init(loop, &join, NFILES, on_join) ||
      eddy_join_read_files(&join, path_ptrs, NFILES))
    failed = 1;
}

/* Runs one mode to completion; returns microseconds per iteration. */
static double timed(eddy_loop_t *loop, int parallel) {
  done_iters = 0;
  uint64_t t0 = eddy_hrtime();
  if (parallel)
    start_join(loop);
  else if (eddy_fs_read_file(loop, &serial_req, path_ptrs[0], serial_next))
    failed = 1;
  eddy_run(loop, EDDY_RUN_DEFAULT);
  return (double)(eddy_hrtime() - t0) / 1000.0 / (double)iterations;
}

static int try_dir(const char *dir) {
  for (int i = 0; i < NFILES; i++) {
    snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, names[i]);
    path_ptrs[i] = paths[i];
    if (access(paths[i], R_OK)) return -1;
  }
  return 0;
}

static int find_data(const char *arg) {
  if (arg) return try_dir(arg);
  char exe[PATH_MAX], dir[PATH_MAX + 32];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    snprintf(dir, sizeof(dir), "%s/data", exe);
    if (try_dir(dir) == 0) return 0;
    snprintf(dir, sizeof(dir), "%s/../../../examples/data", exe);
    if (try_dir(dir) == 0) return 0;
  }
  return try_dir("examples/data");
}

int main(int argc, char **argv) {
  if (argc > 2) {
    char *end;
    iterations = strtol(argv[2], &end, 10);
    if (*end || iterations < 1) {
      fprintf(stderr, "usage: %s [data_dir [iterations]]\n", argv[0]);
      return 2;
    }
  }
  if (find_data(argc > 1 ? argv[1] : NULL)) {
    fprintf(stderr, "cannot find %s (give the data directory)\n", names[0]);
    return 1;
  }
  eddy_loop_t loop;
  if (eddy_loop_init(&loop)) return 1;
  double serial = timed(&loop, 0);
  double parallel = timed(&loop, 1);
  if (eddy_loop_close(&loop) || failed) {
    fprintf(stderr, "a read or a parse failed\n");
    return 1;
  }
  printf("files:    %s=%d keys, %s=%d keys, %s=%d keys\n", names[0], keys[0],
         names[1], keys[1], names[2], keys[2]);
  printf("serial:   %ld iterations, %.1f us/iteration\n", iterations, serial);
  printf("parallel: %ld iterations, %.1f us/iteration\n", iterations, parallel);
  printf("speedup:  %.2fx\n", serial / parallel);
  return 0;
}

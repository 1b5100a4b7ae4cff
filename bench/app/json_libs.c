/*
 * jansson vs cJSON on a realistic document: parse + serialize (compact),
 * the same text, interleaved rounds, median per library. The document is
 * an API answer of 500 users (~190 KB): ids, names with accents and
 * escapes, e-mail, booleans, floats, tags arrays, a nested address.
 * Times are CPU time of the thread, so other load on the machine does not
 * count.
 *
 * Build and run: bench/app/run.sh json  (or see that script).
 */
#include <cjson/cJSON.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: the machine is shared */
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *make_document(size_t *len) {
  size_t cap = 1 << 20, n = 0;
  char *s = malloc(cap);
  /* JSON text: the escapes are JSON's (\" \\ \n \u00e9). */
  const char *first[] = {"Zoë", "José", "Ana \\\"the\\\" Dev", "Li\\\\Wei",
                         "\\u00c9mile"};
  const char *tags[] = {"admin", "beta", "ops", "night\\nshift", "café"};
  n += (size_t)snprintf(s + n, cap - n, "{\"page\":1,\"total\":500,\"users\":[");
  for (int i = 0; i < 500; i++)
    n += (size_t)snprintf(
        s + n, cap - n,
        "%s{\"id\":%d,\"name\":\"%s %d\",\"email\":\"user%d@example.com\","
        "\"active\":%s,\"score\":%.3f,\"tags\":[\"%s\",\"%s\"],"
        "\"address\":{\"street\":\"%d Main St\",\"city\":\"Zürich\","
        "\"zip\":\"80%02d\",\"geo\":{\"lat\":%.6f,\"lng\":%.6f}},"
        "\"bio\":null}",
        i ? "," : "", 1000 + i, first[i % 5], i, i, i % 3 ? "true" : "false",
        i * 1.375, tags[i % 5], tags[(i + 2) % 5], i, i % 100,
        47.0 + i / 1000.0, 8.5 - i / 1000.0);
  n += (size_t)snprintf(s + n, cap - n, "]}");
  *len = n;
  return s;
}

static double run_jansson(const char *doc, size_t len, int iters) {
  double t0 = now_s();
  for (int i = 0; i < iters; i++) {
    json_error_t e;
    json_t *v = json_loadb(doc, len, 0, &e);
    if (!v) abort();
    char *out = json_dumps(v, JSON_COMPACT);
    if (!out) abort();
    free(out);
    json_decref(v);
  }
  return (now_s() - t0) / iters;
}

static double run_cjson(const char *doc, size_t len, int iters) {
  double t0 = now_s();
  for (int i = 0; i < iters; i++) {
    cJSON *v = cJSON_ParseWithLength(doc, len);
    if (!v) abort();
    char *out = cJSON_PrintUnformatted(v);
    if (!out) abort();
    cJSON_free(out);
    cJSON_Delete(v);
  }
  return (now_s() - t0) / iters;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 5, iters = 40;
  size_t len;
  char *doc = make_document(&len);
  double j[64], c[64], ratio[64];
  if (rounds > 64) rounds = 64;
  run_jansson(doc, len, 5), run_cjson(doc, len, 5); /* warm up */
  for (int r = 0; r < rounds; r++) {
    j[r] = run_jansson(doc, len, iters);
    c[r] = run_cjson(doc, len, iters);
    ratio[r] = j[r] / c[r];
  }
  qsort(j, (size_t)rounds, sizeof(double), cmp);
  qsort(c, (size_t)rounds, sizeof(double), cmp);
  qsort(ratio, (size_t)rounds, sizeof(double), cmp);
  printf("document: %zu bytes, %d rounds x %d parse+serialize\n", len,
         rounds, iters);
  printf("jansson %s: %.3f ms per parse+serialize (%.0f MB/s)\n",
         JANSSON_VERSION, j[rounds / 2] * 1e3, len / j[rounds / 2] / 1e6);
  printf("cJSON %d.%d.%d: %.3f ms per parse+serialize (%.0f MB/s)\n",
         CJSON_VERSION_MAJOR, CJSON_VERSION_MINOR, CJSON_VERSION_PATCH,
         c[rounds / 2] * 1e3, len / c[rounds / 2] / 1e6);
  printf("median same-round ratio jansson/cJSON time: %.2f\n",
         ratio[rounds / 2]);
  free(doc);
  return 0;
}

/*
 * `eddy top URL`: a terminal view in the manner of top / pm2 monit. Every
 * second it GETs the server's Prometheus /metrics with eddy's own HTTP
 * client on an eddy loop and shows one row per worker (the cluster's
 * eddy_worker_* families, or one unlabelled row for a single process) and
 * the totals. On a terminal it redraws in place, in raw mode, and `q`
 * quits; otherwise it prints one plain snapshot per second.
 */
#include "top.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "eddy.h"
#include "eddy/client.h"
#include "prom_parse.h"

#define MAX_ROWS 64
#define MAX_SAMPLES 4096

typedef struct {
  char worker[32], slot[32];
  long pid;
  double rss, delay, util, conns, requests;
  double prev_requests, rate; /* rate < 0: not known yet */
  uint64_t prev_ns;
  int seen;
  double start_time; /* process_start_time_seconds, 0: unknown */
  /* A single process's loop-delay histogram (cumulative buckets): p99 of
   * what was recorded between two polls. */
  int nbk, nprev;
  double le[32], bk[32], prev_bk[32];
} row_t;

typedef struct {
  char slot[32];
  long pid;
  int restarts; /* pid changes seen by this top */
} slot_t;

typedef struct {
  eddy_loop_t loop;
  eddy_client_t *client;
  eddy_timer_t timer;
  eddy_io_t in;
  eddy_signal_t sigs[3];
  char url[512];
  int tty, busy, have_in, snapshots;
  long count; /* snapshots to print, 0: until q or a signal */
  uint64_t interval_ms;
  row_t rows[MAX_ROWS];
  size_t nrows;
  slot_t slots[MAX_ROWS];
  size_t nslots;
  double causes[5], nworkers;
  char blocked[MAX_ROWS][192]; /* "worker 2: GET /blocking for 3.1 s" */
  size_t nblocked;
  char error[160];
  prom_sample_t samples[MAX_SAMPLES];
} top_t;

static const char *const cause_names[5] = {"crash", "stall", "memory", "reload",
                                           "ipc"};

/* ------------------------------------------------------------ terminal */

static struct termios saved_tio;
static int raw_on;

static void term_restore(void) {
  if (!raw_on) return;
  raw_on = 0;
  tcsetattr(0, TCSAFLUSH, &saved_tio);
  fputs("\033[?25h\033[?1049l", stdout);
  fflush(stdout);
}

/* No echo, no line buffering; signals (^C) still work. */
static int term_raw(void) {
  struct termios t;
  if (tcgetattr(0, &saved_tio) < 0) return -errno;
  t = saved_tio;
  t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  if (tcsetattr(0, TCSAFLUSH, &t) < 0) return -errno;
  raw_on = 1;
  atexit(term_restore);
  fputs("\033[?1049h\033[?25l", stdout); /* alternate screen, no cursor */
  return 0;
}

/* ------------------------------------------------------------- the model */

static row_t *row_for(top_t *t, const char *worker) {
  for (size_t i = 0; i < t->nrows; i++)
    if (!strcmp(t->rows[i].worker, worker)) return &t->rows[i];
  if (t->nrows == MAX_ROWS) return NULL;
  row_t *r = &t->rows[t->nrows++];
  memset(r, 0, sizeof(*r));
  snprintf(r->worker, sizeof(r->worker), "%s", worker);
  r->rate = -1;
  return r;
}

/* Which column a metric name fills: the cluster's per-worker families, or
 * the same measures of a single process (`eddy serve` without --workers;
 * no worker label). */
static double *field_of(row_t *r, const char *name) {
  static const char *const names[][3] = {
      {"eddy_worker_requests_total", "eddy_http_requests_total", ""},
      {"eddy_worker_connections", "eddy_http_open_connections", ""},
      {"eddy_worker_rss_bytes", "process_resident_memory_bytes", ""},
      {"eddy_worker_loop_delay_p99_seconds", "", ""},
      {"eddy_worker_utilization", "eddy_eventloop_utilization_ratio", ""},
      {"process_start_time_seconds", "", ""}};
  double *fields[] = {&r->requests, &r->conns, &r->rss,
                      &r->delay,    &r->util,  &r->start_time};
  for (int f = 0; f < 6; f++)
    for (int k = 0; k < 3 && names[f][k][0]; k++)
      if (!strcmp(name, names[f][k])) return fields[f];
  return NULL;
}

static const char delay_hist[] = "eddy_eventloop_delay_seconds_bucket";

static int is_row_metric(const char *name) {
  row_t probe;
  return field_of(&probe, name) != NULL || !strcmp(name, delay_hist);
}

static void take_bucket(row_t *r, const prom_sample_t *s) {
  char le[32];
  if (r->nbk == 32 || !prom_label(s, "le", le, sizeof(le))) return;
  r->le[r->nbk] = strtod(le, NULL); /* "+Inf" reads as infinity */
  r->bk[r->nbk++] = s->value;
}

/* p99 of the delays recorded since the last poll, from bucket deltas. */
static void delay_from_buckets(row_t *r) {
  if (r->nbk && r->nprev == r->nbk) {
    double total = r->bk[r->nbk - 1] - r->prev_bk[r->nbk - 1];
    for (int i = 0; total > 0 && i < r->nbk; i++)
      if (r->bk[i] - r->prev_bk[i] >= 0.99 * total) {
        r->delay = i == r->nbk - 1 && i ? r->le[i - 1] : r->le[i];
        break;
      }
  }
  memcpy(r->prev_bk, r->bk, sizeof(r->bk));
  r->nprev = r->nbk;
}

/* A worker whose loop is stuck in a handler right now (the cluster's
 * eddy_worker_blocked_seconds, present only while it blocks). */
static void take_blocked(top_t *t, const prom_sample_t *s) {
  char worker[32] = "?", route[128] = "?";
  if (strcmp(s->name, "eddy_worker_blocked_seconds") || t->nblocked == MAX_ROWS)
    return;
  prom_label(s, "worker", worker, sizeof(worker));
  prom_label(s, "route", route, sizeof(route));
  snprintf(t->blocked[t->nblocked++], sizeof(t->blocked[0]),
           "worker %s: %s for %.1f s", worker, route, s->value);
}

static void take_cluster(top_t *t, const prom_sample_t *s) {
  char cause[32];
  take_blocked(t, s);
  if (!strcmp(s->name, "eddy_cluster_workers")) t->nworkers = s->value;
  if (strcmp(s->name, "eddy_cluster_restarts_total") ||
      !prom_label(s, "cause", cause, sizeof(cause)))
    return;
  for (int i = 0; i < 5; i++)
    if (!strcmp(cause, cause_names[i])) t->causes[i] = s->value;
}

static void take_sample(top_t *t, const prom_sample_t *s) {
  char worker[32] = "-", buf[32];
  take_cluster(t, s);
  if (!is_row_metric(s->name)) return;
  prom_label(s, "worker", worker, sizeof(worker));
  row_t *r = row_for(t, worker);
  if (!r) return;
  r->seen = 1;
  if (!strcmp(s->name, delay_hist))
    take_bucket(r, s);
  else if (field_of(r, s->name) == &r->requests)
    r->requests += s->value; /* a single process labels by route */
  else
    *field_of(r, s->name) = s->value;
  if (prom_label(s, "pid", buf, sizeof(buf))) r->pid = atol(buf);
  if (prom_label(s, "slot", buf, sizeof(buf)))
    snprintf(r->slot, sizeof(r->slot), "%s", buf);
}

/* Counts a slot's restarts as the pids that fill it change. */
static int slot_restarts(top_t *t, const row_t *r) {
  slot_t *s = NULL;
  for (size_t i = 0; i < t->nslots && !s; i++)
    if (!strcmp(t->slots[i].slot, r->slot)) s = &t->slots[i];
  if (!s && t->nslots < MAX_ROWS) {
    s = &t->slots[t->nslots++];
    snprintf(s->slot, sizeof(s->slot), "%s", r->slot);
    s->pid = r->pid;
    s->restarts = 0;
  }
  if (!s) return 0;
  if (r->pid && s->pid != r->pid) {
    s->pid = r->pid;
    s->restarts++;
  }
  return s->restarts;
}

/* Drops rows of workers that are gone and computes requests per second. */
static void settle_rows(top_t *t, uint64_t now_ns) {
  size_t keep = 0;
  for (size_t i = 0; i < t->nrows; i++) {
    row_t *r = &t->rows[i];
    /* In a cluster the answering worker's own figures come too: the
     * per-worker rows already count them. */
    if (!r->seen || (!strcmp(r->worker, "-") && t->nworkers > 0)) continue;
    delay_from_buckets(r);
    if (r->prev_ns && now_ns > r->prev_ns && r->requests >= r->prev_requests)
      r->rate = (r->requests - r->prev_requests) * 1e9 /
                (double)(now_ns - r->prev_ns);
    r->prev_requests = r->requests;
    r->prev_ns = now_ns;
    t->rows[keep++] = *r;
  }
  t->nrows = keep;
}

static void take_metrics(top_t *t, const char *text, size_t len) {
  size_t n = prom_parse(text, len, t->samples, MAX_SAMPLES);
  for (size_t i = 0; i < t->nrows; i++) {
    t->rows[i].seen = 0;
    t->rows[i].requests = 0;
    t->rows[i].nbk = 0;
  }
  t->nworkers = 0;
  t->nblocked = 0;
  for (size_t i = 0; i < n; i++) take_sample(t, &t->samples[i]);
  settle_rows(t, eddy_hrtime());
}

/* ------------------------------------------------------------- the view */

/* Seconds since the process started, from /proc (a server on this host),
 * or -1 when it is not visible here. */
static double uptime_of(long pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
  FILE *f = pid > 0 ? fopen(path, "r") : NULL;
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  unsigned long long start = 0;
  for (int field = 2; p && field < 22; field++) p = strchr(p + 1, ' ');
  if (!p || sscanf(p + 1, "%llu", &start) != 1) return -1;
  struct timespec up;
  clock_gettime(CLOCK_BOOTTIME, &up);
  return (double)up.tv_sec - (double)start / (double)sysconf(_SC_CLK_TCK);
}

static void fmt_uptime(char *out, size_t max, double s) {
  if (s < 0)
    snprintf(out, max, "-");
  else if (s < 3600)
    snprintf(out, max, "%dm%02ds", (int)s / 60, (int)s % 60);
  else
    snprintf(out, max, "%dh%02dm", (int)s / 3600, (int)s / 60 % 60);
}

static void fmt_bytes(char *out, size_t max, double b) {
  if (b >= 1 << 30)
    snprintf(out, max, "%.1fG", b / (1 << 30));
  else if (b >= 1 << 20)
    snprintf(out, max, "%.1fM", b / (1 << 20));
  else
    snprintf(out, max, "%.0fK", b / 1024);
}

static void fmt_rate(char *out, size_t max, double r) {
  if (r < 0)
    snprintf(out, max, "-");
  else
    snprintf(out, max, "%.1f", r);
}

static void print_row(FILE *o, top_t *t, const row_t *r) {
  char up[16], rss[16], rate[24];
  fmt_uptime(up, sizeof(up),
             r->start_time > 0 ? (double)time(NULL) - r->start_time
                               : uptime_of(r->pid));
  fmt_bytes(rss, sizeof(rss), r->rss);
  fmt_rate(rate, sizeof(rate), r->rate);
  fprintf(o, "%-7s %-5s %8ld %8s %8d %8s %9.2fms %5.1f%% %6.0f %9s\n",
          r->worker, r->slot[0] ? r->slot : "-", r->pid, up,
          slot_restarts(t, r), rss, r->delay * 1e3, r->util * 100, r->conns,
          rate);
}

static void print_totals(FILE *o, const top_t *t) {
  double rss = 0, conns = 0, rate = 0, delay = 0, util = 0, restarts = 0;
  int known = t->nrows > 0;
  for (size_t i = 0; i < t->nrows; i++) {
    const row_t *r = &t->rows[i];
    rss += r->rss, conns += r->conns, util += r->util;
    delay = r->delay > delay ? r->delay : delay;
    if (r->rate < 0)
      known = 0;
    else
      rate += r->rate;
  }
  for (int i = 0; i < 5; i++) restarts += t->causes[i];
  char rs[16], rt[24];
  fmt_bytes(rs, sizeof(rs), rss);
  fmt_rate(rt, sizeof(rt), known ? rate : -1);
  fprintf(o, "%-7s %-5s %8s %8s %8.0f %8s %9.2fms %5.1f%% %6.0f %9s\n", "TOTAL",
          "", "", "", restarts, rs, delay * 1e3,
          t->nrows ? util * 100 / (double)t->nrows : 0.0, conns, rt);
}

/* On a terminal each line also clears the rest of its row (\033[K), as
 * the frame is drawn over the last one. */
static void write_frame(const top_t *t, const char *text, size_t len) {
  for (size_t i = 0; i < len; i++) {
    if (t->tty && text[i] == '\n') fputs("\033[K", stdout);
    putchar(text[i]);
  }
  fflush(stdout);
}

static void render(top_t *t) {
  char *text = NULL, when[16];
  size_t len = 0;
  FILE *o = open_memstream(&text, &len);
  if (!o) return;
  time_t now = time(NULL);
  strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
  /* Home, draw over the last frame, clear what is left: no flicker. */
  fprintf(o, "%seddy top  %s  %s  workers %zu\n", t->tty ? "\033[H" : "",
          t->url, when, t->nrows);
  fprintf(o, "restarts:");
  for (int i = 0; i < 5; i++)
    fprintf(o, " %s %.0f", cause_names[i], t->causes[i]);
  fprintf(o, "\n%-7s %-5s %8s %8s %8s %8s %11s %6s %6s %9s\n", "WORKER", "SLOT",
          "PID", "UPTIME", "RESTARTS", "RSS", "DELAY_P99", "UTIL", "CONNS",
          "REQ/S");
  for (size_t i = 0; i < t->nrows; i++) print_row(o, t, &t->rows[i]);
  print_totals(o, t);
  for (size_t i = 0; i < t->nblocked; i++)
    fprintf(o, "BLOCKED %s\n", t->blocked[i]);
  if (t->error[0]) fprintf(o, "error: %s\n", t->error);
  fprintf(o, "%s", t->tty ? "q quits\033[J" : "\n");
  fclose(o);
  write_frame(t, text, len);
  free(text);
}

/* ------------------------------------------------------------ the loop */

static void stop(top_t *t) { eddy_loop_stop(&t->loop); }

static void snapshot_done(top_t *t) {
  t->busy = 0;
  render(t);
  if (t->count && ++t->snapshots >= t->count) stop(t);
}

static void on_end(eddy_client_req_t *req, const eddy_client_res_t *res) {
  top_t *t = req->data;
  t->error[0] = '\0';
  if (res->status != 200)
    snprintf(t->error, sizeof(t->error), "HTTP %d from the server",
             res->status);
  else
    take_metrics(t, res->body, res->body_len);
  snapshot_done(t);
}

static void on_error(eddy_client_req_t *req, int status) {
  top_t *t = req->data;
  snprintf(t->error, sizeof(t->error), "%s", eddy_strerror(status));
  if (status != -ECANCELED) snapshot_done(t);
}

static void on_tick(eddy_timer_t *timer) {
  top_t *t = timer->data;
  if (t->busy) return; /* the previous answer is late: skip a beat */
  eddy_client_req_opts_t o = {.url = t->url,
                              .buffer_body = 1,
                              .max_body = 8 << 20,
                              .on_end = on_end,
                              .on_error = on_error,
                              .data = t};
  int r = eddy_client_request(t->client, &o, NULL);
  if (r == 0)
    t->busy = 1;
  else {
    snprintf(t->error, sizeof(t->error), "%s", eddy_strerror(r));
    snapshot_done(t);
  }
}

static void on_key(eddy_io_t *io, unsigned events) {
  top_t *t = io->data;
  char c[16];
  ssize_t n = read(io->fd, c, sizeof(c));
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
    stop(t); /* the terminal went away (EOF, EIO) */
  for (ssize_t i = 0; i < n; i++)
    if (c[i] == 'q' || c[i] == 'Q') stop(t);
}

static void on_signal(eddy_signal_t *s, int signum) { stop(s->data); }

/* "http://host:port" alone means its /metrics. */
static int set_url(top_t *t, const char *arg) {
  eddy_client_url_t u;
  if (eddy_client_url_parse(arg, strlen(arg), &u) < 0) return -EINVAL;
  int bare = u.target.len == 1 && !strchr(arg + 7, '/');
  int root = u.target.len == 1;
  size_t n = strlen(arg);
  if (root && !bare && arg[n - 1] == '/') n--;
  snprintf(t->url, sizeof(t->url), "%.*s%s", (int)n, arg,
           root ? "/metrics" : "");
  return 0;
}

static int parse_args(top_t *t, int argc, char **argv) {
  t->interval_ms = 1000;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--count") && i + 1 < argc)
      t->count = atol(argv[++i]);
    else if (!strcmp(argv[i], "--interval-ms") && i + 1 < argc)
      t->interval_ms = (uint64_t)atol(argv[++i]);
    else if (!t->url[0] && argv[i][0] != '-') {
      if (set_url(t, argv[i]) < 0) return -1;
    } else
      return -1;
  }
  return t->url[0] && t->count >= 0 && t->interval_ms > 0 ? 0 : -1;
}

static int start(top_t *t) {
  static const int signums[3] = {SIGINT, SIGTERM, SIGHUP};
  if (eddy_client_create(&t->loop, NULL, &t->client) < 0) return -1;
  eddy_timer_init(&t->loop, &t->timer);
  t->timer.data = t;
  eddy_timer_start(&t->timer, on_tick, 0, t->interval_ms);
  for (int i = 0; i < 3; i++) {
    eddy_signal_init(&t->loop, &t->sigs[i]);
    t->sigs[i].data = t;
    eddy_signal_start(&t->sigs[i], on_signal, signums[i]);
  }
  if (t->tty && term_raw() == 0 &&
      eddy_io_init(&t->loop, &t->in, 0, on_key) == 0) {
    t->in.data = t;
    t->have_in = eddy_io_start(&t->in, EDDY_READABLE) == 0;
  }
  return 0;
}

static void finish(top_t *t) {
  eddy_close(EDDY_HANDLE(&t->timer), NULL);
  for (int i = 0; i < 3; i++) eddy_close(EDDY_HANDLE(&t->sigs[i]), NULL);
  if (t->have_in) eddy_close(EDDY_HANDLE(&t->in), NULL);
  eddy_client_close(t->client, NULL);
  eddy_run(&t->loop, EDDY_RUN_DEFAULT);
  term_restore();
}

int eddy_top_main(int argc, char **argv) {
  top_t *t = calloc(1, sizeof(*t));
  if (!t || parse_args(t, argc, argv) < 0) {
    fputs(
        "usage: eddy top [--count N] [--interval-ms MS] "
        "http://HOST:PORT[/metrics]\n",
        stderr);
    free(t);
    return 2;
  }
  t->tty = isatty(0) && isatty(1);
  if (eddy_loop_init(&t->loop) < 0 || start(t) < 0) {
    fputs("eddy top: cannot start the loop\n", stderr);
    return 1;
  }
  eddy_run(&t->loop, EDDY_RUN_DEFAULT);
  finish(t);
  int r = eddy_loop_close(&t->loop) ? 1 : 0;
  free(t);
  return r;
}

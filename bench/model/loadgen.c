/*
 * bench/model/loadgen: the load of bench/model (thread-per-connection vs
 * the event loop).
 *
 *   loadgen PORT PATH CONNS THINK_MS SECONDS SERVER_PID
 *
 * Ramp: opens CONNS keep-alive connections to 127.0.0.1:PORT, at most 256
 * waiting for their first answer at a time (so the ramp never overflows a
 * 511 backlog by itself), sends `GET PATH` on each and parks it once
 * answered; it ends when all are answered, or after 3 s + 0.1 ms per
 * connection (below the servers' 5 s keep-alive timeout). Load: each
 * connection sends, waits for the whole response, thinks a random
 * 0..THINK_MS ms (0: no think time; at most 1000; the first think spreads
 * the start) and sends again; 1 s of warm-up, then SECONDS measured
 * (requests/s, latency). Drain: no new requests; the ones in flight are
 * answered (at most 2 s). A connection the server closes or resets is
 * counted and not reopened.
 *
 * The server, SERVER_PID, is measured without pausing the load:
 * - its CPU time over the window from its process CPU clock
 *   (clock_getcpuclockid: the utime+stime of /proc/PID/stat in ns, where
 *   stat counts 10 ms ticks, too coarse at a few hundred requests per
 *   second; stat's figure is printed too, as stat_cpu_s);
 * - VmRSS and Threads from /proc/PID/status at the window's end;
 * - voluntary and involuntary context switches summed over
 *   /proc/PID/task/TID/status, read while the server is idle: after the
 *   ramp and after the drain (reading 10,000 tasks takes ~0.5 s), divided
 *   by every request answered between the two.
 * Prints one line of key=value pairs (print_result). Single-threaded
 * epoll; raises its own RLIMIT_NOFILE to the hard limit.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RESP_MAX 1024
#define MAX_PENDING 256 /* opened, not yet answered: below the backlog */
#define RAMP_NS(n) (3000000000ull + 100000ull * (uint64_t)(n)) /* < 5 s keep-alive */
#define WARM_NS 1000000000ull
#define DRAIN_NS 2000000000ull
#define WHEEL 1024 /* 1 ms slots; a think time is at most 1000 ms */
#define MAX_SAMPLES (16u << 20)

enum { CONNECTING, WAITING, THINKING, PARKED, DEAD };
enum { RAMP, LOAD, DRAIN, DONE };

typedef struct {
  int fd, state, answered, next; /* next: the wheel slot's list */
  int in_flight;                 /* a load request is out (not the first) */
  uint64_t sent_ns;
  size_t len;
  char buf[RESP_MAX + 1];
} conn_t;

typedef struct {
  double cpu_s, stat_s; /* CPU clock (ns); utime+stime (10 ms ticks) */
  long rss_kib, threads;
} sample_t;

typedef struct {
  long vcsw, ivcsw; /* summed over the tasks */
  double took_ms;   /* how long reading them took */
} switches_t;

static struct {
  conn_t *c;
  int n, ep, think_ms, port, server_pid;
  char req[512];
  size_t req_len;
  uint64_t rng, ramp_end, ws, we, drain_end; /* ws..we: the window */
  int phase, opened, answered, errors, refused, bad, ramp_answered, in_flight;
  double ramp_s;
  long reqs, load_reqs; /* answered in the window; since the ramp's end */
  uint32_t *lat;
  size_t nlat, cap_lat;
  int wheel[WHEEL];
  uint64_t wheel_ms;
  sample_t s0, s1;
  switches_t x0, x1;
} g;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rnd(void) { /* xorshift64 */
  g.rng ^= g.rng << 13;
  g.rng ^= g.rng >> 7;
  g.rng ^= g.rng << 17;
  return g.rng;
}

/* ------------------------------------------------------ server sampling */

/* Reads the file at path into buf (NUL-terminated); 0, or -1. */
static int slurp(const char *path, char *buf, size_t size) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, size - 1, f);
  fclose(f);
  buf[n] = '\0';
  return 0;
}

/* The first number after `key` in buf, or 0. */
static long field(const char *buf, const char *key) {
  const char *p = strstr(buf, key);
  return p ? strtol(p + strlen(key), NULL, 10) : 0;
}

static double stat_cpu_seconds(int pid) {
  char path[64], buf[1024];
  unsigned long ut = 0, st = 0;
  snprintf(path, sizeof(path), "/proc/%d/stat", pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = '\0';
  char *p = strrchr(buf, ')'); /* the name may hold spaces */
  if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                   &ut, &st) != 2)
    return 0;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* The process's CPU time (all its threads, live and dead), in ns
 * precision: Linux lets any process read another's CPU clock. */
static double cpu_clock_seconds(int pid) {
  clockid_t id;
  struct timespec ts;
  if (clock_getcpuclockid(pid, &id) || clock_gettime(id, &ts)) return 0;
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time, RSS and threads: a few small reads, taken on time. */
static sample_t take_sample(int pid) {
  sample_t s = {0};
  char path[64], buf[4096];
  s.cpu_s = cpu_clock_seconds(pid);
  s.stat_s = stat_cpu_seconds(pid);
  snprintf(path, sizeof(path), "/proc/%d/status", pid);
  if (slurp(path, buf, sizeof(buf)) == 0) {
    s.rss_kib = field(buf, "VmRSS:");
    s.threads = field(buf, "Threads:");
  }
  return s;
}

/* Context switches summed over the tasks: one file per thread. */
static switches_t count_switches(int pid) {
  switches_t x = {0};
  char path[96], buf[4096];
  uint64_t t0 = now_ns();
  snprintf(path, sizeof(path), "/proc/%d/task", pid);
  DIR *d = opendir(path);
  for (struct dirent *e; d && (e = readdir(d));) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof(path), "/proc/%d/task/%.16s/status", pid, e->d_name);
    if (slurp(path, buf, sizeof(buf)) < 0) continue; /* the thread ended */
    x.vcsw += field(buf, "\nvoluntary_ctxt_switches:");
    x.ivcsw += field(buf, "nonvoluntary_ctxt_switches:");
  }
  if (d) closedir(d);
  x.took_ms = (double)(now_ns() - t0) / 1e6;
  return x;
}

/* ----------------------------------------------------------- connections */

static void fail(conn_t *c) {
  g.in_flight -= c->in_flight;
  c->in_flight = 0;
  close(c->fd);
  c->state = DEAD;
  g.errors++;
  if (!c->answered) g.refused++;
}

static void send_request(conn_t *c) {
  c->sent_ns = now_ns();
  c->state = WAITING;
  c->in_flight = c->answered;
  g.in_flight += c->in_flight;
  if (write(c->fd, g.req, g.req_len) != (ssize_t)g.req_len) fail(c);
}

static void open_one(void) {
  conn_t *c = &g.c[g.opened++];
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g.port)};
  struct linger lg = {.l_onoff = 1, .l_linger = 0}; /* RST: no TIME_WAIT left */
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  c->state = CONNECTING;
  if (c->fd < 0) {
    g.errors++, g.refused++, c->state = DEAD;
    return;
  }
  setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)(c - g.c)};
  if ((connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) ||
      epoll_ctl(g.ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
    fail(c);
}

static void on_connected(conn_t *c) {
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)(c - g.c)};
  if (err || epoll_ctl(g.ep, EPOLL_CTL_MOD, c->fd, &ev) < 0) {
    fail(c);
    return;
  }
  send_request(c);
}

/* After an answer: the next request, now or after a think; or rest. */
static void think(conn_t *c, uint64_t now) {
  if (g.phase != LOAD) {
    c->state = PARKED;
    return;
  }
  if (!g.think_ms) {
    send_request(c);
    return;
  }
  uint64_t due = now / 1000000 + rnd() % (uint64_t)(g.think_ms + 1);
  if (due <= g.wheel_ms) due = g.wheel_ms + 1;
  c->state = THINKING;
  c->next = g.wheel[due % WHEEL];
  g.wheel[due % WHEEL] = (int)(c - g.c);
}

static void record(conn_t *c, uint64_t now) {
  if (!c->answered) g.answered++;
  c->answered = 1;
  g.in_flight -= c->in_flight;
  c->in_flight = 0;
  if (g.phase == RAMP) return;
  g.load_reqs++;
  if (now < g.ws || now >= g.we) return;
  g.reqs++;
  if (g.nlat == g.cap_lat && g.cap_lat < MAX_SAMPLES) {
    g.cap_lat = g.cap_lat ? g.cap_lat * 2 : 65536;
    g.lat = realloc(g.lat, g.cap_lat * sizeof(*g.lat));
    if (!g.lat) exit(1);
  }
  if (g.nlat < g.cap_lat) g.lat[g.nlat++] = (uint32_t)((now - c->sent_ns) / 1000);
}

/* 1 if buf holds a whole response (checked and consumed), 0 if not yet,
 * -1 if it is broken. */
static int take_response(conn_t *c) {
  c->buf[c->len] = '\0';
  char *end = strstr(c->buf, "\r\n\r\n");
  if (!end) return c->len == RESP_MAX ? -1 : 0;
  char *cl = strcasestr(c->buf, "\r\nContent-Length:");
  size_t head = (size_t)(end + 4 - c->buf), body = cl ? strtoul(cl + 17, NULL, 10) : 0;
  if (head + body > RESP_MAX) return -1;
  if (c->len < head + body) return 0;
  if (c->len > head + body) return -1; /* no pipelining: nothing may follow */
  if (strncmp(c->buf + 9, "200", 3) != 0 || body != 13 ||
      memcmp(end + 4, "Hello, World!", 13) != 0)
    g.bad++;
  c->len = 0;
  return 1;
}

static void on_readable(conn_t *c) {
  ssize_t r = read(c->fd, c->buf + c->len, RESP_MAX - c->len);
  if (r < 0 && errno == EAGAIN) return;
  if (r <= 0 || c->state != WAITING) { /* closed, reset, or unasked bytes */
    fail(c);
    return;
  }
  c->len += (size_t)r;
  int done = take_response(c);
  if (done < 0) fail(c);
  if (done <= 0) return;
  uint64_t now = now_ns();
  record(c, now);
  think(c, now);
}

/* --------------------------------------------------------------- the run */

static void think_done(conn_t *c) {
  if (g.phase == LOAD) send_request(c);
  else c->state = PARKED;
}

static void run_wheel(uint64_t now) {
  for (uint64_t ms = now / 1000000; g.wheel_ms < ms;) {
    int *slot = &g.wheel[++g.wheel_ms % WHEEL];
    for (int i = *slot; i >= 0;) {
      conn_t *c = &g.c[i];
      i = c->next;
      if (c->state == THINKING) think_done(c);
    }
    *slot = -1;
  }
}

/* Moves through the phases: ramp, load (warm-up, window), drain. */
static void next_phase(uint64_t now) {
  if (g.phase == RAMP && (now >= g.ramp_end || g.answered + g.refused == g.n)) {
    g.ramp_s = (double)(now - (g.ramp_end - RAMP_NS(g.n))) / 1e9;
    g.ramp_answered = g.answered;
    g.x0 = count_switches(g.server_pid); /* the server is idle: parked */
    now = now_ns();
    g.phase = LOAD;
    g.ws = now + WARM_NS;
    g.we = g.ws + g.we; /* g.we held the window's length until now */
    for (int i = 0; i < g.opened; i++)
      if (g.c[i].state == PARKED) think(&g.c[i], now);
  } else if (g.phase == LOAD && now >= g.ws && !g.s0.cpu_s) {
    g.s0 = take_sample(g.server_pid);
  } else if (g.phase == LOAD && now >= g.we) {
    g.s1 = take_sample(g.server_pid);
    g.phase = DRAIN;
    g.drain_end = now + DRAIN_NS;
  } else if (g.phase == DRAIN && (g.in_flight == 0 || now >= g.drain_end)) {
    g.x1 = count_switches(g.server_pid);
    g.phase = DONE;
  }
}

static void event_loop(void) {
  struct epoll_event evs[512];
  while (g.phase != DONE) {
    while (g.phase <= LOAD && g.opened < g.n &&
           g.opened - g.answered - g.refused < MAX_PENDING)
      open_one();
    int k = epoll_wait(g.ep, evs, 512, 1);
    for (int i = 0; i < k; i++) {
      conn_t *c = &g.c[evs[i].data.u32];
      if (c->state == CONNECTING) on_connected(c);
      else if (c->state != DEAD) on_readable(c);
    }
    uint64_t now = now_ns();
    run_wheel(now);
    next_phase(now);
  }
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static double pct(double p) {
  return g.nlat ? g.lat[(size_t)(p * (double)(g.nlat - 1))] : 0;
}

static void print_result(long rss0, double secs) {
  int waiting = 0; /* requests unanswered for over 1 s at the end */
  for (int i = 0; i < g.opened; i++)
    if (g.c[i].state == WAITING && g.c[i].sent_ns + 1000000000ull < g.we) waiting++;
  qsort(g.lat, g.nlat, sizeof(*g.lat), cmp_u32);
  /* The CPU clock counts ns where utime+stime count 10 ms ticks: at a few
   * hundred requests per second only the former is precise enough. */
  double stat = g.s1.stat_s - g.s0.stat_s, clk = g.s1.cpu_s - g.s0.cpu_s;
  double cpu = clk > 0 ? clk : stat, r = (double)g.reqs, all = (double)g.load_reqs;
  printf("conns=%d ramp_s=%.2f ramp_answered=%d opened=%d answered=%d "
         "unanswered=%d errors=%d refused=%d "
         "bad=%d waiting_1s=%d reqs=%ld secs=%.2f rps=%.0f p50_us=%.0f "
         "p99_us=%.0f max_us=%.0f cpu_s=%.3f stat_cpu_s=%.2f req_per_cpu_s=%.0f "
         "load_reqs=%ld switches_read_ms=%.0f,%.0f rss0_kib=%ld "
         "rss_kib=%ld threads=%ld vcsw_per_req=%.3f ivcsw_per_req=%.3f\n",
         g.n, g.ramp_s, g.ramp_answered, g.opened, g.answered, g.n - g.answered, g.errors, g.refused, g.bad,
         waiting, g.reqs, secs, r / secs, pct(0.5), pct(0.99),
         g.nlat ? (double)g.lat[g.nlat - 1] : 0, cpu, stat, cpu > 0 ? r / cpu : 0, g.load_reqs, g.x0.took_ms, g.x1.took_ms, rss0,
         g.s1.rss_kib, g.s1.threads, all > 0 ? (double)(g.x1.vcsw - g.x0.vcsw) / all : 0,
         all > 0 ? (double)(g.x1.ivcsw - g.x0.ivcsw) / all : 0);
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: loadgen PORT PATH CONNS THINK_MS SECONDS SERVER_PID\n");
    return 2;
  }
  g.port = atoi(argv[1]);
  g.n = atoi(argv[3]);
  g.think_ms = atoi(argv[4]);
  double secs = atof(argv[5]);
  g.server_pid = atoi(argv[6]);
  if (g.n < 1 || g.think_ms < 0 || g.think_ms > 1000 || secs <= 0 || secs > 600)
    return 2;
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  g.req_len = (size_t)snprintf(g.req, sizeof(g.req),
                               "GET %.400s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", argv[2]);
  g.c = calloc((size_t)g.n, sizeof(*g.c));
  g.ep = epoll_create1(0);
  g.rng = 0x9e3779b97f4a7c15ull;
  memset(g.wheel, -1, sizeof(g.wheel));
  long rss0 = take_sample(g.server_pid).rss_kib;
  uint64_t t0 = now_ns();
  g.wheel_ms = t0 / 1000000;
  g.ramp_end = t0 + RAMP_NS(g.n);
  g.we = (uint64_t)(secs * 1e9);
  event_loop();
  print_result(rss0, secs);
  return 0;
}

/*
 * thread-per-connection: the classic blocking HTTP server, kept as the
 * contrast to eddy's event loop (bench/model measures both; docs/MODEL.md
 * tells the result). It does not use eddy at all.
 *
 * An accept loop starts one thread per connection; the thread reads the
 * request with blocking read(), answers with blocking write(), and keeps
 * the connection alive until the client closes it, sends
 * "Connection: close", speaks HTTP/1.0, or stays idle for 5 s. With
 * --pool N, a fixed pool of N threads takes accepted connections from a
 * blocking queue instead (Apache's "worker" model): a keep-alive
 * connection holds its thread until it ends, so client N+1 waits.
 *
 * GET / and GET /hello answer the 13-byte "Hello, World!" (text/plain,
 * Content-Length), as `eddy serve` does; other paths get 404. It is
 * written plainly, as a competent programmer writes a blocking server,
 * and is correct for the benchmark's requests. It is NOT a conforming
 * HTTP/1.1 server and does not pass the strict parser's suite: lenient
 * parsing, no chunked request bodies, no limits beyond an 8 KiB head.
 *
 * Usage: thread-per-connection PORT [--pool N] [--max-threads N]
 * Listens on 127.0.0.1. So that a benchmark cannot exhaust the machine,
 * thread-per-connection mode refuses (closes at once) a new connection
 * while --max-threads connection threads (default 10240) are alive, or
 * when pthread_create fails; --pool is capped at 4096. SIGINT/SIGTERM end
 * the process at once: threads blocked in read() have no other way out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define HEAD_MAX 8192
#define IDLE_TIMEOUT_S 5
#define MAX_POOL 4096

static const char hello[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
    "\r\nHello, World!";
static const char not_found[] =
    "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
    "Content-Length: 10\r\n\r\nNot Found\n";
static const char bad_request[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: "
    "close\r\n\r\n";

/* ------------------------------------------------------------ one request */

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The value of header `name` in the head (NUL-terminated), or NULL. */
static const char *header_value(const char *head, const char *name) {
  size_t n = strlen(name);
  for (const char *line = strstr(head, "\r\n"); line;
       line = strstr(line, "\r\n")) {
    line += 2;
    if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
      const char *v = line + n + 1;
      while (*v == ' ' || *v == '\t') v++;
      return v;
    }
  }
  return NULL;
}

typedef struct {
  int ok;         /* the request line parsed */
  int keep_alive; /* the connection stays open after the answer */
  int head_only;  /* HEAD: no body in the answer */
  int hello;      /* the path is / or /hello */
  long body_len;  /* Content-Length of the request, to skip */
} request_t;

/* Parses the head (NUL-terminated, without the final CRLFCRLF). */
static request_t parse_head(const char *head) {
  request_t r = {0};
  char method[16], path[1024], version[16];
  if (sscanf(head, "%15s %1023s %15s", method, path, version) != 3) return r;
  if (strncmp(version, "HTTP/1.", 7) != 0) return r;
  const char *conn = header_value(head, "Connection");
  const char *cl = header_value(head, "Content-Length");
  r.body_len = cl ? strtol(cl, NULL, 10) : 0;
  if (r.body_len < 0 || header_value(head, "Transfer-Encoding")) return r;
  r.ok = 1;
  r.keep_alive = strcmp(version, "HTTP/1.1") == 0 &&
                 !(conn && strncasecmp(conn, "close", 5) == 0);
  r.head_only = strcmp(method, "HEAD") == 0;
  r.hello = (r.head_only || strcmp(method, "GET") == 0) &&
            (strcmp(path, "/") == 0 || strcmp(path, "/hello") == 0);
  return r;
}

/* Writes the answer to one request; -1 if the connection must close. */
static int answer(int fd, const request_t *r) {
  if (!r->ok) {
    write_all(fd, bad_request, sizeof(bad_request) - 1);
    return -1;
  }
  const char *resp = r->hello ? hello : not_found;
  size_t len = r->hello ? sizeof(hello) - 1 : sizeof(not_found) - 1;
  if (r->head_only) len = (size_t)(strstr(resp, "\r\n\r\n") + 4 - resp);
  if (write_all(fd, resp, len) < 0) return -1;
  return r->keep_alive ? 0 : -1;
}

/* -------------------------------------------------------- one connection */

/* Reads and discards `n` body bytes, `have` of which are in buf already;
 * returns how many of buf's bytes were body, or -1. */
static long skip_body(int fd, char *buf, size_t have, long n) {
  if ((long)have >= n) return n;
  for (long left = n - (long)have; left > 0;) {
    ssize_t r = read(fd, buf, left < HEAD_MAX ? (size_t)left : HEAD_MAX);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    left -= r;
  }
  return (long)have;
}

/* Serves requests on fd until the connection ends (pipelined requests
 * are answered in order: whatever follows a head stays in buf). */
static void serve_connection(int fd) {
  char buf[HEAD_MAX + 1];
  size_t len = 0;
  struct timeval idle = {IDLE_TIMEOUT_S, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
  for (;;) {
    buf[len] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (!end) {
      if (len == HEAD_MAX) return; /* head too large */
      ssize_t r = read(fd, buf + len, HEAD_MAX - len);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return; /* closed, reset or idle timeout */
      len += (size_t)r;
      continue;
    }
    *end = '\0';
    request_t req = parse_head(buf);
    if (answer(fd, &req) < 0) return;
    size_t used = (size_t)(end + 4 - buf);
    long body = skip_body(fd, buf, len - used, req.body_len);
    if (body < 0) return;
    used += (size_t)body;
    memmove(buf, buf + used, len - used);
    len -= used;
  }
}

/* ------------------------------------------------ thread per connection */

static atomic_int live_threads;

static void *connection_thread(void *arg) {
  int fd = (int)(intptr_t)arg;
  serve_connection(fd);
  close(fd);
  atomic_fetch_sub(&live_threads, 1);
  return NULL;
}

/* Starts a detached thread for fd, or closes fd if it may not. */
static void start_connection_thread(int fd, int max_threads) {
  static int warned;
  pthread_attr_t attr;
  pthread_t t;
  int err = EAGAIN;
  if (atomic_fetch_add(&live_threads, 1) < max_threads) {
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    err = pthread_create(&t, &attr, connection_thread, (void *)(intptr_t)fd);
    pthread_attr_destroy(&attr);
  }
  if (err == 0) return;
  atomic_fetch_sub(&live_threads, 1);
  close(fd);
  if (!warned++)
    fprintf(stderr, "thread-per-connection: refusing connections: %s\n",
            err == EAGAIN ? "thread limit reached" : strerror(err));
}

/* ------------------------------------------------------ fixed thread pool */

/* The accept queue between the accepting thread and the pool: a ring of
 * fds; push blocks while it is full, pop while it is empty. */
static struct {
  pthread_mutex_t lock;
  pthread_cond_t not_empty, not_full;
  int fds[MAX_POOL];
  int head, count, cap;
} queue = {PTHREAD_MUTEX_INITIALIZER,
           PTHREAD_COND_INITIALIZER,
           PTHREAD_COND_INITIALIZER,
           {0},
           0,
           0,
           0};

static void queue_push(int fd) {
  pthread_mutex_lock(&queue.lock);
  while (queue.count == queue.cap)
    pthread_cond_wait(&queue.not_full, &queue.lock);
  queue.fds[(queue.head + queue.count++) % queue.cap] = fd;
  pthread_cond_signal(&queue.not_empty);
  pthread_mutex_unlock(&queue.lock);
}

static int queue_pop(void) {
  pthread_mutex_lock(&queue.lock);
  while (queue.count == 0) pthread_cond_wait(&queue.not_empty, &queue.lock);
  int fd = queue.fds[queue.head];
  queue.head = (queue.head + 1) % queue.cap;
  queue.count--;
  pthread_cond_signal(&queue.not_full);
  pthread_mutex_unlock(&queue.lock);
  return fd;
}

static void *pool_thread(void *arg) {
  for (;;) {
    int fd = queue_pop();
    serve_connection(fd);
    close(fd);
  }
  return NULL;
}

/* Starts n pool threads; 0 on success. */
static int start_pool(int n) {
  queue.cap = n; /* as many waiting as serving, then accept() waits */
  for (int i = 0; i < n; i++) {
    pthread_t t;
    int err = pthread_create(&t, NULL, pool_thread, NULL);
    if (err) {
      fprintf(stderr, "thread-per-connection: pool thread: %s\n",
              strerror(err));
      return -1;
    }
    pthread_detach(t);
  }
  return 0;
}

/* ------------------------------------------------------------------ main */

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0) return -1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 511) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void on_stop(int sig) { _exit(0); }

static void accept_loop(int lfd, int pool, int max_threads) {
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE)
        usleep(10000); /* wait for a close */
      continue;
    }
    if (pool)
      queue_push(fd);
    else
      start_connection_thread(fd, max_threads);
  }
}

static int usage(void) {
  fprintf(stderr,
          "usage: thread-per-connection PORT [--pool N] [--max-threads N]\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  int port = atoi(argv[1]), pool = 0, max_threads = 10240;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--pool") == 0)
      pool = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--max-threads") == 0)
      max_threads = atoi(argv[i + 1]);
    else
      return usage();
  }
  if (argc % 2 || port <= 0 || port > 65535 || pool < 0 || pool > MAX_POOL ||
      max_threads < 1)
    return usage();
  signal(SIGPIPE, SIG_IGN);
  signal(SIGINT, on_stop);
  signal(SIGTERM, on_stop);
  int lfd = listen_on(port);
  if (lfd < 0) {
    fprintf(stderr, "thread-per-connection: 127.0.0.1:%d: %s\n", port,
            strerror(errno));
    return 1;
  }
  if (pool && start_pool(pool) < 0) return 1;
  printf("thread-per-connection: listening on http://127.0.0.1:%d/ (%s)\n",
         port, pool ? "fixed pool" : "a thread per connection");
  fflush(stdout);
  accept_loop(lfd, pool, max_threads);
  return 0;
}

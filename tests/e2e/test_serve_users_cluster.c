/*
 * `eddy serve --workers 2` on one SQLite --data-dir: two processes write
 * the same file. Concurrent POSTs on fresh connections, each answered by
 * whichever worker accepted it (found from /proc: the worker whose fd
 * table holds the server end of the connection), all get distinct ids,
 * and every user reads back the same from either worker.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "support/users_helpers.h"

TestSuite(serve_users_cluster, .timeout = 90, .fini = e2e_kill_leftover);

/* ---- which worker holds a connection */

/* The worker processes of `primary` (its children), at most 2. */
static int workers_of(pid_t primary, pid_t out[2]) {
  DIR *d = opendir("/proc");
  struct dirent *e;
  int n = 0;
  while (d && n < 2 && (e = readdir(d))) {
    char path[300], buf[512];
    snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (!f) continue;
    size_t len = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[len] = '\0';
    char *p = strrchr(buf, ')'); /* after the command name */
    int ppid = 0;
    if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == primary)
      out[n++] = atoi(e->d_name);
  }
  if (d) closedir(d);
  return n;
}

/* The inode of the server end of the client socket `fd` (server port
 * `port`), from /proc/net/tcp; 0 if not found. */
static unsigned long server_inode(int fd, int port) {
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  getsockname(fd, (struct sockaddr *)&a, &len);
  unsigned client_port = ntohs(a.sin_port), lp, rp;
  unsigned long inode, found = 0;
  char line[512];
  FILE *f = fopen("/proc/net/tcp", "r");
  while (f && !found && fgets(line, sizeof(line), f))
    if (sscanf(line, " %*d: %*x:%x %*x:%x %*x %*s %*s %*s %*d %*d %lu", &lp,
               &rp, &inode) == 3 &&
        lp == (unsigned)port && rp == client_port)
      found = inode;
  if (f) fclose(f);
  return found;
}

static int holds_socket(pid_t pid, unsigned long inode) {
  char dir[64], path[384], link[64], want[64];
  snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
  snprintf(want, sizeof(want), "socket:[%lu]", inode);
  DIR *d = opendir(dir);
  struct dirent *e;
  int found = 0;
  while (d && !found && (e = readdir(d))) {
    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    found = n > 0 && (link[n] = '\0', !strcmp(link, want));
  }
  if (d) closedir(d);
  return found;
}

/* 0 or 1: which of `workers` answers on `fd`; -1 if neither. */
static int worker_index(int fd, int port, const pid_t workers[2]) {
  unsigned long inode = server_inode(fd, port);
  for (int w = 0; inode && w < 2; w++)
    if (holds_socket(workers[w], inode)) return w;
  return -1;
}

/* ---- requests on raw keep-alive connections */

/* One request on `fd`; the status, the answer in out. */
static int exchange(int fd, const char *method, const char *path,
                    const char *body, char *out, size_t max) {
  char req[1024];
  int n = snprintf(req, sizeof(req),
                   "%s %s HTTP/1.1\r\nHost: x\r\n"
                   "Content-Type: application/json\r\n"
                   "Content-Length: %zu\r\n\r\n%s",
                   method, path, body ? strlen(body) : 0, body ? body : "");
  e2e_send(fd, req, (size_t)n);
  return e2e_read_response(fd, out, max, 0);
}

static json_t *body_json(const char *answer) {
  const char *b = strstr(answer, "\r\n\r\n");
  cr_assert_not_null(b);
  json_t *j = json_loads(b + 4, 0, NULL);
  cr_assert_not_null(j, "%s", answer);
  return j;
}

/* ---- concurrent writers */

#define WRITERS 4
/* per writer: every POST is a transaction flushed to disk, and under
 * ASan two processes sharing the file's write lock managed ~15/s here */
#define POSTS 16

typedef struct {
  const e2e_server_t *srv;
  pid_t workers[2];
  int no;
  int64_t ids[POSTS];
  int by[2]; /* POSTs answered by each worker */
  int bad;   /* anything but a 201 from a known worker */
  pthread_t thread;
} writer_t;

static void post_one(writer_t *w, int k) {
  char email[64], out[2048];
  snprintf(email, sizeof(email), "c%d.%d@example.org", w->no, k);
  char *body = users_body("clustered", email);
  int fd = e2e_connect(w->srv);
  int status = exchange(fd, "POST", "/users", body, out, sizeof(out));
  int who = worker_index(fd, w->srv->port, w->workers);
  close(fd);
  free(body);
  json_t *j = status == 201 ? json_loads(strstr(out, "\r\n\r\n") + 4, 0, NULL)
                            : NULL;
  w->ids[k] = json_integer_value(json_object_get(j, "id"));
  json_decref(j);
  if (status != 201 || who < 0 || w->ids[k] <= 0)
    w->bad++;
  else
    w->by[who]++;
}

static void *writer_main(void *arg) {
  writer_t *w = arg;
  for (int k = 0; k < POSTS; k++) post_one(w, k);
  return NULL;
}

/* Keep-alive connections, one held by each worker (asserts). */
static void connect_to_each(const e2e_server_t *s, const pid_t workers[2],
                            int fds[2]) {
  char out[4096];
  fds[0] = fds[1] = -1;
  for (int i = 0; i < 400 && (fds[0] < 0 || fds[1] < 0); i++) {
    int fd = e2e_connect(s);
    int status = exchange(fd, "GET", "/users?limit=1", NULL, out, sizeof(out));
    int w = status == 200 ? worker_index(fd, s->port, workers) : -1;
    if (w >= 0 && fds[w] < 0)
      fds[w] = fd;
    else
      close(fd);
  }
  cr_assert(fds[0] >= 0 && fds[1] >= 0, "one worker answers every connection");
}

static void read_from_both(const int fds[2], const writer_t *w) {
  char path[64], email[64], out[2048];
  for (int i = 0; i < WRITERS; i++)
    for (int k = 0; k < POSTS; k++) {
      snprintf(path, sizeof(path), "/users/%lld", (long long)w[i].ids[k]);
      snprintf(email, sizeof(email), "c%d.%d@example.org", i, k);
      for (int c = 0; c < 2; c++) {
        cr_assert_eq(exchange(fds[c], "GET", path, NULL, out, sizeof(out)), 200,
                     "worker %d: GET %s: %s", c, path, out);
        json_t *j = body_json(out);
        const char *e = json_string_value(json_object_get(j, "email"));
        cr_assert(e && !strcmp(e, email), "worker %d: %s", c, out);
        json_decref(j);
      }
    }
}

static int cmp_id(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

Test(serve_users_cluster, two_workers_one_sqlite_file) {
  users_srv_t u;
  users_start(&u, "sqlite",
              (const char *const[]){"--workers", "2", "--heartbeat-ms", "100",
                                    NULL});
  pid_t workers[2];
  for (int i = 0; i < 250 && workers_of(u.srv.pid, workers) < 2; i++)
    usleep(20000);
  cr_assert_eq(workers_of(u.srv.pid, workers), 2, "two workers");
  static writer_t w[WRITERS];
  for (int i = 0; i < WRITERS; i++) {
    w[i] = (writer_t){.srv = &u.srv, .no = i};
    memcpy(w[i].workers, workers, sizeof(workers));
    pthread_create(&w[i].thread, NULL, writer_main, &w[i]);
  }
  int by[2] = {0, 0};
  static int64_t all[WRITERS * POSTS];
  for (int i = 0; i < WRITERS; i++) {
    pthread_join(w[i].thread, NULL);
    cr_assert_eq(w[i].bad, 0, "writer %d: %d POSTs failed", i, w[i].bad);
    by[0] += w[i].by[0];
    by[1] += w[i].by[1];
    memcpy(all + i * POSTS, w[i].ids, sizeof(w[i].ids));
  }
  cr_assert(by[0] > 0 && by[1] > 0, "POSTs by worker: %d and %d", by[0], by[1]);
  qsort(all, WRITERS * POSTS, sizeof(all[0]), cmp_id);
  for (int i = 1; i < WRITERS * POSTS; i++)
    cr_assert_neq(all[i], all[i - 1], "id %lld given twice", (long long)all[i]);
  int fds[2]; /* opened now: an idle keep-alive connection is closed */
  connect_to_each(&u.srv, workers, fds);
  read_from_both(fds, w);
  close(fds[0]);
  close(fds[1]);
  users_stop(&u);
}

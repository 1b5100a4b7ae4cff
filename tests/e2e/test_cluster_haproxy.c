/*
 * Scale-out behind a real load balancer: three `eddy serve --workers 2`
 * hosts on 127.0.0.2, .3 and .4, HAProxy (Debian's) in front on 127.0.0.1
 * with health checks on /readyz and retries on connection failures, the
 * configuration of docs/DEPLOYMENT.md. Under steady load one host drains
 * with SIGTERM and another dies with SIGKILL (primary and workers): no
 * request fails. Short form (a few seconds); EDDY_HAPROXY_LONG=1 makes
 * each phase 10 times longer.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/cluster_helpers.h"
#include "support/e2e_helpers.h"

static pid_t started[4]; /* hosts and haproxy, for .fini */

static void fini(void) {
  for (int i = 0; i < 4; i++)
    if (started[i] > 0) {
      kill(started[i], SIGKILL);
      waitpid(started[i], NULL, 0);
    }
}

static int port_on(const char *ip) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  socklen_t len = sizeof(a);
  inet_pton(AF_INET, ip, &a.sin_addr);
  cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0, "bind %s", ip);
  getsockname(fd, (struct sockaddr *)&a, &len);
  close(fd);
  return ntohs(a.sin_port);
}

static pid_t spawn(const char *const *argv, const char *log) {
  pid_t pid = fork();
  cr_assert(pid >= 0);
  if (pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    dup2(fd, 2);
    execv(argv[0], (char *const *)argv);
    _exit(127);
  }
  return pid;
}

/* GET path from ip:port on a fresh connection: the status or -1. */
static int get_at(const char *ip, int port, const char *path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port)};
  struct timeval tv = {2, 0};
  char req[128], buf[512];
  int eof, status = -1;
  inet_pton(AF_INET, ip, &a.sin_addr);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n"
                     "Connection: close\r\n\r\n", path);
    if (send(fd, req, (size_t)n, MSG_NOSIGNAL) == n &&
        e2e_recv_all(fd, buf, sizeof(buf), &eof) > 12 && eof)
      sscanf(buf, "HTTP/1.%*d %d", &status);
  }
  close(fd);
  return status;
}

static void wait_status(const char *ip, int port, const char *path) {
  for (int i = 0; i < 500; i++) {
    if (get_at(ip, port, path) == 200) return;
    usleep(20000);
  }
  cr_assert_fail("%s:%d%s never answered 200", ip, port, path);
}

static void write_config(const char *path, int front, const int *ports) {
  FILE *f = fopen(path, "w");
  cr_assert(f);
  fprintf(f,
          "global\n  maxconn 2000\n"
          "defaults\n  mode http\n  timeout connect 1s\n"
          "  timeout client 10s\n  timeout server 10s\n"
          "  retries 3\n  option redispatch 1\n"
          "  retry-on all-retryable-errors\n"
          "frontend web\n  bind 127.0.0.1:%d\n  default_backend eddy\n"
          "backend eddy\n  balance roundrobin\n"
          "  option httpchk GET /readyz\n  http-check expect status 200\n"
          "  timeout check 1s\n"
          "  default-server inter 200ms fall 1 rise 2\n"
          "  server a 127.0.0.2:%d check\n  server b 127.0.0.3:%d check\n"
          "  server c 127.0.0.4:%d check\n",
          front, ports[0], ports[1], ports[2]);
  fclose(f);
}

/* SIGKILL a primary and its workers at once: the host dies. */
static void kill_host(pid_t primary) {
  char path[64], line[256];
  snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)primary,
           (int)primary);
  FILE *f = fopen(path, "r");
  if (f && fgets(line, sizeof(line), f))
    for (char *p = strtok(line, " \n"); p; p = strtok(NULL, " \n"))
      kill(atoi(p), SIGKILL);
  if (f) fclose(f);
  kill(primary, SIGKILL);
  waitpid(primary, NULL, 0);
}

Test(cluster_haproxy, drain_one_host_kill_another_no_request_fails,
     .fini = fini, .timeout = 60) {
  const char *bin = getenv("EDDY_BIN");
  const char *ips[3] = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
  long scale = getenv("EDDY_HAPROXY_LONG") ? 10 : 1;
  int ports[3];
  char dir[] = "/tmp/eddy-haproxy-XXXXXX", cfg[128], log[128];
  cr_assert(bin, "EDDY_BIN is not set");
  cr_assert(access("/usr/sbin/haproxy", X_OK) == 0,
            "haproxy is missing: scripts/deps.sh installs it");
  cr_assert(mkdtemp(dir));
  for (int i = 0; i < 3; i++) {
    char port[16], data[160];
    ports[i] = port_on(ips[i]);
    snprintf(port, sizeof(port), "%d", ports[i]);
    snprintf(log, sizeof(log), "%s/host%d.log", dir, i);
    snprintf(data, sizeof(data), "%s/host%d-data", dir, i); /* its SQLite */
    started[i] = spawn((const char *const[]){bin, "serve", "--host", ips[i],
                       "--port", port, "--workers", "2", "--heartbeat-ms",
                       "100", "--grace-ms", "2000", "--data-dir", data, NULL},
                       log);
  }
  for (int i = 0; i < 3; i++) wait_status(ips[i], ports[i], "/readyz");
  int front = port_on("127.0.0.1");
  snprintf(cfg, sizeof(cfg), "%s/haproxy.cfg", dir);
  snprintf(log, sizeof(log), "%s/haproxy.log", dir);
  write_config(cfg, front, ports);
  started[3] = spawn((const char *const[]){"/usr/sbin/haproxy", "-db", "-f",
                     cfg, NULL}, log);
  wait_status("127.0.0.1", front, "/");

  cl_load_t l;
  cl_load_start(&l, front, 20000 * scale);
  usleep(500000 * scale);
  kill(started[0], SIGTERM); /* host a drains */
  usleep(500000 * scale);
  kill_host(started[1]); /* host b dies */
  started[1] = 0;
  usleep(1000000 * scale);
  cl_load_stop(&l);

  int st;
  cr_assert_eq(waitpid(started[0], &st, 0), started[0]);
  started[0] = 0;
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "drained host: %d", st);
  fprintf(stderr, "cluster_haproxy: %d requests through HAProxy, %d failed\n",
          l.ok + l.failed, l.failed);
  cr_assert_eq(l.failed, 0, "%d of %d failed", l.failed, l.ok + l.failed);
  cr_assert(l.ok > 100, "only %d requests", l.ok);
  cr_assert_eq(get_at("127.0.0.1", front, "/"), 200); /* host c serves */
  kill(started[2], SIGTERM);
  cr_assert_eq(waitpid(started[2], &st, 0), started[2]);
  started[2] = 0;
  cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  kill(started[3], SIGTERM);
  waitpid(started[3], NULL, 0);
  started[3] = 0;
  char rm[160];
  snprintf(rm, sizeof(rm), "rm -rf %s", dir);
  cr_assert_eq(system(rm), 0);
}

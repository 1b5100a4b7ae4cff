/* The HTTP client against real peers started by the test on loopback:
 * nginx serving files from a temp dir (its access log names the
 * connection of each request, so reuse is counted server-side) and a
 * Node.js `http` server (chunked responses with trailers, a streamed
 * upload, its own count of connections). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/client_helpers.h"
#include "support/loop_helpers.h"
#include "support/net_helpers.h"

TestSuite(client_peers, .timeout = 60);

#define FILE_SIZE (3u * 1024u * 1024u)

static eddy_loop_t loop;
static eddy_client_t *client;
static char url[256];

static const char *at(int port, const char *path) {
  snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
  return url;
}

static void start_client(void) {
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_client_create(&loop, NULL, &client), 0);
}

static void finish(void) {
  close_client(&loop, client);
  close_loop(&loop);
}

static rec_t fetch(const char *u, int buffer) {
  eddy_client_req_opts_t o;
  rec_t r;
  rec_opts(&o, &r, u);
  o.buffer_body = buffer;
  o.max_body = 8u * 1024u * 1024u;
  cr_assert_eq(eddy_client_request(client, &o, NULL), 0);
  run_recs(&loop, &r, 1, 10000);
  cr_assert_eq(r.ends, 1, "error %s", eddy_err_name(r.error));
  return r;
}

static void write_file(const char *path, const char *data, size_t n) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  cr_assert_eq(fwrite(data, 1, n, f), n);
  fclose(f);
}

static pid_t start_nginx(const char *dir, int port) {
  char path[512], conf[2048];
  snprintf(conf, sizeof conf,
           "daemon off; master_process off; worker_processes 1;\n"
           "pid %s/nginx.pid; error_log %s/error.log warn;\n"
           "events { worker_connections 64; }\n"
           "http { log_format c '$connection $connection_requests $uri';\n"
           "  access_log %s/access.log c; keepalive_timeout 30s;\n"
           "  client_body_temp_path %s; proxy_temp_path %s;\n"
           "  fastcgi_temp_path %s; uwsgi_temp_path %s; scgi_temp_path %s;\n"
           "  server { listen 127.0.0.1:%d; root %s/www; } }\n",
           dir, dir, dir, dir, dir, dir, dir, dir, port, dir);
  snprintf(path, sizeof path, "%s/nginx.conf", dir);
  write_file(path, conf, strlen(conf));
  char *argv[] = {"nginx", "-p", (char *)dir, "-e", "stderr", "-c", path, NULL};
  snprintf(conf, sizeof conf, "%s/nginx.out", dir);
  pid_t pid = spawn(argv, conf);
  wait_port(port);
  return pid;
}

/* Distinct connection numbers in nginx's access log. */
static int nginx_connections(const char *dir, int *lines) {
  char path[512], line[256];
  long seen[64];
  int n = 0;
  snprintf(path, sizeof path, "%s/access.log", dir);
  FILE *f = fopen(path, "r");
  cr_assert_not_null(f);
  *lines = 0;
  while (fgets(line, sizeof line, f)) {
    long c = atol(line);
    int known = 0;
    for (int i = 0; i < n; i++) known |= seen[i] == c;
    if (!known && n < 64) seen[n++] = c;
    (*lines)++;
  }
  fclose(f);
  return n;
}

Test(client_peers, nginx_files_over_one_kept_alive_connection) {
  const char *dir = temp_dir();
  char path[512];
  snprintf(path, sizeof path, "%s/www", dir);
  cr_assert_eq(mkdir(path, 0755), 0);
  char *data = malloc(FILE_SIZE);
  for (size_t i = 0; i < FILE_SIZE; i++) data[i] = (char)(i * 31 % 253);
  snprintf(path, sizeof path, "%s/www/big.bin", dir);
  write_file(path, data, FILE_SIZE);
  snprintf(path, sizeof path, "%s/www/small.txt", dir);
  write_file(path, "small file\n", 11);
  int port = any_port();
  pid_t pid = start_nginx(dir, port);
  start_client();
  for (int i = 0; i < 4; i++) {
    rec_t r = fetch(at(port, "/big.bin"), i & 1);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, FILE_SIZE);
    cr_assert(memcmp(r.body, data, FILE_SIZE) == 0, "the bytes of the file");
    rec_free(&r);
    r = fetch(at(port, "/small.txt"), 1);
    cr_assert_str_eq(r.body, "small file\n");
    rec_free(&r);
  }
  rec_t r = fetch(at(port, "/missing"), 1);
  cr_assert_eq(r.status, 404);
  rec_free(&r);
  eddy_client_stats_t s;
  eddy_client_stats(client, &s);
  cr_assert_eq(s.connects, 1);
  finish();
  stop_pid(pid);
  int lines, conns = nginx_connections(dir, &lines);
  cr_assert_eq(lines, 9, "nginx logged every request");
  cr_assert_eq(conns, 1, "nginx saw one connection");
  free(data);
}

static const char *node_server =
    "const http = require('http'); let conns = 0;\n"
    "const srv = http.createServer((req, res) => {\n"
    "  if (req.url === '/count') return res.end(String(conns));\n"
    "  if (req.url === '/chunked') {\n"
    "    res.writeHead(200, {'Trailer': 'X-Sum'}); res.write('hello ');\n"
    "    res.addTrailers({'X-Sum': '42'}); return res.end('world');\n"
    "  }\n"
    "  let n = 0; req.on('data', d => n += d.length);\n"
    "  req.on('end', () => res.end(req.method + ' ' + n));\n"
    "});\n"
    "srv.on('connection', () => conns++); srv.keepAliveTimeout = 30000;\n"
    "srv.listen(+process.argv[1], '127.0.0.1');\n";

static size_t up_sent;
static void upload_ready(eddy_client_req_t *req) {
  static char piece[32 * 1024];
  memset(piece, 'u', sizeof piece);
  while (up_sent < 2u * 1024u * 1024u) {
    int rc = eddy_client_write(req, piece, sizeof piece);
    cr_assert_geq(rc, 0);
    up_sent += sizeof piece;
    if (rc == 1) return;
  }
  cr_assert_eq(eddy_client_end(req), 0);
}

Test(client_peers, node_chunked_trailers_upload_and_one_connection) {
  int port = any_port();
  char portstr[16];
  snprintf(portstr, sizeof portstr, "%d", port);
  char *argv[] = {"node", "-e", (char *)node_server, portstr, NULL};
  pid_t pid = spawn(argv, NULL);
  wait_port(port);
  start_client();
  rec_t first = fetch(at(port, "/count"), 1); /* wait_port's probe counted */
  for (int i = 0; i < 5; i++) {
    rec_t r = fetch(at(port, "/chunked"), i & 1);
    cr_assert_str_eq(r.body, "hello world");
    rec_free(&r);
  }
  eddy_client_req_opts_t o;
  rec_t r;
  rec_opts(&o, &r, at(port, "/upload"));
  o.method = "PUT";
  o.stream_body = 1;
  o.on_ready = upload_ready;
  o.buffer_body = 1;
  up_sent = 0;
  cr_assert_eq(eddy_client_request(client, &o, NULL), 0);
  run_recs(&loop, &r, 1, 10000);
  cr_assert_str_eq(r.body, "PUT 2097152");
  rec_free(&r);
  r = fetch(at(port, "/count"), 1);
  cr_assert_str_eq(r.body, first.body, "node saw no new connection");
  rec_free(&r);
  rec_free(&first);
  eddy_client_stats_t st;
  eddy_client_stats(client, &st);
  cr_assert_eq(st.connects, 1);
  finish();
  stop_pid(pid);
}

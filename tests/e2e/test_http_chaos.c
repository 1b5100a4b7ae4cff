/*
 * A chaos client against the real http-static example: for two seconds,
 * connections send random mixes of good, bad, truncated and pipelined
 * requests (file downloads among them), in random splits, then leave in
 * random ways — reset, half-close, close mid-download, or linger. The
 * server must stay up, answer a fresh request, and exit cleanly. (This is
 * how a client leaving mid-sendfile was found to kill the server with
 * SIGPIPE.) Seeded, so a failure can be replayed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/e2e_helpers.h"

TestSuite(http_chaos, .timeout = 60, .fini = e2e_kill_leftover);

static const char *const pieces[] = {
    "GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n",
    "HEAD /big.bin HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /small.txt HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n",
    "GET /big.bin HTTP/1.0\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
    "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
    "5\r\nhello\r\n0\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
    "Content-Length: 3\r\n\r\nabc",
    "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    "\x01\xff garbage\r\n\r\n",
    "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
    "Transfer-Encoding: chunked\r\n\r\n",
};
#define NPIECES (sizeof(pieces) / sizeof(pieces[0]))

static char dir[64];

static void make_root(void) {
  char p[128];
  snprintf(dir, sizeof(dir), "/tmp/eddy-chaos-XXXXXX");
  cr_assert(mkdtemp(dir));
  snprintf(p, sizeof(p), "%s/big.bin", dir);
  FILE *f = fopen(p, "wb");
  static char block[65536];
  for (int i = 0; i < 32; i++) fwrite(block, 1, sizeof(block), f); /* 2 MiB */
  fclose(f);
  snprintf(p, sizeof(p), "%s/small.txt", dir);
  f = fopen(p, "wb");
  fputs("small\n", f);
  fclose(f);
}

static void remove_root(void) {
  char p[128];
  snprintf(p, sizeof(p), "%s/big.bin", dir);
  unlink(p);
  snprintf(p, sizeof(p), "%s/small.txt", dir);
  unlink(p);
  rmdir(dir);
}

/* Sends `n` bytes in random splits; gives up quietly if the server closed. */
static void send_split(int fd, const char *p, size_t n) {
  while (n > 0) {
    size_t k = 1 + (size_t)rand() % (n < 64 ? n : 64);
    if (rand() % 2) k = n;
    ssize_t w = send(fd, p, k, MSG_NOSIGNAL);
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

/* One connection: a random burst, then a random way of leaving. */
static void one_client(const e2e_server_t *s, int *held, int *nheld) {
  static char buf[1 << 16];
  int fd = e2e_connect(s);
  size_t len = 0;
  for (int i = 1 + rand() % 12; i > 0 && len < sizeof(buf) - 256; i--) {
    const char *p = pieces[(size_t)rand() % NPIECES];
    size_t n = strlen(p);
    memcpy(buf + len, p, n);
    len += n;
  }
  if (rand() % 4 == 0) len = (size_t)rand() % (len + 1); /* truncated */
  send_split(fd, buf, len);
  struct linger rst = {1, 0};
  switch (rand() % 6) {
  case 0: /* reset at once */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
    break;
  case 1:
  case 5: /* read a little of a download, then reset */
    recv(fd, buf, 1 + (size_t)rand() % 8192, 0);
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
    break;
  case 2: { /* half-close and read everything */
    int eof = 0;
    shutdown(fd, SHUT_WR);
    while (!eof && e2e_recv_all(fd, buf, sizeof(buf) - 1, &eof) > 0) {
    }
    break;
  }
  case 3: /* keep it open for a while, unread */
    if (*nheld < 32) {
      held[(*nheld)++] = fd;
      return;
    }
    break;
  default: /* plain close */
    break;
  }
  close(fd);
}

Test(http_chaos, server_survives_a_chaos_client) {
  unsigned seed = (unsigned)e2e_now_ms();
  srand(seed);
  cr_log_info("seed %u", seed);
  make_root();
  e2e_server_t s;
  const char *const args[] = {dir, NULL};
  e2e_start_example(&s, "http-static", args);
  int held[32], nheld = 0, clients = 0;
  long end = e2e_now_ms() + 2000;
  while (e2e_now_ms() < end && clients < 5000) {
    one_client(&s, held, &nheld);
    clients++;
    cr_assert(e2e_alive(&s), "server died after %d clients (seed %u)", clients,
              seed);
  }
  for (int i = 0; i < nheld; i++) close(held[i]);
  char out[4096];
  cr_assert_eq(e2e_fresh_request(&s, "GET /small.txt HTTP/1.1\r\nHost: a\r\n"
                                     "Connection: close\r\n\r\n",
                                 out, sizeof(out)),
               200, "seed %u: %s", seed, out);
  cr_assert(strstr(out, "\r\n\r\nsmall\n"), "%s", out);
  e2e_stop(&s);
  remove_root();
}

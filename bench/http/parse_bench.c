/* ns per eddy_http_parse_request() of a typical ~300-byte browser request.
 * Build and run (release flags):
 *   cc -O2 -Iinclude -Isrc -o build/parse_bench bench/http/parse_bench.c \
 *      src/http/parser.c src/http/status.c && build/parse_bench */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "eddy/http_parser.h"

/* A typical browser request of about 300 bytes. */
static const char small[] =
    "GET /index.html?lang=en HTTP/1.1\r\n"
    "Host: www.example.com\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 "
    "Firefox/120.0\r\n"
    "Accept: text/html,application/xhtml+xml,*/*;q=0.8\r\n"
    "Accept-Language: en-US,en;q=0.5\r\n"
    "Accept-Encoding: gzip, deflate, br\r\n"
    "Connection: keep-alive\r\n"
    "\r\n";

/* picohttpparser's benchmark request (705 bytes, long cookie). */
static const char big[] =
    "GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n"
    "Host: www.kittyhell.com\r\n"
    "User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10_6_3; ja-JP-mac; "
    "rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n"
    "Accept-Encoding: gzip,deflate\r\n"
    "Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n"
    "Keep-Alive: 115\r\n"
    "Connection: keep-alive\r\n"
    "Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; "
    "__utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; "
    "__utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com"
    "|utmcct=/reader/|utmcmd=referral\r\n"
    "\r\n";

static void run(const char *req, size_t len) {
  eddy_http_header_t h[100];
  eddy_http_request_t r;
  const int n = 2000000;
  long sum = 0;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < n; i++) {
    __asm__ volatile("" ::: "memory");
    sum += eddy_http_parse_request(req, len, &r, h, 100, 0, NULL);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
  printf("%zu-byte request: %.1f ns/parse (%.2f GB/s), result %ld\n", len, ns,
         len / ns, sum / n);
}

int main(void) {
  run(small, sizeof small - 1);
  run(big, sizeof big - 1);
  return 0;
}

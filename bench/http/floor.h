/*
 * What both floors (floor.c on epoll, floor_uring.c on io_uring) do with
 * the bytes: count the requests ("\r\n\r\n") and write as many fixed
 * responses. Nothing else: no parsing, no headers, no timeouts.
 */
#ifndef EDDY_BENCH_FLOOR_H
#define EDDY_BENCH_FLOOR_H

#include <stddef.h>
#include <string.h>

static const char resp[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n"
    "Hello, World!";

/* Requests ended in buf[0, n); *matched carries a split "\r\n\r\n" (0..3
 * bytes matched) from one read to the next. */
static int count_requests(unsigned char *matched, const char *buf, long n) {
  static const char end[] = "\r\n\r\n";
  int found = 0;
  unsigned m = *matched;
  for (long i = 0; i < n; i++) {
    if (buf[i] == end[m]) {
      if (++m == 4) { found++; m = 0; }
    } else {
      m = buf[i] == '\r' ? 1 : 0;
    }
  }
  *matched = (unsigned char)m;
  return found;
}

/* Writes k responses into out (as many as fit in cap); returns the length. */
static size_t fill_responses(char *out, size_t cap, int k) {
  size_t len = 0;
  for (int i = 0; i < k && len + sizeof(resp) < cap; i++) {
    memcpy(out + len, resp, sizeof(resp) - 1);
    len += sizeof(resp) - 1;
  }
  return len;
}

#endif

/*
 * The Date header value: formatted at most once per second per thread and
 * cached, since every response carries it.
 */
#include <string.h>
#include <time.h>

#include "http/conn.h"

static const char days[] = "SunMonTueWedThuFriSat";
static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

static void two(char *p, int v) {
  p[0] = (char)('0' + v / 10 % 10);
  p[1] = (char)('0' + v % 10);
}

void eddy_http_date(long long t, char out[30]) {
  time_t tt = (time_t)t;
  struct tm tm;
  /* A year past 9999 does not fit the format, and one past INT_MAX makes
   * gmtime_r fail and leave tm unset: both give the epoch. */
  if (!gmtime_r(&tt, &tm) || tm.tm_year > 9999 - 1900 || tm.tm_year < -1900)
    gmtime_r(&(time_t){0}, &tm);
  memcpy(out, days + 3 * tm.tm_wday, 3);
  memcpy(out + 3, ", ", 2);
  two(out + 5, tm.tm_mday);
  out[7] = ' ';
  memcpy(out + 8, months + 3 * tm.tm_mon, 3);
  out[11] = ' ';
  int y = tm.tm_year + 1900;
  two(out + 12, y / 100);
  two(out + 14, y % 100);
  out[16] = ' ';
  two(out + 17, tm.tm_hour);
  out[19] = ':';
  two(out + 20, tm.tm_min);
  out[22] = ':';
  two(out + 23, tm.tm_sec);
  memcpy(out + 25, " GMT", 5); /* includes the NUL */
}

/* Per thread: each loop thread has its own cache, no locking. */
static _Thread_local char cached[30];
static _Thread_local long long cached_sec = -1;

const char *eddy__http_date_now(eddy_loop_t *loop) {
  (void)loop;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  if (ts.tv_sec != cached_sec) {
    cached_sec = ts.tv_sec;
    eddy_http_date(ts.tv_sec, cached);
  }
  return cached;
}

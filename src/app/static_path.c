/*
 * The static server's path resolver: URL path -> a path relative to the
 * root, refusing every form of escape before the kernel sees it. Each
 * segment is decoded on its own (so "%2f" cannot make a separator and
 * "%2e%2e" is seen as ".."); RESOLVE_BENEATH in static.c is the second
 * wall, for symlinks.
 */
#include <errno.h>
#include <string.h>

#include "eddy/static.h"

/* Decodes one segment into out[o..]; returns the new `o` or -status. */
static ssize_t put_segment(const char *seg, size_t n, char *out, size_t o,
                           size_t cap, eddy_static_dotfiles_t dot) {
  if (o + n + 2 > cap) return -414; /* decoding never grows a segment */
  ssize_t d = eddy_http_url_decode(seg, n, out + o, 0);
  if (d < 0) return -400;
  char *s = out + o;
  /* A raw NUL would cut the C string handed to openat2 (the HTTP parser
   * refuses it, but the resolver does not rely on its caller). */
  if (memchr(s, '/', (size_t)d) || memchr(s, '\\', (size_t)d) ||
      memchr(s, '\0', (size_t)d))
    return -400;
  if (d == 0 || (d == 1 && s[0] == '.')) return (ssize_t)o; /* dropped */
  if (d == 2 && s[0] == '.' && s[1] == '.') return -403;
  if (s[0] == '.' && dot != EDDY_STATIC_DOT_ALLOW)
    return dot == EDDY_STATIC_DOT_DENY ? -403 : -404;
  o += (size_t)d;
  out[o++] = '/';
  return (ssize_t)o;
}

ssize_t eddy_static_path(const char *path, size_t len, char *out, size_t cap,
                         eddy_static_dotfiles_t dotfiles) {
  if (cap == 0) return -414;
  size_t i = 0, o = 0;
  while (i < len) {
    const char *slash = memchr(path + i, '/', len - i);
    size_t n = slash ? (size_t)(slash - (path + i)) : len - i;
    ssize_t r = put_segment(path + i, n, out, o, cap, dotfiles);
    if (r < 0) return r;
    o = (size_t)r;
    i += n + 1;
  }
  /* Every kept segment left a '/': drop the last one unless the URL
   * itself ended in '/' (a directory request). */
  int dir = len > 0 && path[len - 1] == '/';
  if (o > 0 && !dir) o--;
  out[o] = '\0';
  return (ssize_t)o;
}

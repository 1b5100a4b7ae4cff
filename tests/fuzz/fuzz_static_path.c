/* Fuzzes the static server's path resolver: no crash, and whatever it
 * accepts stays below the root: relative, no "." or ".." segment, no empty
 * segment, no NUL or '\', no dotfile unless allowed, and resolving the
 * result again gives itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/static.h"

static void check(const char *p, size_t n, eddy_static_dotfiles_t dot) {
  if (n > 0 && p[0] == '/') abort();
  if (memchr(p, '\0', n) || memchr(p, '\\', n)) abort();
  size_t i = 0;
  while (i < n) {
    const char *s = memchr(p + i, '/', n - i);
    size_t len = s ? (size_t)(s - (p + i)) : n - i;
    if (len == 0) abort(); /* "//" */
    if (p[i] == '.') {
      if (len == 1 || (len == 2 && p[i + 1] == '.')) abort(); /* . and .. */
      if (dot != EDDY_STATIC_DOT_ALLOW) abort();              /* dotfile */
    }
    i += len + 1;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const eddy_static_dotfiles_t modes[] = {
      EDDY_STATIC_DOT_IGNORE, EDDY_STATIC_DOT_DENY, EDDY_STATIC_DOT_ALLOW};
  char *out = malloc(size + 2), *again = malloc(size + 2);
  if (!out || !again) abort();
  for (int m = 0; m < 3; m++) {
    ssize_t n = eddy_static_path((const char *)data, size, out, size + 2,
                                 modes[m]);
    if (n < 0) {
      if (n != -400 && n != -403 && n != -404 && n != -414) abort();
      continue;
    }
    if ((size_t)n > size || out[n] != '\0') abort();
    check(out, (size_t)n, modes[m]);
    /* Stable: the result is a path that resolves to itself (a '%' in a
     * name would be decoded again, so only check when there is none). */
    if (memchr(out, '%', (size_t)n)) continue;
    ssize_t k = eddy_static_path(out, (size_t)n, again, size + 2, modes[m]);
    if (k != n || memcmp(out, again, (size_t)n) != 0) abort();
  }
  free(out);
  free(again);
  return 0;
}

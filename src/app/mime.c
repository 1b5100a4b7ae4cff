/* Media types by file extension: the common web types (the subset of
 * mime-db that Express's `send` meets in practice). */
#include <string.h>
#include <strings.h>

#include "app/static.h"

static const struct {
  const char *ext;
  const char *type;
} types[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"csv", "text/csv; charset=utf-8"},
    {"xml", "application/xml"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"avif", "image/avif"},
    {"ico", "image/x-icon"},
    {"woff", "font/woff"},
    {"woff2", "font/woff2"},
    {"ttf", "font/ttf"},
    {"otf", "font/otf"},
    {"wasm", "application/wasm"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"tar", "application/x-tar"},
    {"mp4", "video/mp4"},
    {"webm", "video/webm"},
    {"mp3", "audio/mpeg"},
    {"ogg", "audio/ogg"},
    {"wav", "audio/wav"},
    {"bin", "application/octet-stream"},
};

const char *eddy_mime_type(const char *name, size_t len) {
  size_t i = len;
  while (i > 0 && name[i - 1] != '.' && name[i - 1] != '/') i--;
  if (i == 0 || name[i - 1] != '.') return "application/octet-stream";
  const char *ext = name + i;
  size_t n = len - i;
  for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
    if (strlen(types[k].ext) == n && strncasecmp(types[k].ext, ext, n) == 0)
      return types[k].type;
  return "application/octet-stream";
}

/* Content types by extension (the common ones of the web), res.type. */
#include <string.h>
#include <strings.h>

#include "app/app_int.h"

static const struct {
  const char *ext, *type;
} types[] = {
    {"html", "text/html; charset=utf-8"},
    {"htm", "text/html; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"json", "application/json"},
    {"map", "application/json"},
    {"txt", "text/plain; charset=utf-8"},
    {"text", "text/plain; charset=utf-8"},
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
    {"ico", "image/vnd.microsoft.icon"},
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
    {"form", "application/x-www-form-urlencoded"},
    {"urlencoded", "application/x-www-form-urlencoded"},
    {"bin", "application/octet-stream"},
};

static const char *by_ext(const char *ext) {
  for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
    if (!strcasecmp(types[i].ext, ext)) return types[i].type;
  return NULL;
}

const char *eddy_app_mime_type(const char *path) {
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  const char *dot = strrchr(base, '.');
  const char *t = dot ? by_ext(dot + 1) : NULL;
  return t ? t : "application/octet-stream";
}

int eddy_app_res_type(eddy_app_res_t *res, const char *type) {
  if (!type) return -EINVAL;
  if (strchr(type, '/')) return eddy_app_res_set(res, "Content-Type", type);
  const char *t = by_ext(type[0] == '.' ? type + 1 : type);
  return eddy_app_res_set(res, "Content-Type",
                          t ? t : "application/octet-stream");
}

/*
 * Installing like a C library: `make install` into a temporary prefix, then
 * a program outside the tree built with `pkg-config --cflags --libs eddy`,
 * linked shared (run with LD_LIBRARY_PATH) and static (--static, -static),
 * and `eddy --version` against eddy.pc's version; a DESTDIR install into a
 * staging directory, and `make uninstall` leaving nothing behind.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The test's temporary directory, removed whatever the outcome. */
static char tmp[64];
static void remove_tmp(void) {
  char cmd[128];
  if (!tmp[0]) return;
  snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
  if (system(cmd) != 0) cr_log_warn("could not remove %s", tmp);
}

TestSuite(install, .timeout = 240, .fini = remove_tmp);

/* Runs a shell command (printf-style) in a clean make environment, its
 * output (stdout and stderr) into out; returns the exit status. */
static int sh(char *out, size_t max, const char *fmt, ...) {
  char cmd[4096];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cmd, sizeof(cmd), fmt, ap);
  va_end(ap);
  char full[4200];
  /* The outer make's jobserver and variables must not leak into ours, and
   * two tests must not build the same release files at once (flock). */
  snprintf(full, sizeof(full),
           "unset MAKEFLAGS MFLAGS MAKELEVEL; exec 2>&1; "
           "make() { flock /tmp/eddy-install.lock make \"$@\"; }; %s",
           cmd);
  FILE *p = popen(full, "r");
  cr_assert(p, "popen: %s", cmd);
  size_t n = fread(out, 1, max - 1, p);
  out[n] = 0;
  int st = pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *root(void) {
  const char *r = getenv("EDDY_ROOT");
  cr_assert_not_null(r, "EDDY_ROOT is not set (make test sets it)");
  return r;
}

/* An out-of-tree program: a timer on a loop, a histogram (libm), the
 * library's version and an error name. */
static const char program[] =
    "#include <eddy.h>\n"
    "#include <stdio.h>\n"
    "#include <string.h>\n"
    "static int fired;\n"
    "static void on_timer(eddy_timer_t *t) { fired = 1; }\n"
    "int main(void) {\n"
    "  eddy_loop_t loop;\n"
    "  eddy_timer_t timer;\n"
    "  eddy_hist_t h;\n"
    "  eddy_hist_stats_t st;\n"
    "  if (eddy_loop_init(&loop)) return 1;\n"
    "  eddy_timer_init(&loop, &timer);\n"
    "  eddy_timer_start(&timer, on_timer, 1, 0);\n"
    "  eddy_run(&loop, EDDY_RUN_DEFAULT);\n"
    "  eddy_close(EDDY_HANDLE(&timer), NULL);\n"
    "  eddy_run(&loop, EDDY_RUN_DEFAULT);\n"
    "  eddy_hist_reset(&h);\n"
    "  eddy_hist_record(&h, 3);\n"
    "  eddy_hist_record(&h, 5);\n"
    "  eddy_hist_stats(&h, &st);\n"
    "  if (strcmp(eddy_version(), EDDY_VERSION)) return 2;\n"
    "  printf(\"fired=%d stddev=%.0f %s %s\\n\", fired, st.stddev,\n"
    "         eddy_err_name(EDDY_EQUEUEFULL), eddy_version());\n"
    "  return eddy_loop_close(&loop);\n"
    "}\n";

static void write_program(const char *dir) {
  char path[256];
  snprintf(path, sizeof(path), "%s/prog.c", dir);
  FILE *f = fopen(path, "w");
  cr_assert(f && fputs(program, f) >= 0);
  fclose(f);
}

Test(install, prefix_pkg_config_shared_and_static) {
  static char out[65536], version[64], want[128];
  snprintf(tmp, sizeof(tmp), "/tmp/eddy-install-XXXXXX");
  cr_assert(mkdtemp(tmp));
  int rc = sh(out, sizeof(out),
              "make -s -C %s MODE=release install PREFIX=%s/usr", root(), tmp);
  cr_assert_eq(rc, 0, "make install: %s", out);
  write_program(tmp);
  const char *pc = "PKG_CONFIG_PATH=%s/usr/lib/pkgconfig";
  char env[512];
  snprintf(env, sizeof(env), pc, tmp);

  cr_assert_eq(sh(version, sizeof(version), "%s pkg-config --modversion eddy",
                  env),
               0, "%s", version);
  version[strcspn(version, "\n")] = 0;
  cr_assert_neq(version[0], 0);
  snprintf(want, sizeof(want), "fired=1 stddev=1 EDDY_EQUEUEFULL %s\n",
           version);

  /* Shared: the program needs libeddy.so.0 (the soname) at run time. */
  rc = sh(out, sizeof(out),
          "cd %s && %s; export PKG_CONFIG_PATH; "
          "cc prog.c -o prog_shared $(pkg-config --cflags --libs eddy) && "
          "readelf -d prog_shared | grep -q 'NEEDED.*\\[libeddy.so.0\\]' && "
          "LD_LIBRARY_PATH=%s/usr/lib ./prog_shared",
          tmp, env, tmp);
  cr_assert_eq(rc, 0, "shared: %s", out);
  cr_assert_str_eq(out, want);

  /* Static: --static adds Libs.private (-pthread -lm ...); no libeddy.so. */
  rc = sh(out, sizeof(out),
          "cd %s && %s; export PKG_CONFIG_PATH; "
          "cc -static prog.c -o prog_static "
          "$(pkg-config --static --cflags --libs eddy) && "
          "! readelf -d prog_static | grep -q libeddy && ./prog_static",
          tmp, env);
  cr_assert_eq(rc, 0, "static: %s", out);
  cr_assert_str_eq(out, want);

  /* The command prints the version eddy.pc carries. */
  rc = sh(out, sizeof(out), "%s/usr/bin/eddy --version", tmp);
  snprintf(want, sizeof(want), "eddy %s\n", version);
  cr_assert_eq(rc, 0);
  cr_assert_str_eq(out, want);

  rc = sh(out, sizeof(out),
          "make -s -C %s MODE=release uninstall PREFIX=%s/usr && "
          "test -z \"$(find %s/usr -type f -o -type l)\"",
          root(), tmp, tmp);
  cr_assert_eq(rc, 0, "uninstall left: %s", out);
}

/* DESTDIR stages the files under a directory while eddy.pc names the final
 * prefix; the soname links are relative, so they hold after the move. */
Test(install, destdir_stages_and_uninstall_removes_everything) {
  static char out[65536];
  snprintf(tmp, sizeof(tmp), "/tmp/eddy-stage-XXXXXX");
  cr_assert(mkdtemp(tmp));
  int rc = sh(out, sizeof(out),
              "make -s -C %s MODE=release install DESTDIR=%s PREFIX=/opt/eddy",
              root(), tmp);
  cr_assert_eq(rc, 0, "make install: %s", out);
  rc = sh(out, sizeof(out),
          "cd %s/opt/eddy && grep -qx 'prefix=/opt/eddy' lib/pkgconfig/eddy.pc "
          "&& test \"$(readlink lib/libeddy.so)\" = libeddy.so.0 "
          "&& readlink lib/libeddy.so.0 && test -f include/eddy.h "
          "&& test -f include/eddy/loop.h && test -x bin/eddy "
          "&& test -f lib/libeddy.a",
          tmp);
  cr_assert_eq(rc, 0, "staged files: %s", out);
  cr_assert(!strncmp(out, "libeddy.so.0.", 13), "libeddy.so.0 -> %s", out);
  rc = sh(out, sizeof(out),
          "make -s -C %s MODE=release uninstall DESTDIR=%s PREFIX=/opt/eddy && "
          "find %s -type f -o -type l",
          root(), tmp, tmp);
  cr_assert_eq(rc, 0, "%s", out);
  cr_assert_str_eq(out, "", "uninstall left: %s", out);
}

/* The runner behind tests/tsan/criterion/criterion.h: forks each test,
 * enforces its timeout, prints Criterion's synthesis line. */
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criterion/criterion.h"

#define EXIT_SKIPPED 77

static struct tr_test *head, **tail = &head;
static struct tr_suite *suites;

void tr_register_suite(struct tr_suite *s) {
  s->next = suites;
  suites = s;
}

/* Fills the options a test left unset from its suite's. */
static void inherit_suite(struct tr_test *t) {
  for (struct tr_suite *s = suites; s; s = s->next) {
    if (strcmp(s->name, t->suite) != 0) continue;
    if (!t->opts.timeout) t->opts.timeout = s->opts.timeout;
    if (!t->opts.init) t->opts.init = s->opts.init;
    if (!t->opts.fini) t->opts.fini = s->opts.fini;
  }
}

void tr_register(struct tr_test *t) {
  *tail = t;
  tail = &t->next;
}

void tr_fail(const char *file, int line, const char *expr, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "[----] %s:%d: Assertion failed: %s ", file, line, expr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  _exit(1);
}

void tr_skip(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "[SKIP] ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(EXIT_SKIPPED);
}

void tr_log(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "[----] ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* 0 pass, 1 fail, 2 crash, 3 skipped. */
static int run_one(struct tr_test *t) {
  inherit_suite(t);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(t->opts.timeout > 0 ? (unsigned)t->opts.timeout + 1 : 60);
    if (t->opts.init) t->opts.init();
    t->fn();
    if (t->opts.fini) t->opts.fini();
    exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    if (code == EXIT_SKIPPED) return 3;
    return code == t->opts.exit_code ? 0 : 1;
  }
  if (t->opts.signal && WTERMSIG(status) == t->opts.signal) return 0;
  fprintf(stderr, "[----] %s::%s: %s\n", t->suite, t->name, strsignal(WTERMSIG(status)));
  return 2;
}

int main(int argc, char **argv) {
  const char *filter = NULL;
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--filter=", 9) == 0) filter = argv[i] + 9;
    else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc) filter = argv[++i];
  }
  int tested = 0, counts[4] = {0};
  for (struct tr_test *t = head; t; t = t->next) {
    char full[256];
    snprintf(full, sizeof(full), "%s/%s", t->suite, t->name);
    if (t->opts.disabled || (filter && fnmatch(filter, full, FNM_EXTMATCH))) continue;
    int r = run_one(t);
    if (r == 3) {
      counts[3]++;
      continue;
    }
    tested++;
    counts[r]++;
    static const char *tag[] = {"PASS", "FAIL", "CRASH"};
    fprintf(stderr, "[%s] %s::%s\n", tag[r], t->suite, t->name);
  }
  fprintf(stderr, "[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: %d | Skipped: %d\n",
          tested, counts[0], counts[1], counts[2], counts[3]);
  return counts[1] || counts[2] ? 1 : 0;
}

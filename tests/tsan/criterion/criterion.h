/*
 * A minimal stand-in for Criterion, used only by `make tsan`: Criterion
 * itself aborts under ThreadSanitizer ("Could not initialize inheritable
 * arena", Snaipe/Criterion#274). It covers the subset eddy's tests use:
 * Test() with .timeout, the cr_assert family, cr_log_info and cr_skip.
 * Each test runs in its own forked process, as under Criterion.
 */
#ifndef EDDY_TSAN_CRITERION_H
#define EDDY_TSAN_CRITERION_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct tr_opts {
  double timeout;
  int exit_code;
  int signal;
  bool disabled;
  const char *description;
  void (*init)(void);
  void (*fini)(void);
};

struct tr_test {
  const char *suite;
  const char *name;
  void (*fn)(void);
  struct tr_opts opts;
  struct tr_test *next;
};

struct tr_suite {
  const char *name;
  struct tr_opts opts;
  struct tr_suite *next;
};

void tr_register(struct tr_test *t);
void tr_register_suite(struct tr_suite *s);
void tr_fail(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));
void tr_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void tr_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define Test(suite, name, ...)                                                \
  static void suite##_##name##_impl(void);                                    \
  __attribute__((constructor)) static void suite##_##name##_reg(void) {       \
    static struct tr_test t = {#suite, #name, suite##_##name##_impl,          \
                               {__VA_ARGS__}, NULL};                          \
    tr_register(&t);                                                          \
  }                                                                           \
  static void suite##_##name##_impl(void)

/* Suite options (.init, .fini, .timeout) apply to its tests that lack them. */
#define TestSuite(suite, ...)                                                 \
  __attribute__((constructor)) static void suite##_suite_reg(void) {          \
    static struct tr_suite s = {#suite, {__VA_ARGS__}, NULL};                 \
    tr_register_suite(&s);                                                    \
  }

#define TR_CHECK(cond, text, ...)                                             \
  do {                                                                        \
    if (!(cond)) tr_fail(__FILE__, __LINE__, text, "" __VA_ARGS__);           \
  } while (0)

#define cr_assert(c, ...) TR_CHECK(c, #c, ##__VA_ARGS__)
#define cr_assert_not(c, ...) TR_CHECK(!(c), "!" #c, ##__VA_ARGS__)
#define cr_expect(c, ...) cr_assert(c, ##__VA_ARGS__)
#define cr_assert_eq(a, b, ...) TR_CHECK((a) == (b), #a " == " #b, ##__VA_ARGS__)
#define cr_assert_neq(a, b, ...) TR_CHECK((a) != (b), #a " != " #b, ##__VA_ARGS__)
#define cr_assert_lt(a, b, ...) TR_CHECK((a) < (b), #a " < " #b, ##__VA_ARGS__)
#define cr_assert_leq(a, b, ...) TR_CHECK((a) <= (b), #a " <= " #b, ##__VA_ARGS__)
#define cr_assert_gt(a, b, ...) TR_CHECK((a) > (b), #a " > " #b, ##__VA_ARGS__)
#define cr_assert_geq(a, b, ...) TR_CHECK((a) >= (b), #a " >= " #b, ##__VA_ARGS__)
#define cr_assert_null(a, ...) TR_CHECK((a) == NULL, #a " == NULL", ##__VA_ARGS__)
#define cr_assert_not_null(a, ...) TR_CHECK((a) != NULL, #a " != NULL", ##__VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) TR_CHECK(strcmp((a), (b)) == 0, #a " == " #b, ##__VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) TR_CHECK(strcmp((a), (b)) != 0, #a " != " #b, ##__VA_ARGS__)
#define cr_assert_float_eq(a, b, eps, ...)                                    \
  TR_CHECK((a) - (b) <= (eps) && (b) - (a) <= (eps), #a " ~= " #b, ##__VA_ARGS__)
#define cr_assert_fail(...) tr_fail(__FILE__, __LINE__, "fail", "" __VA_ARGS__)
#define cr_log_info(...) tr_log(__VA_ARGS__)
#define cr_log_warn(...) tr_log(__VA_ARGS__)
#define cr_skip(...) tr_skip("" __VA_ARGS__)
#define cr_skip_test(...) tr_skip("" __VA_ARGS__)

#endif

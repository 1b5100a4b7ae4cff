/*
 * Helpers shared by the unit tests. Each test ends with close_loop(), which
 * closes every handle, runs the close callbacks and asserts that
 * eddy_loop_close() succeeds (libuv's MAKE_VALGRIND_HAPPY), then checks
 * for leaks: Criterion does not fail a test that leaks at exit.
 */
#ifndef EDDY_TEST_LOOP_HELPERS_H
#define EDDY_TEST_LOOP_HELPERS_H

#include <criterion/criterion.h>

#include "eddy.h"

/* Closes every open handle, runs the loop dry and closes it; asserts 0. */
void close_loop(eddy_loop_t *loop);

/* Fails the test if LeakSanitizer finds unreachable memory now. */
void assert_no_leaks(void);

/* Milliseconds of a fresh monotonic reading. */
uint64_t now_ms(void);

#endif

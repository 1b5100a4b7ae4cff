/*
 * eddy — its version, kept here and nowhere else: the Makefile reads the
 * three numbers below for the shared library's names (libeddy.so.MAJOR,
 * libeddy.so.MAJOR.MINOR.PATCH), for eddy.pc, and `eddy --version` prints
 * eddy_version(). The major number changes when the ABI breaks.
 */
#ifndef EDDY_VERSION_H
#define EDDY_VERSION_H

#include "eddy/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EDDY_VERSION_MAJOR 0
#define EDDY_VERSION_MINOR 1
#define EDDY_VERSION_PATCH 0

/* "MAJOR.MINOR.PATCH" of the headers a program was compiled with. */
/* clang-format off */
#define EDDY_VERSION                                                         \
  EDDY__VERSION_STR(EDDY_VERSION_MAJOR) "."                                  \
  EDDY__VERSION_STR(EDDY_VERSION_MINOR) "."                                  \
  EDDY__VERSION_STR(EDDY_VERSION_PATCH)
/* clang-format on */
#define EDDY__VERSION_STR(n) EDDY__VERSION_STR2(n)
#define EDDY__VERSION_STR2(n) #n

/*
 * The version of the library linked at run time ("0.1.0"), which may differ
 * from EDDY_VERSION when a program runs against another libeddy.so. Static
 * string; any thread.
 */
EDDY_EXTERN const char *eddy_version(void);

#ifdef __cplusplus
}
#endif
#endif

/*
 * eddy — a memcached client (text protocol) on eddy's own TCP streams.
 *
 * Commands are pipelined: they are written one after another on one
 * connection without waiting, and the answers, which memcached sends in
 * order, are matched to them first in first out. Connections come from the
 * resource pool (eddy/respool.h): the client borrows one while commands are
 * in flight and gives it back when it goes quiet. A server that goes away
 * fails the commands in flight with -ECONNRESET (each exactly once); the
 * next command reconnects, and fails with -ECONNREFUSED while the server
 * is down.
 *
 * Statuses (the callback's `status`, or a function's return value):
 *   0               done (get: found; incr: res->number holds the result)
 *   -ENOENT         get, delete, incr: no such key
 *   -EEXIST         add: the key exists (memcached's NOT_STORED)
 *   -EINVAL         a bad key (empty, over 250 bytes, spaces or control
 *                   bytes) or value (over 1 MiB), refused before sending;
 *                   or the server's CLIENT_ERROR (incr of a non-number)
 *   -EIO            the server's SERVER_ERROR (out of memory...)
 *   -EPROTO         an answer eddy cannot parse (the connection is dropped)
 *   -ECONNRESET, -ECONNREFUSED   the server went away / is not there
 *   -ECANCELED      the client was closed before the command was sent
 *
 * Threads: a client belongs to the loop it was opened on; call everything
 * on that thread; callbacks run there, never inside the call that
 * scheduled them; a function that returns an error never calls back.
 */
#ifndef EDDY_MEMCACHE_H
#define EDDY_MEMCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "eddy/loop.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eddy_mc_s eddy_mc_t;

/*
 * The outcome of one command, library-owned, valid until the callback
 * returns. `data` is the user's pointer; the rest is read-only.
 */
typedef struct {
  void *data;
  eddy_mc_t *mc;
  const char *value; /* get: the value's bytes (NUL after them), else NULL */
  size_t len;
  uint32_t flags;      /* get: the flags stored with the value */
  uint64_t number;     /* incr: the new value */
  const char *message; /* the server's error text, or "" */
} eddy_mc_result_t;

typedef void (*eddy_mc_cb)(eddy_mc_result_t *res, int status);
typedef void (*eddy_mc_close_cb)(eddy_mc_t *mc);

/* Options; zero fields take the defaults. */
typedef struct {
  unsigned max_conns; /* connections at most (default 1: one pipeline) */
  unsigned idle_ms;   /* close a quiet connection after this (30000) */
} eddy_mc_options_t;

/*
 * Opens a client of the server at `addr`: "IP:PORT", "[IPv6]:PORT" or
 * "localhost:PORT" (numeric only: no DNS on the loop). Connects lazily, with
 * the first command. Returns 0, -EINVAL (bad address), -ENOMEM. Loop thread.
 */
EDDY_EXTERN int eddy_mc_open(eddy_loop_t *loop, const char *addr,
                             const eddy_mc_options_t *opts, eddy_mc_t **out);

/* get: `cb` gets the value (0) or -ENOENT. Key and value are copied. */
EDDY_EXTERN int eddy_mc_get(eddy_mc_t *mc, const char *key, size_t klen,
                            eddy_mc_cb cb, void *data);

/*
 * set: stores the value with `flags`, expiring after `exptime` seconds (0:
 * never; memcached takes values above 30 days as a Unix time).
 */
EDDY_EXTERN int eddy_mc_set(eddy_mc_t *mc, const char *key, size_t klen,
                            const void *value, size_t vlen, uint32_t flags,
                            uint32_t exptime, eddy_mc_cb cb, void *data);

/* add: as set, but only if the key is absent (else -EEXIST). */
EDDY_EXTERN int eddy_mc_add(eddy_mc_t *mc, const char *key, size_t klen,
                            const void *value, size_t vlen, uint32_t flags,
                            uint32_t exptime, eddy_mc_cb cb, void *data);

/* delete: 0, or -ENOENT. */
EDDY_EXTERN int eddy_mc_delete(eddy_mc_t *mc, const char *key, size_t klen,
                               eddy_mc_cb cb, void *data);

/* incr: adds `delta` to a decimal value; res->number is the result. */
EDDY_EXTERN int eddy_mc_incr(eddy_mc_t *mc, const char *key, size_t klen,
                             uint64_t delta, eddy_mc_cb cb, void *data);

/*
 * Closes: commands not yet sent fail with -ECANCELED, commands in flight
 * get their answers, then the connections close and `cb` (may be NULL)
 * runs; the client is freed after it. -EINVAL if already closing.
 */
EDDY_EXTERN int eddy_mc_close(eddy_mc_t *mc, eddy_mc_close_cb cb);

#ifdef __cplusplus
}
#endif
#endif

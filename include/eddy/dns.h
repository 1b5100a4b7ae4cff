/*
 * eddy — name resolution on the thread pool.
 *
 * getaddrinfo(3) blocks, so eddy runs it on the pool's slow class, which
 * may occupy at most half of the pool's threads: a slow or dead DNS server
 * cannot starve file I/O. The callback runs on the submitting loop's thread.
 *
 * Errors are negative errno values, mapped from getaddrinfo's EAI_* codes:
 *
 *   EAI_NONAME            -ENOENT           no such host or service name
 *   EAI_NODATA,
 *   EAI_ADDRFAMILY        -ENODATA          the host has no address (of
 *                                           the family asked for)
 *   EAI_AGAIN             -EAGAIN           temporary failure, try later
 *   EAI_FAIL              -EIO              permanent resolver failure
 *   EAI_MEMORY            -ENOMEM
 *   EAI_FAMILY            -EAFNOSUPPORT     bad hints->ai_family
 *   EAI_SOCKTYPE          -ESOCKTNOSUPPORT  bad hints->ai_socktype
 *   EAI_SERVICE           -EPROTONOSUPPORT  service not known for socktype
 *   EAI_BADFLAGS          -EINVAL           bad hints->ai_flags
 *   EAI_OVERFLOW          -EOVERFLOW
 *   EAI_SYSTEM            -errno            the system error behind it
 *   cancelled             -ECANCELED        eddy_getaddrinfo_cancel()
 *   anything else         -EIO
 */
#ifndef EDDY_DNS_H
#define EDDY_DNS_H

#include <netdb.h>

#include "eddy/loop.h"
#include "eddy/threadpool.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eddy_getaddrinfo_s eddy_getaddrinfo_t;

/* Runs on the loop thread; status 0 or a negative errno (table above). */
typedef void (*eddy_getaddrinfo_cb)(eddy_getaddrinfo_t *req, int status);

/*
 * A resolution request. Caller-owned; it must stay valid until its callback
 * has run, then be released with eddy_getaddrinfo_cleanup().
 */
struct eddy_getaddrinfo_s {
  void *data;
  eddy_loop_t *loop;         /* read-only */
  struct addrinfo *addrinfo; /* result list, owned by the request */
  /* private */
  eddy_getaddrinfo_cb _cb;
  eddy_work_t _work;
  char *_names; /* host and service copies, one block */
  const char *_host;
  const char *_service;
  struct addrinfo _hints;
  int _has_hints;
  int _status;
};

/*
 * Resolves `host` and/or `service` (either may be NULL, not both) with
 * optional `hints` (copied; NULL = any family, any socket type), then calls
 * `cb(req, status)` on the loop with the result in req->addrinfo. The
 * strings are copied. Returns 0; -EINVAL for a NULL loop, req or cb, or
 * both names NULL; -ENOMEM; or an error of eddy_queue_work(), in which case
 * cb is never called. Loop thread only.
 */
EDDY_EXTERN int eddy_getaddrinfo(eddy_loop_t *loop, eddy_getaddrinfo_t *req,
                                 const char *host, const char *service,
                                 const struct addrinfo *hints,
                                 eddy_getaddrinfo_cb cb);

/*
 * Cancels a resolution that has not started: cb runs later with
 * -ECANCELED. -EBUSY if it has started. Loop thread only.
 */
EDDY_EXTERN int eddy_getaddrinfo_cancel(eddy_getaddrinfo_t *req);

/*
 * Hands the result list over to the caller (the request forgets it); free
 * it with eddy_freeaddrinfo(). NULL if there is none.
 */
EDDY_EXTERN struct addrinfo *eddy_getaddrinfo_take(eddy_getaddrinfo_t *req);

/* Frees a list taken with eddy_getaddrinfo_take(); NULL is a no-op. */
EDDY_EXTERN void eddy_freeaddrinfo(struct addrinfo *ai);

/* Frees what the request owns (its result list). Idempotent. */
EDDY_EXTERN void eddy_getaddrinfo_cleanup(eddy_getaddrinfo_t *req);

#ifdef __cplusplus
}
#endif
#endif

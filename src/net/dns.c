/*
 * getaddrinfo on the thread pool's slow class. The names are copied into
 * one block at submit time and freed before the callback, so the request
 * owns nothing but its result list by the time the user sees it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "core/threadpool.h"
#include "eddy/dns.h"

/* EAI_* to a negative errno; the table is documented in dns.h. */
static int eai_to_errno(int eai, int sys_errno) {
  switch (eai) {
  case 0: return 0;
  case EAI_NONAME: return -ENOENT;
  case EAI_NODATA:
  case EAI_ADDRFAMILY: return -ENODATA;
  case EAI_AGAIN: return -EAGAIN;
  case EAI_FAIL: return -EIO;
  case EAI_MEMORY: return -ENOMEM;
  case EAI_FAMILY: return -EAFNOSUPPORT;
  case EAI_SOCKTYPE: return -ESOCKTNOSUPPORT;
  case EAI_SERVICE: return -EPROTONOSUPPORT;
  case EAI_BADFLAGS: return -EINVAL;
  case EAI_OVERFLOW: return -EOVERFLOW;
  case EAI_SYSTEM: return sys_errno ? -sys_errno : -EIO;
  default: return -EIO;
  }
}

static void gai_work(eddy_work_t *w) {
  eddy_getaddrinfo_t *req = EDDY_CONTAINER_OF(w, eddy_getaddrinfo_t, _work);
  errno = 0;
  int eai = getaddrinfo(req->_host, req->_service,
                        req->_has_hints ? &req->_hints : NULL, &req->addrinfo);
  req->_status = eai_to_errno(eai, errno);
  if (eai) req->addrinfo = NULL;
}

static void gai_done(eddy_work_t *w, int status) {
  eddy_getaddrinfo_t *req = EDDY_CONTAINER_OF(w, eddy_getaddrinfo_t, _work);
  free(req->_names);
  req->_names = NULL;
  req->_host = req->_service = NULL;
  if (status == -ECANCELED) req->_status = status;
  eddy__dispatch(req->loop, "getaddrinfo");
  req->_cb(req, req->_status);
}

/* Copies host and service into one block. */
static int copy_names(eddy_getaddrinfo_t *req, const char *host,
                      const char *service) {
  size_t hl = host ? strlen(host) + 1 : 0;
  size_t sl = service ? strlen(service) + 1 : 0;
  req->_names = malloc(hl + sl);
  if (req->_names == NULL) return -ENOMEM;
  if (host) req->_host = memcpy(req->_names, host, hl);
  if (service) req->_service = memcpy(req->_names + hl, service, sl);
  return 0;
}

int eddy_getaddrinfo(eddy_loop_t *loop, eddy_getaddrinfo_t *req,
                     const char *host, const char *service,
                     const struct addrinfo *hints, eddy_getaddrinfo_cb cb) {
  if (loop == NULL || req == NULL || cb == NULL ||
      (host == NULL && service == NULL))
    return -EINVAL;
  void *data = req->data;
  memset(req, 0, sizeof(*req));
  req->data = data;
  req->loop = loop;
  req->_cb = cb;
  if (hints) {
    req->_hints = *hints;
    req->_has_hints = 1;
  }
  int err = copy_names(req, host, service);
  if (!err)
    err = eddy__queue_work_class(loop, &req->_work, gai_work, gai_done,
                                 EDDY__WORK_SLOW);
  if (err) {
    free(req->_names);
    req->_names = NULL;
  }
  return err;
}

int eddy_getaddrinfo_cancel(eddy_getaddrinfo_t *req) {
  if (req == NULL) return -EINVAL;
  return eddy_cancel(&req->_work);
}

struct addrinfo *eddy_getaddrinfo_take(eddy_getaddrinfo_t *req) {
  struct addrinfo *ai = req->addrinfo;
  req->addrinfo = NULL;
  return ai;
}

void eddy_freeaddrinfo(struct addrinfo *ai) {
  if (ai) freeaddrinfo(ai);
}

void eddy_getaddrinfo_cleanup(eddy_getaddrinfo_t *req) {
  if (req == NULL) return;
  eddy_freeaddrinfo(req->addrinfo);
  req->addrinfo = NULL;
}

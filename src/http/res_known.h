/*
 * For the layers above http (the app): a header line whose name and value
 * the caller's own code spells as constants, staged without the checks of
 * eddy_http_res_set_header. Those checks (every byte of name and value
 * against its class, the server's own names) cost ~250 instructions a
 * call, as much as the rest of a small routed JSON answer's app work.
 */
#ifndef EDDY_HTTP_RES_KNOWN_H
#define EDDY_HTTP_RES_KNOWN_H

#include <stddef.h>

#include "eddy/http.h"

/*
 * As eddy_http_res_set_header(res, name, value), for a caller that
 * guarantees: `name` (nlen bytes) is a token and not one of the names the
 * server writes or refuses (Date, Server, Connection, Content-Length,
 * Transfer-Encoding), and `value` (vlen bytes) holds only field-value
 * bytes. Loop thread; 0, -ECANCELED, -EINVAL (head sent) or -ENOMEM.
 */
int eddy__http_res_set_known(eddy_http_res_t *res, const char *name,
                             size_t nlen, const char *value, size_t vlen);

#endif

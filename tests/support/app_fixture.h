/*
 * The app over real HTTP, for unit tests: an app served by an in-process
 * server on a loop thread (tsrv), and one raw `Connection: close` request
 * at a time from the test thread.
 */
#ifndef EDDY_TEST_APP_FIXTURE_H
#define EDDY_TEST_APP_FIXTURE_H

#include <stddef.h>

#include "eddy/app.h"
#include "support/httpsrv_helpers.h"

/* Serves `app` on `srv` (127.0.0.1, a free port). */
void app_fixture_start(tsrv_t *srv, eddy_app_t *app);
/* Stops the server, destroys *app and sets it to NULL. */
void app_fixture_stop(tsrv_t *srv, eddy_app_t **app);
/* One request (extra header lines, ending in CRLF, and a body may be
 * NULL); the whole response lands in out (cap bytes); returns the status,
 * 0 if there was none. */
int app_fixture_ask(int port, const char *method, const char *path,
                    const char *headers, const char *body, char *out,
                    size_t cap);
/* The body of a response in `out`, or "". */
const char *app_fixture_body(const char *out);

#endif

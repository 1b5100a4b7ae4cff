/*
 * The memcached client against a real memcached started by the test:
 * get/set with flags and expiry, add, delete, incr, a thousand pipelined
 * commands answered in order, the server going away and coming back, and
 * misuse refused without callbacks. The stall detector stays silent.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "eddy/memcache.h"
#include "support/db_helpers.h"
#include "support/fs_helpers.h"
#include "support/loop_helpers.h"
#include "support/service_helpers.h"

static void bound(void) { bound_test_time(60); }
TestSuite(memcache, .init = bound);

typedef struct {
  int done, status;
  char value[256];
  size_t len;
  uint32_t flags;
  uint64_t number;
} mres_t;

static void on_mc(eddy_mc_result_t *res, int status) {
  mres_t *m = res->data;
  m->done = 1;
  m->status = status;
  m->len = res->len;
  m->flags = res->flags;
  m->number = res->number;
  if (res->value) snprintf(m->value, sizeof(m->value), "%s", res->value);
}

#define K(s) s, strlen(s)

/* Runs one command (issued by `call`) to its end; returns its status. */
#define MC(m, call)                                                           \
  do {                                                                        \
    memset(&(m), 0, sizeof(m));                                               \
    cr_assert_eq((call), 0);                                                  \
    cr_assert_eq((m).done, 0, "callback inside the call");                    \
    db_wait(&(m).done, 5000);                                                 \
    cr_assert((m).done, "no answer");                                         \
  } while (0)

static svc_t server;
static eddy_mc_t *mc;
static int mc_closed;
static void on_mc_closed(eddy_mc_t *c) { mc_closed = 1; }

static void mc_setup(void) {
  mc_start(&server);
  db_loop_start();
  cr_assert_eq(eddy_mc_open(&db_loop, server.url, NULL, &mc), 0);
}

static void mc_teardown(void) {
  mc_closed = 0;
  cr_assert_eq(eddy_mc_close(mc, on_mc_closed), 0);
  db_wait(&mc_closed, 5000);
  cr_assert(mc_closed);
  db_loop_finish(NULL);
  if (server.pid) mc_stop(&server);
}

Test(memcache, set_get_add_delete_incr) {
  mc_setup();
  mres_t m;
  MC(m, eddy_mc_get(mc, K("nokey"), on_mc, &m));
  cr_assert_eq(m.status, -ENOENT);
  MC(m, eddy_mc_set(mc, K("session:1"), K("alice"), 42, 0, on_mc, &m));
  cr_assert_eq(m.status, 0);
  MC(m, eddy_mc_get(mc, K("session:1"), on_mc, &m));
  cr_assert_eq(m.status, 0);
  cr_assert_str_eq(m.value, "alice");
  cr_assert_eq(m.len, 5);
  cr_assert_eq(m.flags, 42);
  MC(m, eddy_mc_add(mc, K("session:1"), K("bob"), 0, 0, on_mc, &m));
  cr_assert_eq(m.status, -EEXIST);
  MC(m, eddy_mc_add(mc, K("session:2"), K("bob"), 0, 0, on_mc, &m));
  cr_assert_eq(m.status, 0);
  MC(m, eddy_mc_set(mc, K("hits"), K("41"), 0, 0, on_mc, &m));
  MC(m, eddy_mc_incr(mc, K("hits"), 1, on_mc, &m));
  cr_assert_eq(m.status, 0);
  cr_assert_eq(m.number, 42);
  MC(m, eddy_mc_incr(mc, K("session:1"), 1, on_mc, &m));
  cr_assert_eq(m.status, -EINVAL, "incr of a non-number is the server's CLIENT_ERROR");
  MC(m, eddy_mc_incr(mc, K("none"), 1, on_mc, &m));
  cr_assert_eq(m.status, -ENOENT);
  MC(m, eddy_mc_delete(mc, K("session:1"), on_mc, &m));
  cr_assert_eq(m.status, 0);
  MC(m, eddy_mc_delete(mc, K("session:1"), on_mc, &m));
  cr_assert_eq(m.status, -ENOENT);
  static const char bin[] = {'a', 0, '\r', '\n', 'E', 'N', 'D', '\r', '\n'};
  MC(m, eddy_mc_set(mc, K("bin"), bin, sizeof(bin), 0, 0, on_mc, &m));
  MC(m, eddy_mc_get(mc, K("bin"), on_mc, &m));
  cr_assert_eq(m.len, sizeof(bin), "a value holding END and NUL comes back whole");
  cr_assert_eq(memcmp(m.value, "a", 2), 0);
  mc_teardown();
}

static void on_tick(eddy_timer_t *t) { *(int *)t->data = 1; }

Test(memcache, values_expire) {
  mc_setup();
  mres_t m;
  MC(m, eddy_mc_set(mc, K("short"), K("lived"), 0, 1, on_mc, &m));
  MC(m, eddy_mc_get(mc, K("short"), on_mc, &m));
  cr_assert_eq(m.status, 0);
  eddy_timer_t t;
  int fired = 0;
  eddy_timer_init(&db_loop, &t);
  t.data = &fired;
  eddy_timer_start(&t, on_tick, 2100, 0);
  db_wait(&fired, 5000);
  eddy_close(EDDY_HANDLE(&t), NULL);
  MC(m, eddy_mc_get(mc, K("short"), on_mc, &m));
  cr_assert_eq(m.status, -ENOENT, "expired after its second");
  mc_teardown();
}

static int piped, piped_bad;
static void on_piped(eddy_mc_result_t *res, int status) {
  char want[32];
  snprintf(want, sizeof(want), "v%d", (int)(intptr_t)res->data);
  if (status || strcmp(res->value, want) != 0) piped_bad++;
  if ((intptr_t)res->data != piped) piped_bad++; /* in order */
  piped++;
}
static void on_ignore(eddy_mc_result_t *res, int status) {}

Test(memcache, a_thousand_pipelined_commands_answer_in_order) {
  mc_setup();
  char key[32], val[32];
  for (int i = 0; i < 1000; i++) {
    snprintf(key, sizeof(key), "k%d", i);
    snprintf(val, sizeof(val), "v%d", i);
    cr_assert_eq(eddy_mc_set(mc, K(key), K(val), 0, 0, on_ignore, NULL), 0);
  }
  piped = piped_bad = 0;
  for (intptr_t i = 0; i < 1000; i++) {
    snprintf(key, sizeof(key), "k%d", (int)i);
    cr_assert_eq(eddy_mc_get(mc, K(key), on_piped, (void *)i), 0);
  }
  uint64_t end = now_ms() + 10000;
  while (piped < 1000 && now_ms() < end) eddy_run(&db_loop, EDDY_RUN_ONCE);
  cr_assert_eq(piped, 1000);
  cr_assert_eq(piped_bad, 0);
  mc_teardown();
}

/* Stops or restarts the server on another thread while the loop runs:
 * blocking here would stall the loop (and the stall detector says so). */
static _Atomic int side_done;
static void *side_stop(void *arg) { mc_stop(&server); side_done = 1; return NULL; }
static void *side_start(void *arg) { mc_restart(&server); side_done = 1; return NULL; }
static void tick(eddy_timer_t *t) {}
static void on_keep_closed(eddy_handle_t *h) { *(int *)h->data = 1; }
static void beside_loop(void *(*fn)(void *)) {
  pthread_t th;
  eddy_timer_t keep; /* the loop stays alive and dispatching meanwhile */
  eddy_timer_init(&db_loop, &keep);
  eddy_timer_start(&keep, tick, 1, 1);
  side_done = 0;
  pthread_create(&th, NULL, fn, NULL);
  uint64_t end = now_ms() + 10000;
  while (!side_done && now_ms() < end) eddy_run(&db_loop, EDDY_RUN_ONCE);
  pthread_join(th, NULL);
  int closed = 0;
  keep.data = &closed;
  eddy_close(EDDY_HANDLE(&keep), on_keep_closed);
  db_wait(&closed, 1000);
}

static int gone_ok, gone_reset, gone_other, gone_done;
static void on_gone(eddy_mc_result_t *res, int status) {
  gone_done++;
  if (status == 0 || status == -ENOENT) gone_ok++;
  else if (status == -ECONNRESET || status == -ECONNREFUSED) gone_reset++;
  else gone_other++;
}

Test(memcache, server_going_away_fails_pending_then_reconnects) {
  mc_setup();
  mres_t m;
  MC(m, eddy_mc_set(mc, K("x"), K("1"), 0, 0, on_mc, &m));
  gone_ok = gone_reset = gone_other = gone_done = 0;
  for (int i = 0; i < 200; i++)
    cr_assert_eq(eddy_mc_get(mc, K("x"), on_gone, NULL), 0);
  beside_loop(side_stop); /* while they are in flight or queued */
  uint64_t end = now_ms() + 5000;
  while (gone_done < 200 && now_ms() < end) eddy_run(&db_loop, EDDY_RUN_ONCE);
  cr_assert_eq(gone_done, 200, "every pending command ends");
  cr_assert_eq(gone_other, 0);
  MC(m, eddy_mc_get(mc, K("x"), on_mc, &m));
  cr_assert(m.status == -ECONNREFUSED || m.status == -ECONNRESET,
            "server down: %s", eddy_err_name(m.status));
  beside_loop(side_start);
  MC(m, eddy_mc_set(mc, K("x"), K("2"), 0, 0, on_mc, &m));
  cr_assert_eq(m.status, 0, "reconnected: %s", eddy_err_name(m.status));
  MC(m, eddy_mc_get(mc, K("x"), on_mc, &m));
  cr_assert_str_eq(m.value, "2");
  mc_teardown();
}

static int misuse;
static void on_misuse(eddy_mc_result_t *res, int status) { misuse++; }

Test(memcache, misuse_is_refused_without_callbacks) {
  mc_setup();
  misuse = 0;
  char longkey[300];
  memset(longkey, 'k', sizeof(longkey));
  cr_assert_eq(eddy_mc_get(mc, "", 0, on_misuse, NULL), -EINVAL);
  cr_assert_eq(eddy_mc_get(mc, longkey, sizeof(longkey), on_misuse, NULL), -EINVAL);
  cr_assert_eq(eddy_mc_get(mc, K("a b"), on_misuse, NULL), -EINVAL);
  cr_assert_eq(eddy_mc_get(mc, K("a\r\nflush_all"), on_misuse, NULL), -EINVAL);
  cr_assert_eq(eddy_mc_get(mc, K("ok"), NULL, NULL), -EINVAL);
  eddy_mc_t *bad;
  cr_assert_eq(eddy_mc_open(&db_loop, "cache.example.org:11211", NULL, &bad), -EINVAL);
  cr_assert_eq(eddy_mc_open(&db_loop, "127.0.0.1", NULL, &bad), -EINVAL);
  mc_teardown();
  cr_assert_eq(misuse, 0);
}

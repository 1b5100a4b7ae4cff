/* The client's names: resolved on the thread pool (also under TSan), one
 * lookup per host for many waiting connections, kept for dns_ttl_ms, and
 * "not found" as EDDY_ENOTFOUND. */
#include <stdio.h>
#include <string.h>

#include "support/client_helpers.h"
#include "support/loop_helpers.h"
#include "support/rawsrv_helpers.h"

TestSuite(client_dns, .timeout = 60);

static eddy_loop_t loop;
static eddy_client_t *client;

static eddy_client_stats_t stats(void) {
  eddy_client_stats_t s;
  eddy_client_stats(client, &s);
  return s;
}

static void run_many(const char *url, int n, rec_t *recs) {
  eddy_client_req_opts_t o;
  for (int i = 0; i < n; i++) {
    rec_opts(&o, &recs[i], url);
    o.buffer_body = 1;
    cr_assert_eq(eddy_client_request(client, &o, NULL), 0);
  }
  run_recs(&loop, recs, n, 10000);
}

static void noop(eddy_timer_t *t) {}

Test(client_dns, one_lookup_for_many_connections_then_kept_for_the_ttl) {
  rawsrv_t s;
  rawsrv_start(&s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", RAW_KEEP);
  eddy_client_opts_t o = {.max_per_host = 4, .dns_ttl_ms = 150};
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_client_create(&loop, &o, &client), 0);
  char url[64];
  snprintf(url, sizeof url, "http://localhost:%d/", s.port);
  rec_t r[8];
  run_many(url, 8, r);
  for (int i = 0; i < 8; i++) {
    cr_assert_eq(r[i].status, 200, "%s", eddy_err_name(r[i].error));
    rec_free(&r[i]);
  }
  cr_assert_eq(stats().dns_lookups, 1, "4 connections, one lookup");
  cr_assert_eq(stats().connects, 4);
  close_client(&loop, client);
  /* A new agent, short keep-alive: the second connection needs a new
   * lookup once the TTL has passed. */
  eddy_client_opts_t o2 = {.max_per_host = 1, .dns_ttl_ms = 50,
                           .keep_alive_ms = 10};
  cr_assert_eq(eddy_client_create(&loop, &o2, &client), 0);
  run_many(url, 1, r);
  rec_free(&r[0]);
  eddy_timer_t t;
  eddy_timer_init(&loop, &t);
  eddy_timer_start(&t, noop, 120, 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  eddy_close(EDDY_HANDLE(&t), NULL);
  run_many(url, 1, r);
  cr_assert_eq(r[0].status, 200);
  rec_free(&r[0]);
  cr_assert_eq(stats().dns_lookups, 2, "looked up again after the TTL");
  close_client(&loop, client);
  close_loop(&loop);
  rawsrv_stop(&s);
}

Test(client_dns, unknown_name_fails_every_waiting_request) {
  eddy_client_opts_t o = {.max_per_host = 3};
  cr_assert_eq(eddy_loop_init(&loop), 0);
  cr_assert_eq(eddy_client_create(&loop, &o, &client), 0);
  rec_t r[3];
  run_many("http://nonexistent.invalid:8080/x", 3, r);
  for (int i = 0; i < 3; i++) {
    cr_assert_eq(r[i].errors, 1);
    cr_assert_eq(r[i].error, EDDY_ENOTFOUND, "%s", eddy_err_name(r[i].error));
  }
  cr_assert_eq(stats().dns_lookups, 1, "one lookup for the three");
  close_client(&loop, client);
  close_loop(&loop);
}

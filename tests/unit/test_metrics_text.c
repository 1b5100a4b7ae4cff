/* The metrics registry and its Prometheus text: format rules, values. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "eddy/observe.h"
#include "eddy/threadpool.h"
#include "support/loop_helpers.h"
#include "support/prom_check.h"

static char *render(eddy_app_metrics_t *m, size_t *len) {
  char *text;
  cr_assert_eq(eddy_app_metrics_render(m, &text, len), 0);
  return text;
}

Test(metrics_text, follows_the_format_rules) {
  eddy_loop_t loop;
  eddy_loop_init(&loop);
  eddy_app_metrics_t *m;
  cr_assert_eq(eddy_app_metrics_create(&loop, &m), 0);
  eddy_app_metrics_record(m, EDDY_HTTP_GET, "/users/:id", 200, 1500000);
  eddy_app_metrics_record(m, EDDY_HTTP_GET, "/users/:id", 200, 3000);
  eddy_app_metrics_record(m, EDDY_HTTP_GET, "/users/:id", 404, 20000000000);
  eddy_app_metrics_record(m, EDDY_HTTP_POST, NULL, 500, 1);
  eddy_app_metrics_record(m, EDDY_HTTP_GET, "/we\"ird\\\n", 200, 1);
  size_t len;
  char *text = render(m, &len);
  const char *err = prom_check(text, len);
  cr_assert_null(err, "%s\n%s", err, text);
  cr_assert_eq(prom_check_python(text, len), 0, "%s", text);
  cr_assert_eq(prom_value(text, "eddy_http_requests_total{method=\"GET\","
                                "route=\"/users/:id\",status=\"200\"}"), 2);
  cr_assert_eq(prom_value(text, "eddy_http_requests_total{method=\"POST\","
                                "route=\"none\",status=\"500\"}"), 1);
  cr_assert_eq(prom_value(text, "eddy_http_requests_total{method=\"GET\","
                                "route=\"/we\\\"ird\\\\\\n\",status=\"200\"}"),
               1);
  /* 3 µs, 1 ns, 1 ns <= 0.5 ms; 1.5 ms <= 2.5 ms; 20 s only in +Inf. */
  cr_assert_eq(prom_value(text, "eddy_http_request_duration_seconds_bucket"
                                "{le=\"0.0005\"}"), 3);
  cr_assert_eq(prom_value(text, "eddy_http_request_duration_seconds_bucket"
                                "{le=\"0.0025\"}"), 4);
  cr_assert_eq(prom_value(text, "eddy_http_request_duration_seconds_bucket"
                                "{le=\"10\"}"), 4);
  cr_assert_eq(prom_value(text, "eddy_http_request_duration_seconds_bucket"
                                "{le=\"+Inf\"}"), 5);
  cr_assert_eq(prom_value(text, "eddy_http_request_duration_seconds_count"), 5);
  free(text);
  eddy_app_metrics_close(m);
  close_loop(&loop);
}

Test(metrics_text, the_checker_catches_broken_text) {
  const char *bad[] = {
      "x 1\n",                                        /* no TYPE */
      "# HELP x h\n# TYPE x counter\nx 1\n",          /* no _total */
      "# HELP x_total h\n# TYPE x_total counter\nx_total{a=\"b} 1\n",
      "# HELP g h\n# TYPE g gauge\ng 1\ng 2\n",       /* repeated series */
      "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
      "h_bucket{le=\"2\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n",
      "# HELP h h\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\n"
      "h_count 2\n",                                  /* no +Inf */
      "# HELP g h\n# TYPE g gauge\ng x\n",            /* bad value */
      "# HELP g h\n# TYPE g gauge\ng 1",              /* no final newline */
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    cr_assert_not_null(prom_check(bad[i], strlen(bad[i])), "%s", bad[i]);
  const char *good = "# HELP g h\n# TYPE g gauge\ng{a=\"x\\\"y\"} 1.5\n";
  cr_assert_null(prom_check(good, strlen(good)));
}

/* The sampler records the loop's lateness; a blocked loop shows. */
static void block(eddy_timer_t *t) {
  if (t->data) { /* second run: the sampler has fired late by now */
    eddy_close(EDDY_HANDLE(t), NULL);
    return;
  }
  t->data = t;
  uint64_t until = eddy_hrtime() + 60000000;
  while (eddy_hrtime() < until) {
  }
}

static void nop_work(eddy_work_t *w) {}

Test(metrics_text, loop_delay_and_threadpool) {
  eddy_loop_t loop;
  eddy_loop_init(&loop);
  eddy_app_metrics_t *m;
  cr_assert_eq(eddy_app_metrics_create(&loop, &m), 0);
  eddy_timer_t t;
  eddy_timer_init(&loop, &t);
  t.data = NULL;
  eddy_timer_start(&t, block, 25, 30);
  eddy_threadpool_stats_t before, after;
  eddy_threadpool_stats(&before);
  eddy_work_t w;
  cr_assert_eq(eddy_queue_work(&loop, &w, nop_work, NULL), 0);
  eddy_run(&loop, EDDY_RUN_DEFAULT);
  size_t len;
  char *text = render(m, &len);
  cr_assert_null(prom_check(text, len));
  double late = prom_value(text, "eddy_eventloop_delay_seconds_bucket"
                                 "{le=\"0.025\"}");
  double all = prom_value(text, "eddy_eventloop_delay_seconds_count");
  cr_assert_geq(all, 1, "%s", text);
  cr_assert_lt(late, all, "the 60 ms block is above 25 ms:\n%s", text);
  eddy_threadpool_stats(&after);
  cr_assert_eq(after.completed, before.completed + 1);
  cr_assert_eq(after.queued, 0);
  cr_assert_eq(after.running, 0);
  cr_assert_geq(prom_value(text, "eddy_threadpool_completed_total"),
                (double)after.completed);
  free(text);
  eddy_app_metrics_close(m);
  close_loop(&loop);
}

/*
 * Checks Prometheus text exposition (format 0.0.4) by its rules, for the
 * metrics tests: every line is a HELP, a TYPE or a sample; names and
 * label names are valid; label values are quoted with \\ \" \n escapes
 * only; each family has one HELP and one TYPE before its samples and its
 * samples are contiguous; counters end in _total; no series repeats;
 * histograms have ascending le bounds, cumulative counts, a last
 * le="+Inf" bucket equal to _count, and a _sum. Also runs the official
 * Python client's parser (python3-prometheus-client) over the text.
 */
#ifndef EDDY_TEST_PROM_CHECK_H
#define EDDY_TEST_PROM_CHECK_H

#include <stddef.h>

/* Returns NULL if `text` follows the rules, else a static message naming
 * the first broken rule and line. */
const char *prom_check(const char *text, size_t len);

/* 0 if /usr/bin/python3's prometheus_client parses `text` whole. */
int prom_check_python(const char *text, size_t len);

/* The value of the sample whose name and labels are exactly `series`
 * (e.g. "eddy_http_requests_total{method=\"GET\",...}"), or -1. */
double prom_value(const char *text, const char *series);

#endif

/* report_compare.h: what a mesh costs, from a report over modes
 * (`meshperf run --modes baseline,both,...`; docs/REPORT.md "Mesh
 * overhead" defines every figure).
 *
 * Per run of a mode: the sidecar traversals of one load request, counted
 * from the run's config.json (its backends_map and the test's URL): with
 * T = the requests the graph serves per load request (the entry node's
 * one plus, recursively, one per backend call: 1 + 2 + ... for a diamond
 * 0 -> 1,2 -> 3 that is 1 + 1 + 1 + 2 = 5), "both" passes T inbound
 * sidecars and T - 1 egress ones (2T - 1), "serveronly" T, "clientonly"
 * T - 1, "baseline" 0. Proxied requests per second = actual QPS x
 * traversals. The sidecars' CPU cores and MiB (every container but "app",
 * summed over pods) per 1000 proxied requests per second; the latency
 * percentiles minus those of the baseline run of the same test, and per
 * traversal ("per hop") when the graph is a chain (every node calls at
 * most one backend, so every traversal is on the request's path).
 *
 * Per mode: those figures at 1000 requests/s of actual QPS, interpolated
 * linearly between the two runs around 1000, or those of the run nearest
 * to it when no run lies on each side. */
#ifndef MESHPERF_REPORT_COMPARE_H
#define MESHPERF_REPORT_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "report/report_model.h"

/* The requests/s the headline figures are taken at. */
#define REPORT_COMPARE_AT_RPS 1000.0

/* Sidecar traversals per load request in mode when the graph serves
 * `served` requests per load request (see the top of this file). 0 for
 * "baseline"; NaN for an unknown mode or a served count that is not a
 * number >= 1. */
double report_compare_traversals(const char *mode, double served);

/* From config.json text (len bytes) the requests served per load request
 * of test (`load_tests[].test_name`; its `url`, or the original's default
 * service-0, names the entry node as service-N / node-N / N) into *served
 * and whether every node reached calls at most one backend into *chain.
 * Keys are matched exactly, else case-insensitively (as the config
 * loader). 0, or -1 when the text is not such a config or has no such
 * test. */
int report_compare_graph(const char *json, size_t len, const char *test, double *served,
                         bool *chain);

/* y at x0 from the n points (x[i], y[i]) (points with a non-finite x or y
 * are skipped; any order): linear between the nearest points below and
 * above x0, the point itself at x0, else the y of the point whose x is
 * nearest. how (if non-NULL) gets "interpolated between 812.4 and 1340
 * rps", "at 1000 rps" or "nearest run: 500.2 rps". NaN (how "") when no
 * point. */
double report_compare_at(const double *x, const double *y, size_t n, double x0, char *how,
                         size_t howlen);

/* amount (cores, MiB) per 1000 proxied requests per second: amount /
 * (qps x traversals / 1000). NaN unless every input is finite and qps x
 * traversals > 0. */
double report_compare_per_1k(double amount, double qps, double traversals);

/* Fill r->over (one per run) and r->modes from r's runs, stats and
 * containers (report.c derived them), reading each mode run's config.json
 * through its source's store. A run without a readable config.json gets
 * no traversals (its per-1000-rps figures stay NaN). 0, or -1 on no
 * memory. */
int report_compare_derive(struct report *r);

#endif

/* Unit tests for hist.c: percentiles against an exact sort of the same
 * samples, bucket precision, clamping, exact merge, mean/stddev, iteration,
 * and argument checks. Samples come from a fixed-seed splitmix64, so every
 * run sees the same values. */
#include "cm.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "load/hist.h"

#define LOWEST  1
#define HIGHEST 3600000000LL
#define SIGFIGS 3

static uint64_t rng_state;

static uint64_t rng(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_unit(void) /* [0, 1) */
{
    return (double)(rng() >> 11) * (1.0 / 9007199254740992.0);
}

static int64_t rng_range(int64_t lo, int64_t hi) /* [lo, hi] */
{
    return lo + (int64_t)(rng() % (uint64_t)(hi - lo + 1));
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Percentiles checked, with the same p in parts per million so the exact
 * reference rank is computed in integers, independently of hist.c. */
static const struct {
    double p;
    uint64_t ppm;
} pcts[] = {{0, 0},         {50, 500000},   {75, 750000},    {90, 900000},
            {99, 990000},   {99.9, 999000}, {99.99, 999900}, {100, 1000000},
            {12.5, 125000}, {33.3, 333000}, {0.01, 100},     {99.999, 999990}};
#define NPCTS (sizeof pcts / sizeof pcts[0])

/* The smallest sample v with at least ppm/10^6 of the samples <= v. */
static int64_t exact_pct(const int64_t *sorted, size_t n, uint64_t ppm)
{
    if (ppm == 0) return sorted[0];
    uint64_t rank = (ppm * (uint64_t)n + 999999) / 1000000;
    if (rank < 1) rank = 1;
    return sorted[rank - 1];
}

/* Record samples into a fresh 1us..1h/3 histogram and check every
 * percentile against the sort: within 0.1 %, and in fact within half a
 * sub-bucket (1/2048 of the value) since the bucket midpoint is reported. */
static void check_percentiles(const char *name, int64_t *v, size_t n)
{
    struct hist *h = hist_new(LOWEST, HIGHEST, SIGFIGS);
    assert_non_null(h);
    for (size_t i = 0; i < n; i++)
        hist_record(h, v[i]);
    qsort(v, n, sizeof v[0], cmp_i64);
    assert_int_equal(hist_count(h), n);
    assert_int_equal(hist_clamped(h), 0);
    assert_int_equal(hist_min(h), v[0]);
    assert_int_equal(hist_max(h), v[n - 1]);
    for (size_t k = 0; k < NPCTS; k++) {
        int64_t want = exact_pct(v, n, pcts[k].ppm);
        int64_t got = hist_percentile(h, pcts[k].p);
        double err = fabs((double)got - (double)want);
        if (err > 0.001 * (double)want || 2048.0 * err > (double)want)
            fail_msg("%s: p%g = %" PRId64 ", exact %" PRId64 " (rel err %.3g%%)", name, pcts[k].p,
                     got, want, 100.0 * err / (double)want);
    }
    /* p0 and p100 are exact. */
    assert_int_equal(hist_percentile(h, 0), v[0]);
    assert_int_equal(hist_percentile(h, 100), v[n - 1]);
    hist_free(h);
}

#define N 100000

/* hist_count_from: whole buckets at or above a value; NULL counts 0. */
static void test_count_from(void **state)
{
    (void)state;
    struct hist *h = hist_new(1, 60000000, 3);
    assert_non_null(h);
    hist_record_n(h, 500, 7);     /* 0.5 ms late */
    hist_record_n(h, 99000, 5);   /* just under 100 ms */
    hist_record_n(h, 150000, 3);  /* 150 ms */
    hist_record_n(h, 2000000, 2); /* 2 s */
    assert_int_equal(hist_count_from(h, 100000), 5);
    assert_int_equal(hist_count_from(h, 1), 17);
    assert_int_equal(hist_count_from(h, 3000000), 0);
    assert_int_equal(hist_count_from(NULL, 1), 0);
    hist_free(h);
}

static void test_uniform(void **state)
{
    int64_t *v = malloc(N * sizeof *v);
    assert_non_null(v);
    rng_state = 1;
    /* Uniform over several decades, and over a narrow band. */
    for (size_t i = 0; i < N; i++)
        v[i] = rng_range(1, 1000000000);
    check_percentiles("uniform 1..1e9", v, N);
    for (size_t i = 0; i < N; i++)
        v[i] = rng_range(1, 100000);
    check_percentiles("uniform 1..1e5", v, N);
    for (size_t i = 0; i < N; i++)
        v[i] = rng_range(990000, 1010000);
    check_percentiles("uniform 1ms +-1%", v, N);
    for (size_t i = 0; i < 1000; i++)
        v[i] = rng_range(1, HIGHEST);
    check_percentiles("uniform 1000 samples", v, 1000);
    free(v);
}

static void test_log_uniform(void **state)
{
    int64_t *v = malloc(N * sizeof *v);
    assert_non_null(v);
    rng_state = 2;
    double top = log((double)HIGHEST);
    for (size_t i = 0; i < N; i++) {
        int64_t x = (int64_t)exp(rng_unit() * top);
        v[i] = x < 1 ? 1 : x > HIGHEST ? HIGHEST : x;
    }
    check_percentiles("log-uniform 1..1h", v, N);
    free(v);
}

static void test_bimodal(void **state)
{
    int64_t *v = malloc(N * sizeof *v);
    assert_non_null(v);
    rng_state = 3;
    /* 99 % at exactly 1 ms, 1 % at exactly 500 ms. */
    for (size_t i = 0; i < N; i++)
        v[i] = i % 100 == 0 ? 500000 : 1000;
    check_percentiles("bimodal exact", v, N);
    /* The same modes with jitter, shuffled. */
    for (size_t i = 0; i < N; i++)
        v[i] = rng() % 1000 < 3 ? rng_range(450000, 550000) : rng_range(900, 1100);
    check_percentiles("bimodal jitter", v, N);
    /* Few tail values: p99.9 and up must land in the slow mode. */
    struct hist *h = hist_new(LOWEST, HIGHEST, SIGFIGS);
    assert_non_null(h);
    hist_record_n(h, 1000, 9990);
    hist_record_n(h, 500000, 10);
    assert_int_equal(hist_percentile(h, 99), 1000);
    assert_int_equal(hist_percentile(h, 99.9), 1000);
    int64_t p = hist_percentile(h, 99.91);
    assert_true(p >= 499750 && p <= 500000);
    assert_int_equal(hist_percentile(h, 100), 500000);
    hist_free(h);
    free(v);
}

static void test_adversarial(void **state)
{
    int64_t *v = malloc(N * sizeof *v);
    assert_non_null(v);
    /* All equal: every percentile is that value exactly. */
    struct hist *h = hist_new(LOWEST, HIGHEST, SIGFIGS);
    assert_non_null(h);
    for (int i = 0; i < 1000; i++)
        hist_record(h, 123457);
    for (size_t k = 0; k < NPCTS; k++)
        assert_int_equal(hist_percentile(h, pcts[k].p), 123457);
    assert_true(hist_stddev(h) == 0);
    assert_true(hist_mean(h) == 123457.0);

    /* A single sample, anywhere in the range. */
    const int64_t singles[] = {1, 2, 1023, 2047, 2048, 2049, 999999, 1000001, HIGHEST - 1, HIGHEST};
    for (size_t s = 0; s < sizeof singles / sizeof singles[0]; s++) {
        hist_reset(h);
        hist_record(h, singles[s]);
        for (size_t k = 0; k < NPCTS; k++)
            assert_int_equal(hist_percentile(h, pcts[k].p), singles[s]);
        assert_int_equal(hist_count(h), 1);
    }
    hist_free(h);

    /* Bucket boundaries: 2^k, 2^k - 1, 2^k + 1 for every k in range. */
    size_t n = 0;
    for (int rep = 0; rep < 50; rep++)
        for (int k = 0; k < 32; k++) {
            int64_t b = (int64_t)1 << k;
            v[n++] = b;
            if (b > 1) v[n++] = b - 1;
            v[n++] = b + 1;
        }
    check_percentiles("powers of two", v, n);

    /* Only the lowest and highest values. */
    n = 0;
    for (int i = 0; i < 700; i++)
        v[n++] = LOWEST;
    for (int i = 0; i < 300; i++)
        v[n++] = HIGHEST;
    check_percentiles("lowest+highest", v, n);
    n = 0;
    for (int i = 0; i < 1000; i++)
        v[n++] = i % 2 ? HIGHEST : HIGHEST - 1;
    check_percentiles("highest-1,highest", v, n);

    /* Values below 2048 are stored exactly (unit-width sub-buckets). */
    n = 0;
    rng_state = 4;
    for (int i = 0; i < 5000; i++)
        v[n++] = rng_range(1, 2047);
    h = hist_new(LOWEST, HIGHEST, SIGFIGS);
    for (size_t i = 0; i < n; i++)
        hist_record(h, v[i]);
    qsort(v, n, sizeof v[0], cmp_i64);
    for (size_t k = 0; k < NPCTS; k++)
        assert_int_equal(hist_percentile(h, pcts[k].p), exact_pct(v, n, pcts[k].ppm));
    hist_free(h);
    free(v);
}

static void test_clamped(void **state)
{
    struct hist *h = hist_new(LOWEST, HIGHEST, SIGFIGS);
    assert_non_null(h);
    for (int i = 0; i < 100; i++)
        hist_record(h, 5000);
    assert_int_equal(hist_clamped(h), 0);
    hist_record(h, 0);
    hist_record(h, -5);
    hist_record(h, HIGHEST + 1);
    hist_record(h, INT64_MAX);
    hist_record_n(h, -1, 3);
    hist_record(h, LOWEST);  /* in range */
    hist_record(h, HIGHEST); /* in range */
    assert_int_equal(hist_clamped(h), 7);
    assert_int_equal(hist_count(h), 109);
    assert_int_equal(hist_min(h), -5);
    assert_int_equal(hist_max(h), INT64_MAX);
    assert_int_equal(hist_percentile(h, 0), -5);
    assert_int_equal(hist_percentile(h, 100), INT64_MAX);
    long double sum =
        100 * 5000.0L + 0 - 5 + (HIGHEST + 1) + (long double)INT64_MAX - 3 + LOWEST + HIGHEST;
    assert_true(hist_sum(h) == (double)sum);
    /* Clamped values are counted in the edge buckets. */
    struct hist_iter it;
    hist_iter_init(&it, h);
    assert_true(hist_iter_next(&it));
    assert_int_equal(it.from, LOWEST);
    assert_int_equal(it.count, 6); /* 0, -5, -1 x3, LOWEST */
    uint64_t last = 0;
    int64_t last_to = 0;
    while (hist_iter_next(&it)) {
        last = it.count;
        last_to = it.to;
    }
    assert_int_equal(last, 3); /* HIGHEST+1, INT64_MAX, HIGHEST */
    assert_int_equal(last_to, HIGHEST);
    hist_free(h);
}

static void test_merge(void **state)
{
    enum { THREADS = 4 };
    struct hist *all = hist_new(LOWEST, HIGHEST, SIGFIGS),
                *merged = hist_new(LOWEST, HIGHEST, SIGFIGS);
    struct hist *t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_non_null(t[i] = hist_new(LOWEST, HIGHEST, SIGFIGS));
    assert_non_null(all);
    assert_non_null(merged);
    rng_state = 5;
    double top = log((double)HIGHEST);
    for (int i = 0; i < N; i++) {
        int64_t x = (int64_t)exp(rng_unit() * top);
        if (i % 1000 == 7) x = -x; /* some clamped */
        if (i % 1000 == 9) x = HIGHEST + x;
        /* Uneven split, thread 3 gets nothing after the first 100. */
        int th = (int)(rng() % (i < 100 ? THREADS : THREADS - 1));
        hist_record(all, x);
        hist_record(t[th], x);
    }
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(hist_merge(merged, t[i]), 0);
    assert_int_equal(hist_count(merged), hist_count(all));
    assert_int_equal(hist_clamped(merged), hist_clamped(all));
    assert_true(hist_clamped(all) > 0);
    assert_int_equal(hist_min(merged), hist_min(all));
    assert_int_equal(hist_max(merged), hist_max(all));
    assert_true(hist_sum(merged) == hist_sum(all));
    assert_true(hist_mean(merged) == hist_mean(all));
    assert_true(hist_stddev(merged) == hist_stddev(all));
    for (size_t k = 0; k < NPCTS; k++)
        assert_int_equal(hist_percentile(merged, pcts[k].p), hist_percentile(all, pcts[k].p));
    struct hist_iter a, b;
    hist_iter_init(&a, all);
    hist_iter_init(&b, merged);
    for (;;) {
        bool ha = hist_iter_next(&a), hb = hist_iter_next(&b);
        assert_int_equal(ha, hb);
        if (!ha) break;
        assert_int_equal(a.from, b.from);
        assert_int_equal(a.to, b.to);
        assert_int_equal(a.count, b.count);
    }

    /* Merging an empty histogram changes nothing; into an empty one copies. */
    struct hist *empty = hist_new(LOWEST, HIGHEST, SIGFIGS);
    assert_int_equal(hist_merge(merged, empty), 0);
    assert_int_equal(hist_min(merged), hist_min(all));
    assert_int_equal(hist_count(merged), hist_count(all));
    assert_int_equal(hist_merge(empty, all), 0);
    assert_int_equal(hist_min(empty), hist_min(all));
    assert_int_equal(hist_percentile(empty, 99), hist_percentile(all, 99));

    /* Different layouts: -1 and dst unchanged. */
    struct hist *o1 = hist_new(LOWEST, HIGHEST, 2), *o2 = hist_new(LOWEST, HIGHEST / 2, SIGFIGS),
                *o3 = hist_new(2, HIGHEST, SIGFIGS);
    hist_record(o1, 7);
    hist_record(o2, 7);
    hist_record(o3, 7);
    assert_int_equal(hist_merge(merged, o1), -1);
    assert_int_equal(hist_merge(merged, o2), -1);
    assert_int_equal(hist_merge(merged, o3), -1);
    assert_int_equal(hist_merge(o1, merged), -1);
    assert_int_equal(hist_count(merged), hist_count(all));
    assert_int_equal(hist_min(merged), hist_min(all));
    assert_int_equal(hist_count(o1), 1);

    hist_free(o1);
    hist_free(o2);
    hist_free(o3);
    hist_free(empty);
    for (int i = 0; i < THREADS; i++)
        hist_free(t[i]);
    hist_free(all);
    hist_free(merged);
}

/* Mean and population stddev against a two-pass long double computation. */
static void check_moments(const char *name, const int64_t *v, size_t n)
{
    struct hist *h = hist_new(LOWEST, HIGHEST, SIGFIGS);
    assert_non_null(h);
    long double s = 0;
    for (size_t i = 0; i < n; i++) {
        hist_record(h, v[i]);
        s += v[i];
    }
    long double mean = s / n, ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += ((long double)v[i] - mean) * ((long double)v[i] - mean);
    double sd = (double)sqrtl(ss / n);
    double gm = hist_mean(h), gs = hist_stddev(h);
    if (fabs(gm - (double)mean) > 1e-12 * fabs((double)mean))
        fail_msg("%s: mean %.17g, exact %.17g", name, gm, (double)mean);
    if (fabs(gs - sd) > 1e-9 * sd + 1e-9) fail_msg("%s: stddev %.17g, exact %.17g", name, gs, sd);
    assert_true(hist_sum(h) == (double)s);
    hist_free(h);
}

static void test_moments(void **state)
{
    int64_t *v = malloc(N * sizeof *v);
    assert_non_null(v);
    rng_state = 6;
    for (size_t i = 0; i < N; i++)
        v[i] = rng_range(1, 1000000000);
    check_moments("uniform", v, N);
    /* Large mean, tiny spread: naive sumsq/n - mean^2 in double fails here. */
    for (size_t i = 0; i < N; i++)
        v[i] = HIGHEST - 10 + rng_range(0, 10);
    check_moments("3.6e9 +- 5", v, N);
    for (size_t i = 0; i < N; i++)
        v[i] = i % 2 ? 1000 : 1002;
    check_moments("1000/1002", v, N);
    v[0] = 42;
    check_moments("single", v, 1);

    /* hist_record_n(v, n) is n times hist_record(v), moments included. */
    struct hist *a = hist_new(LOWEST, HIGHEST, SIGFIGS), *b = hist_new(LOWEST, HIGHEST, SIGFIGS);
    for (int i = 0; i < 1000; i++)
        hist_record(a, 3000000000LL);
    hist_record(a, 17);
    hist_record_n(b, 3000000000LL, 1000);
    hist_record_n(b, 17, 1);
    hist_record_n(b, 99, 0); /* nothing */
    assert_int_equal(hist_count(a), hist_count(b));
    assert_int_equal(hist_min(b), 17);
    assert_true(hist_sum(a) == hist_sum(b));
    assert_true(hist_stddev(a) == hist_stddev(b));
    assert_true(hist_stddev(a) > 0);
    /* Huge values and counts: the wide sums must not wrap. */
    hist_reset(a);
    hist_reset(b);
    hist_record_n(a, INT64_MAX, 1000000);
    hist_record_n(a, INT64_MAX - 2, 1000000);
    double sd = hist_stddev(a);
    assert_true(fabs(sd - 1.0) < 1e-9);
    assert_true(fabs(hist_mean(a) - (double)INT64_MAX) < 1e6);
    /* hist_record's 128-bit sum of squares carries too (2^126 per value). */
    struct hist *c = hist_new(LOWEST, INT64_MAX, SIGFIGS);
    for (int i = 0; i < 8; i++) {
        hist_record(c, INT64_MAX);
        hist_record(c, INT64_MAX - 2);
    }
    assert_true(fabs(hist_stddev(c) - 1.0) < 1e-9);
    hist_free(c);
    hist_record_n(b, 1000000, UINT64_MAX / 4);
    assert_true(hist_stddev(b) == 0);
    assert_true(hist_mean(b) == 1000000.0);
    hist_free(a);
    hist_free(b);
    free(v);
}

static void check_iter(const struct hist *h, int64_t lowest, int64_t highest)
{
    struct hist_iter it;
    hist_iter_init(&it, h);
    uint64_t total = 0;
    int64_t prev_to = INT64_MIN;
    bool first = true;
    while (hist_iter_next(&it)) {
        assert_true(it.count > 0);
        assert_true(it.from <= it.to);
        assert_true(it.from >= lowest);
        assert_true(it.to <= highest);
        if (!first) assert_true(it.from > prev_to);
        first = false;
        prev_to = it.to;
        total += it.count;
    }
    assert_int_equal(total, hist_count(h));
    assert_false(hist_iter_next(&it)); /* stays done */
}

static void test_iter(void **state)
{
    struct hist *h = hist_new(LOWEST, HIGHEST, SIGFIGS);
    struct hist_iter it;
    hist_iter_init(&it, h);
    assert_false(hist_iter_next(&it)); /* empty */
    rng_state = 7;
    double top = log((double)HIGHEST);
    for (int i = 0; i < N; i++)
        hist_record(h, (int64_t)exp(rng_unit() * top));
    hist_record(h, HIGHEST);
    hist_record(h, LOWEST);
    check_iter(h, LOWEST, HIGHEST);
    hist_free(h);
}

/* Across layouts: every value lands in one bucket that contains it and is
 * no wider than max(lowest, value / 10^sigfigs). */
static void test_layouts(void **state)
{
    static const struct {
        int64_t lo, hi;
        int sf;
    } l[] = {{1, 2, 1},
             {1, 3600000000LL, 1},
             {1, 3600000000LL, 2},
             {1, 3600000000LL, 4},
             {1, 1000000, 5},
             {1000, 1000000000, 3},
             {3, 7, 3},
             {1, INT64_MAX, 3},
             {1LL << 40, INT64_MAX, 2}};
    rng_state = 8;
    for (size_t k = 0; k < sizeof l / sizeof l[0]; k++) {
        struct hist *h = hist_new(l[k].lo, l[k].hi, l[k].sf);
        if (!h)
            fail_msg("hist_new(%" PRId64 ", %" PRId64 ", %d) failed", l[k].lo, l[k].hi, l[k].sf);
        int64_t pow10 = 1;
        for (int i = 0; i < l[k].sf; i++)
            pow10 *= 10;
        for (int i = 0; i < 2000; i++) {
            int64_t v;
            if (i < 2)
                v = i ? l[k].hi : l[k].lo;
            else if (i % 2)
                v = rng_range(l[k].lo, l[k].hi);
            else { /* log-uniform */
                double x = exp(rng_unit() * log((double)l[k].hi));
                v = x >= (double)l[k].hi ? l[k].hi : (int64_t)x;
                if (v < l[k].lo) v = l[k].lo;
            }
            hist_reset(h);
            hist_record(h, v);
            struct hist_iter it;
            hist_iter_init(&it, h);
            assert_true(hist_iter_next(&it));
            uint64_t width = (uint64_t)(it.to - it.from) + 1;
            if (it.from > v || it.to < v ||
                (width > (uint64_t)l[k].lo && width * (uint64_t)pow10 > (uint64_t)it.from))
                fail_msg("layout %zu: %" PRId64 " in [%" PRId64 ", %" PRId64 "]", k, v, it.from,
                         it.to);
            assert_false(hist_iter_next(&it));
            assert_int_equal(hist_clamped(h), 0);
        }
        /* Many values at once still iterate cleanly. */
        hist_reset(h);
        for (int i = 0; i < 5000; i++)
            hist_record(h, rng_range(l[k].lo, l[k].hi));
        check_iter(h, l[k].lo, l[k].hi);
        hist_free(h);
    }
}

static void test_empty_and_args(void **state)
{
    hist_free(NULL);
    struct hist *h = hist_new(LOWEST, HIGHEST, SIGFIGS);
    assert_non_null(h);
    assert_int_equal(hist_count(h), 0);
    assert_int_equal(hist_min(h), 0);
    assert_int_equal(hist_max(h), 0);
    assert_true(hist_mean(h) == 0);
    assert_true(hist_stddev(h) == 0);
    assert_true(hist_sum(h) == 0);
    assert_int_equal(hist_percentile(h, 50), 0);
    assert_int_equal(hist_percentile(h, 100), 0);
    /* p outside 0..100 or NaN is clamped to min / max. */
    hist_record(h, 10);
    hist_record(h, 20);
    assert_int_equal(hist_percentile(h, -1), 10);
    assert_int_equal(hist_percentile(h, NAN), 10);
    assert_int_equal(hist_percentile(h, 150), 20);
    assert_int_equal(hist_percentile(h, 50), 10);
    assert_int_equal(hist_percentile(h, 50.0001), 20);
    /* Rank 1 and rank n are the exact min and max, not a bucket midpoint. */
    hist_reset(h);
    for (int64_t v = 1000000007; v < 1000000007 + 1000 * 997; v += 997)
        hist_record(h, v);
    assert_int_equal(hist_percentile(h, 0.1), 1000000007);
    assert_int_equal(hist_percentile(h, 99.95), 1000000007 + 999 * 997);
    /* reset forgets everything */
    hist_reset(h);
    assert_int_equal(hist_count(h), 0);
    assert_int_equal(hist_min(h), 0);
    assert_true(hist_sum(h) == 0);
    hist_record(h, 7);
    assert_int_equal(hist_min(h), 7);
    assert_int_equal(hist_max(h), 7);
    hist_free(h);

    assert_null(hist_new(0, HIGHEST, 3));
    assert_null(hist_new(-1, HIGHEST, 3));
    assert_null(hist_new(INT64_MIN, HIGHEST, 3));
    assert_null(hist_new(1, 1, 3));
    assert_null(hist_new(10, 19, 3));
    assert_null(hist_new(1, 0, 3));
    assert_null(hist_new(1, -5, 3));
    assert_null(hist_new(1, HIGHEST, 0));
    assert_null(hist_new(1, HIGHEST, 6));
    assert_null(hist_new(1, HIGHEST, -3));
    assert_null(hist_new(INT64_MAX, INT64_MAX, 3));
    assert_null(hist_new(INT64_MAX / 2 + 1, INT64_MAX, 3));
    assert_null(hist_new(1LL << 50, INT64_MAX, 5)); /* range too big to represent */
    assert_non_null(h = hist_new(10, 20, 3));
    hist_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_from),     cmocka_unit_test(test_uniform),
        cmocka_unit_test(test_log_uniform),    cmocka_unit_test(test_bimodal),
        cmocka_unit_test(test_adversarial),    cmocka_unit_test(test_clamped),
        cmocka_unit_test(test_merge),          cmocka_unit_test(test_moments),
        cmocka_unit_test(test_iter),           cmocka_unit_test(test_layouts),
        cmocka_unit_test(test_empty_and_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* hist.c: an HDR-style log-linear histogram (see hist.h for the contract).
 *
 * Layout. Let S = sub-bucket count = the next power of two >= 2 * 10^sigfigs
 * (sigfigs 3 -> 2048), H = S / 2, and u = floor(log2(lowest)) (the unit:
 * values are told apart down to 2^u). Bucket 0 covers [0, S << u) in S
 * sub-buckets of width 2^u; bucket b >= 1 covers [H << (b+u), S << (b+u))
 * in H sub-buckets of width 2^(b+u). Every sub-bucket therefore spans at
 * most 1/H <= 1/10^sigfigs of its lowest value (or 2^u <= lowest). Buckets
 * are added until one reaches past `highest`. The counts sit in one flat
 * array: bucket 0 at [0, S), bucket b at [(b+1)H, (b+2)H).
 *
 * Recording a value v (clamped into [lowest, highest]) is branch-light
 * integer work, no division and no floating point:
 *   top   = bit length of (v | ((S-1) << u))      (one clz)
 *   b     = top - u - log2(S)                     (bucket)
 *   s     = v >> (b + u)                          (sub-bucket, < S)
 *   index = ((b + 1) << log2(H)) + s - H
 *
 * Alongside the counts we keep the exact (unclamped) min, max, sum (128-bit)
 * and sum of squares (192-bit: a 128-bit low part and a 64-bit carry word),
 * so mean and stddev come from exact integers: variance is
 * (n * sumsq - sum^2) / n^2, with the numerator computed in 256-bit integer
 * arithmetic and only then converted to long double.
 *
 * Percentiles walk the counts to the bucket holding the wanted rank and
 * report the midpoint of that bucket, clamped to [min, max]: the error is at
 * most half a sub-bucket width, i.e. <= 1 / (2H) of the value. */
#include "load/hist.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 hist_u128;
__extension__ typedef __int128 hist_i128;

struct hist {
    int64_t lowest, highest;
    int sigfigs;
    unsigned unit_mag; /* u */
    unsigned half_mag; /* log2(H) */
    uint64_t sub_mask; /* (S - 1) << u */
    size_t len;        /* entries in counts */
    uint64_t total;    /* values recorded */
    uint64_t clamped;  /* values that were outside [lowest, highest] */
    int64_t min, max;  /* exact; INT64_MAX / INT64_MIN when empty */
    hist_i128 sum;     /* exact sum */
    hist_u128 sq_lo;   /* exact sum of squares, low 128 bits */
    uint64_t sq_hi;    /* ... and the bits above */
    uint64_t counts[];
};

static unsigned ilog2(uint64_t v) /* v > 0 */
{
    return 63u - (unsigned)__builtin_clzll(v);
}

struct hist *hist_new(int64_t lowest, int64_t highest, int sigfigs)
{
    if (lowest < 1 || sigfigs < 1 || sigfigs > 5 || lowest > INT64_MAX / 2 || highest < 2 * lowest)
        return NULL;
    uint64_t need = 2;
    for (int i = 0; i < sigfigs; i++)
        need *= 10;
    unsigned sub_mag = ilog2(need);
    if ((1ull << sub_mag) < need) sub_mag++;
    unsigned unit_mag = ilog2((uint64_t)lowest);
    /* S << u must not overflow an int64. */
    if (unit_mag + sub_mag > 62) return NULL;
    uint64_t smallest_untrackable = (1ull << sub_mag) << unit_mag;
    size_t buckets = 1;
    while (smallest_untrackable <= (uint64_t)highest) {
        if (smallest_untrackable > (uint64_t)INT64_MAX / 2) {
            buckets++;
            break;
        }
        smallest_untrackable <<= 1;
        buckets++;
    }
    size_t len = (buckets + 1) << (sub_mag - 1);
    struct hist *h = calloc(1, sizeof *h + len * sizeof h->counts[0]);
    if (!h) return NULL;
    h->lowest = lowest;
    h->highest = highest;
    h->sigfigs = sigfigs;
    h->unit_mag = unit_mag;
    h->half_mag = sub_mag - 1;
    h->sub_mask = ((1ull << sub_mag) - 1) << unit_mag;
    h->len = len;
    h->min = INT64_MAX;
    h->max = INT64_MIN;
    return h;
}

void hist_free(struct hist *h)
{
    free(h);
}

void hist_reset(struct hist *h)
{
    memset(h->counts, 0, h->len * sizeof h->counts[0]);
    h->total = h->clamped = 0;
    h->min = INT64_MAX;
    h->max = INT64_MIN;
    h->sum = 0;
    h->sq_lo = 0;
    h->sq_hi = 0;
}

/* Index of the sub-bucket holding v, for v in [lowest, highest]. */
static inline size_t index_of(const struct hist *h, uint64_t v)
{
    unsigned top = 64u - (unsigned)__builtin_clzll(v | h->sub_mask);
    unsigned b = top - h->unit_mag - (h->half_mag + 1);
    uint64_t s = v >> (b + h->unit_mag);
    return ((size_t)(b + 1) << h->half_mag) + (size_t)s - ((size_t)1 << h->half_mag);
}

/* Lowest value and width of sub-bucket i (the inverse of index_of). */
static void bucket_of(const struct hist *h, size_t i, uint64_t *from, uint64_t *width)
{
    size_t half = (size_t)1 << h->half_mag;
    unsigned b = 0;
    uint64_t s = i;
    if (i >= 2 * half) {
        b = (unsigned)(i >> h->half_mag) - 1;
        s = (i & (half - 1)) + half;
    }
    *from = s << (b + h->unit_mag);
    *width = 1ull << (b + h->unit_mag);
}

/* Bucket i's value range, narrowed to [lowest, highest] (no value outside
 * that range is ever counted). */
static void range_of(const struct hist *h, size_t i, int64_t *lo, int64_t *hi)
{
    uint64_t from, width;
    bucket_of(h, i, &from, &width);
    uint64_t to = from + (width - 1);
    *lo = from < (uint64_t)h->lowest ? h->lowest : (int64_t)from;
    *hi = to > (uint64_t)h->highest ? h->highest : (int64_t)to;
}

static inline uint64_t magnitude(int64_t v)
{
    return v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
}

static inline uint64_t clamp_for_index(struct hist *h, int64_t v, uint64_t n)
{
    if (v < h->lowest) {
        h->clamped += n;
        return (uint64_t)h->lowest;
    }
    if (v > h->highest) {
        h->clamped += n;
        return (uint64_t)h->highest;
    }
    return (uint64_t)v;
}

void hist_record(struct hist *h, int64_t v)
{
    h->counts[index_of(h, clamp_for_index(h, v, 1))]++;
    h->total++;
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
    h->sum += v;
    uint64_t m = magnitude(v);
    hist_u128 sq = (hist_u128)m * m;
    h->sq_lo += sq;
    h->sq_hi += h->sq_lo < sq;
}

void hist_record_n(struct hist *h, int64_t v, uint64_t n)
{
    if (n == 0) return;
    h->counts[index_of(h, clamp_for_index(h, v, n))] += n;
    h->total += n;
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
    h->sum += (hist_i128)v * (hist_i128)n;
    /* v^2 * n < 2^190: multiply the two 64-bit halves of v^2 by n. */
    uint64_t m = magnitude(v);
    hist_u128 sq = (hist_u128)m * m;
    hist_u128 a = (hist_u128)(uint64_t)sq * n;
    hist_u128 b = (hist_u128)(uint64_t)(sq >> 64) * n;
    hist_u128 lo = a + (b << 64);
    uint64_t hi = (uint64_t)(b >> 64) + (lo < a);
    h->sq_lo += lo;
    h->sq_hi += hi + (h->sq_lo < lo);
}

int hist_merge(struct hist *dst, const struct hist *src)
{
    if (dst->lowest != src->lowest || dst->highest != src->highest || dst->sigfigs != src->sigfigs)
        return -1;
    if (src->total == 0) return 0;
    for (size_t i = 0; i < dst->len; i++)
        dst->counts[i] += src->counts[i];
    dst->total += src->total;
    dst->clamped += src->clamped;
    if (src->min < dst->min) dst->min = src->min;
    if (src->max > dst->max) dst->max = src->max;
    dst->sum += src->sum;
    hist_u128 lo = src->sq_lo;
    dst->sq_lo += lo;
    dst->sq_hi += src->sq_hi + (dst->sq_lo < lo);
    return 0;
}

uint64_t hist_count(const struct hist *h)
{
    return h->total;
}

uint64_t hist_count_from(const struct hist *h, int64_t from)
{
    uint64_t n = 0;
    struct hist_iter it;
    if (!h) return 0;
    hist_iter_init(&it, h);
    while (hist_iter_next(&it))
        if (it.from >= from) n += it.count;
    return n;
}

uint64_t hist_clamped(const struct hist *h)
{
    return h->clamped;
}

int64_t hist_min(const struct hist *h)
{
    return h->total ? h->min : 0;
}

int64_t hist_max(const struct hist *h)
{
    return h->total ? h->max : 0;
}

double hist_sum(const struct hist *h)
{
    return (double)(long double)h->sum;
}

double hist_mean(const struct hist *h)
{
    if (!h->total) return 0;
    return (double)((long double)h->sum / (long double)h->total);
}

/* out[0..na+nb) = a[0..na) * b[0..nb), little-endian 64-bit limbs. */
static void mul_limbs(const uint64_t *a, int na, const uint64_t *b, int nb, uint64_t *out)
{
    memset(out, 0, (size_t)(na + nb) * sizeof *out);
    for (int i = 0; i < na; i++) {
        uint64_t carry = 0;
        for (int j = 0; j < nb; j++) {
            hist_u128 t = (hist_u128)a[i] * b[j] + out[i + j] + carry;
            out[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        out[i + nb] = carry;
    }
}

double hist_stddev(const struct hist *h)
{
    if (h->total < 2) return 0;
    /* D = n * sumsq - sum^2 >= 0, exactly, in 256 bits. */
    uint64_t n = h->total;
    uint64_t sq[3] = {(uint64_t)h->sq_lo, (uint64_t)(h->sq_lo >> 64), h->sq_hi};
    hist_u128 s = h->sum < 0 ? 0 - (hist_u128)h->sum : (hist_u128)h->sum;
    uint64_t sm[2] = {(uint64_t)s, (uint64_t)(s >> 64)};
    uint64_t left[4], right[4], d[4];
    mul_limbs(sq, 3, &n, 1, left);
    mul_limbs(sm, 2, sm, 2, right);
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        hist_u128 t = (hist_u128)left[i] - right[i] - borrow;
        d[i] = (uint64_t)t;
        borrow = (uint64_t)(t >> 64) ? 1 : 0;
    }
    if (borrow) /* only if the sums overflowed; cannot happen in range */
        return 0;
    long double dl = 0;
    for (int i = 3; i >= 0; i--)
        dl = dl * 18446744073709551616.0L + (long double)d[i];
    long double nl = (long double)n;
    return (double)sqrtl(dl / nl / nl);
}

int64_t hist_percentile(const struct hist *h, double p)
{
    if (!h->total) return 0;
    if (!(p > 0)) /* also NaN */
        return h->min;
    if (p >= 100) return h->max;
    /* rank = ceil(p/100 * n), ignoring the rounding noise of a decimal p
     * (99.9 is stored as 99.900000000000006). */
    long double x = (long double)p * (long double)h->total / 100.0L;
    long double fl = floorl(x);
    uint64_t rank = (uint64_t)fl;
    if (x - fl > x * 1e-15L) rank++;
    if (rank <= 1) return h->min;
    if (rank >= h->total) return h->max;
    uint64_t seen = 0;
    size_t i = 0;
    for (; i < h->len; i++) {
        seen += h->counts[i];
        if (seen >= rank) break;
    }
    if (i == h->len) /* unreachable: counts add up to total */
        return h->max;
    int64_t lo, hi;
    range_of(h, i, &lo, &hi);
    int64_t mid = lo + (int64_t)(((uint64_t)hi - (uint64_t)lo + 1) / 2);
    if (mid < h->min) mid = h->min;
    if (mid > h->max) mid = h->max;
    return mid;
}

void hist_iter_init(struct hist_iter *it, const struct hist *h)
{
    memset(it, 0, sizeof *it);
    it->h = h;
}

bool hist_iter_next(struct hist_iter *it)
{
    const struct hist *h = it->h;
    if (!h) return false;
    for (size_t i = it->index; i < h->len; i++) {
        if (h->counts[i]) {
            range_of(h, i, &it->from, &it->to);
            it->count = h->counts[i];
            it->index = i + 1;
            return true;
        }
    }
    it->index = h->len;
    return false;
}

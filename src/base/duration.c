/* duration.c: parse and format durations (see duration.h). Parsing walks
 * number+unit pairs, accumulating in double nanoseconds, then range-checks. */
#include "base/duration.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double unit_ns(const char *u, size_t n)
{
    static const struct {
        const char *name;
        double ns;
    } units[] = {{"ns", 1},  {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"ms", 1e6},
                 {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0) return units[i].ns;
    return -1;
}

int duration_parse(const char *s, int64_t *us)
{
    if (!s || !*s) return -1;
    const char *p = s;
    double total_ns = 0;
    /* A bare number (no unit at all) is seconds. */
    char *end;
    double bare = strtod(s, &end);
    if (end != s && *end == '\0' && (s[0] >= '0' && s[0] <= '9')) {
        if (!isfinite(bare) || bare < 0 || bare > 9e12) return -1;
        *us = (int64_t)llround(bare * 1e6);
        return 0;
    }
    while (*p) {
        if (!((*p >= '0' && *p <= '9') || *p == '.')) return -1;
        double v = strtod(p, &end);
        if (end == p) return -1;
        p = end;
        const char *u = p;
        while (*p && !((*p >= '0' && *p <= '9') || *p == '.'))
            p++;
        double mult = unit_ns(u, (size_t)(p - u));
        if (mult < 0) return -1;
        total_ns += v * mult;
    }
    if (!isfinite(total_ns) || total_ns > 9e18) return -1;
    *us = (int64_t)llround(total_ns / 1e3);
    return 0;
}

char *duration_format(int64_t us, char *out, size_t outlen)
{
    if (us == 0) {
        snprintf(out, outlen, "0s");
    } else if (us < 1000) {
        snprintf(out, outlen, "%lldus", (long long)us);
    } else if (us < 1000000) {
        snprintf(out, outlen, "%gms", (double)us / 1e3);
    } else {
        int64_t h = us / 3600000000LL, m = us / 60000000LL % 60;
        double s = (double)(us % 60000000LL) / 1e6;
        size_t n = 0;
        out[0] = '\0';
        if (h) n += (size_t)snprintf(out + n, outlen - n, "%lldh", (long long)h);
        if (h || m) n += (size_t)snprintf(out + n, outlen - n, "%lldm", (long long)m);
        snprintf(out + n, outlen - n, "%gs", s);
    }
    return out;
}

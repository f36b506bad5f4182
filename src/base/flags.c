/* flags.c: Fortio-style flag parsing driven by a table (see flags.h). */
#include "base/flags.h"

#include "base/duration.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/errbuf.h"

static const struct flag *find(const struct flag *t, const char *name, size_t n)
{
    for (; t->name; t++)
        if (strlen(t->name) == n && strncmp(t->name, name, n) == 0) return t;
    return NULL;
}

/* A decimal integer as strtoll(v, &end, 10) with nothing left over would
 * take it: optional leading white space, an optional sign, one or more
 * digits, nothing after them, and in int64_t range. 0 and *out set, or -1
 * (*out untouched). Our own so that `serve` start-up does not fault in
 * libc's strtol pages (idle RSS, issue #3). */
static int parse_int64(const char *v, int64_t *out)
{
    while (*v == ' ' || (*v >= '\t' && *v <= '\r'))
        v++;
    bool neg = *v == '-';
    if (*v == '-' || *v == '+') v++;
    if (*v < '0' || *v > '9') return -1;
    /* accumulate as a negative number: its range holds INT64_MIN */
    int64_t x = 0;
    for (; *v >= '0' && *v <= '9'; v++) {
        int d = *v - '0';
        if (x < (INT64_MIN + d) / 10) return -1;
        x = x * 10 - d;
    }
    if (*v) return -1;
    if (!neg) {
        if (x == INT64_MIN) return -1;
        x = -x;
    }
    *out = x;
    return 0;
}

static int set_value(const struct flag *f, const char *v, char *err, size_t errlen)
{
    char *end;
    switch (f->type) {
    case FLAG_BOOL:
        if (!strcmp(v, "true") || !strcmp(v, "1")) {
            *(bool *)f->dst = true;
        } else if (!strcmp(v, "false") || !strcmp(v, "0")) {
            *(bool *)f->dst = false;
        } else {
            return errbuf_set(err, errlen, "flag -%s: invalid boolean '%s'", f->name, v);
        }
        break;
    case FLAG_INT:
        if (parse_int64(v, (int64_t *)f->dst) < 0)
            return errbuf_set(err, errlen, "flag -%s: invalid integer '%s'", f->name, v);
        break;
    case FLAG_DOUBLE: {
        errno = 0;
        double x = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(x))
            return errbuf_set(err, errlen, "flag -%s: invalid number '%s'", f->name, v);
        *(double *)f->dst = x;
        break;
    }
    case FLAG_STRING:
        *(const char **)f->dst = v;
        break;
    case FLAG_DURATION:
        if (duration_parse(v, (int64_t *)f->dst) < 0)
            return errbuf_set(err, errlen,
                              "flag -%s: invalid duration '%s' (want e.g. 10s, 500ms, 1m)", f->name,
                              v);
        break;
    case FLAG_STRLIST: {
        struct strlist *l = f->dst;
        const char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
        if (!nv) return errbuf_set(err, errlen, "out of memory");
        l->v = nv;
        l->v[l->n++] = v;
        break;
    }
    }
    if (f->seen) *f->seen = true;
    return 0;
}

int flags_parse(const struct flag *table, int argc, char **argv, char **pos, int *npos, char *err,
                size_t errlen)
{
    *npos = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++)
                pos[(*npos)++] = argv[i];
            break;
        }
        if (a[0] != '-' || a[1] == '\0') {
            pos[(*npos)++] = a;
            continue;
        }
        const char *name = a + 1;
        if (*name == '-') name++;
        if (!strcmp(name, "h") || !strcmp(name, "help")) return FLAGS_HELP;
        const char *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        const struct flag *f = find(table, name, n);
        if (!f) return errbuf_set(err, errlen, "unknown flag -%.*s (see --help)", (int)n, name);
        const char *v;
        if (eq) {
            v = eq + 1;
        } else if (f->type == FLAG_BOOL) {
            v = "true";
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            return errbuf_set(err, errlen, "flag -%s needs a value", f->name);
        }
        if (set_value(f, v, err, errlen) < 0) return -1;
    }
    return 0;
}

void flags_usage(FILE *f, const struct flag *t)
{
    for (; t->name; t++) {
        char left[64];
        snprintf(left, sizeof left, "-%s%s%s", t->name, t->metavar ? " " : "",
                 t->metavar ? t->metavar : "");
        fprintf(f, "  %-22s %s\n", left, t->help);
    }
}

void strlist_free(struct strlist *l)
{
    if (!l) return;
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

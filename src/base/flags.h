/* flags.h: table-driven command-line flags in Fortio's spelling.
 *
 * Accepts -name value, -name=value, --name value and --name=value; boolean
 * flags take no value (-k) or an explicit -k=true/false. Positional
 * arguments may appear anywhere; "--" ends flag parsing. The table is the
 * single source for parsing and for --help, so the two cannot drift. */
#ifndef MESHPERF_FLAGS_H
#define MESHPERF_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum flag_type {
    FLAG_BOOL,     /* bool *          */
    FLAG_INT,      /* int64_t *       */
    FLAG_DOUBLE,   /* double *        */
    FLAG_STRING,   /* const char ** (points into argv, not copied) */
    FLAG_DURATION, /* int64_t * microseconds, "10s" "500ms" ... */
    FLAG_STRLIST,  /* struct strlist *, repeatable; free with strlist_free */
};

struct strlist {
    const char **v; /* owned array of pointers into argv */
    size_t n;
};

struct flag {
    const char *name; /* without dashes, e.g. "qps" */
    enum flag_type type;
    void *dst;
    const char *metavar; /* shown in help, e.g. "N"; NULL for bools */
    const char *help;
    bool *seen; /* optional: set true when the flag was given */
};

#define FLAGS_HELP 1 /* flags_parse: -h/--help was given */

/* Parse argv[1..argc-1] against table (terminated by a {NULL} entry).
 * Positional arguments are stored in pos[] (which must hold argc entries),
 * their count in *npos. Returns 0, FLAGS_HELP, or -1 with a one-line
 * message in err naming the flag ("unknown flag -foo",
 * "flag -qps: invalid number 'x'"). */
int flags_parse(const struct flag *table, int argc, char **argv, char **pos, int *npos, char *err,
                size_t errlen);

/* Print the flag table as help text, one flag per line, to f. */
void flags_usage(FILE *f, const struct flag *table);

/* Free a FLAG_STRLIST's array (not the strings, which are argv's). NULL is fine. */
void strlist_free(struct strlist *l);

#endif

/* cmd_report.c: `meshperf report SOURCE... [-o DIR] [--compare label=SOURCE ...]`.
 *
 * Parses flags, turns SOURCE arguments and --compare pairs into
 * report_source entries, opens each source's store (store_open_cached: an
 * s3:// source is read through a local cache keyed by ETag; a bad URI is
 * bad input), and runs report_build (report.c). Sources labelled with a
 * mode name, or mode directories inside one, also give the mesh-overhead
 * figures (report/report_compare.h). Exit codes:
 * 0 report written (warnings for missing files do not change it), 1 no run
 * found or the output could not be written, 2 bad flags or an unreadable
 * source. */
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "base/errbuf.h"
#include "base/exitcode.h"
#include "base/flags.h"
#include "report/report.h"
#include "store/store.h"

static void usage(FILE *f, const struct flag *table)
{
    fprintf(f,
            "usage: meshperf report SOURCE... [-o DIR] [-compare label=SOURCE ...]\n\n"
            "Charts (PNG, and inline SVG in one self-contained index.html) and summary.csv\n"
            "from results trees. SOURCE is a results tree root (<test>/<ts>/ below it) or\n"
            "one <test>/<ts> directory, or s3://bucket/prefix (read through a local cache\n"
            "keyed by ETag in $XDG_CACHE_HOME/meshperf/s3/). Over results of `meshperf run\n"
            "--modes` (mode directories baseline/, both/, ... at the top, or sources\n"
            "labelled -compare baseline=DIR -compare both=DIR), also the mesh's overhead\n"
            "(compare.csv and the page's Mesh overhead section). See docs/REPORT.md.\n\nflags:\n");
    flags_usage(f, table);
}

int cmd_report(int argc, char **argv)
{
    const char *out = "report", *mem = NULL, *cpu = NULL;
    int64_t run_charts = 20;
    bool chart_data = false;
    struct strlist cmp = {0};
    const struct flag table[] = {
        {"o", FLAG_STRING, &out, "DIR", "output directory (created; default ./report)", NULL},
        {"compare", FLAG_STRLIST, &cmp, "LABEL=SOURCE",
         "add a source under a label; sources are overlaid in comparison charts (repeatable); "
         "a label that is a mode (baseline, both, serveronly, clientonly) makes it that mode's "
         "results",
         NULL},
        {"run-charts", FLAG_INT, &run_charts, "N",
         "per-run charts for the first N runs (default 20; -1 = all)", NULL},
        {"memory-metric", FLAG_STRING, &mem, "NAME",
         "metric CSV (without .csv) giving memory per node (default: a *memory* CSV)", NULL},
        {"cpu-metric", FLAG_STRING, &cpu, "NAME",
         "metric CSV giving CPU per node (default: a *cpu* CSV)", NULL},
        {"chart-data", FLAG_BOOL, &chart_data, NULL,
         "also write each chart's points as fig-NNN-<what>.csv (series,x,y)", NULL},
        {0},
    };
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) {
        fprintf(stderr, "meshperf report: out of memory\n");
        return EXIT_FAILED;
    }
    int npos = 0, rc = EXIT_USAGE;
    char err[ERRBUF_LEN];
    struct report_source *src = NULL;
    size_t nsrc = 0;
    int fr = flags_parse(table, argc, argv, pos, &npos, err, sizeof err);
    if (fr == FLAGS_HELP) {
        usage(stdout, table);
        rc = EXIT_OK;
        goto out;
    }
    if (fr < 0) {
        fprintf(stderr, "meshperf report: %s\n", err);
        goto out;
    }
    nsrc = (size_t)npos + cmp.n;
    if (!nsrc) {
        fprintf(stderr, "meshperf report: no SOURCE given (a results directory; see --help)\n");
        goto out;
    }
    if (!*out) {
        fprintf(stderr, "meshperf report: flag -o: empty directory name\n");
        goto out;
    }
    src = calloc(nsrc, sizeof *src);
    if (!src) {
        fprintf(stderr, "meshperf report: out of memory\n");
        rc = EXIT_FAILED;
        goto out;
    }
    size_t k = 0;
    for (int i = 0; i < npos; i++, k++)
        src[k] = (struct report_source){pos[i], pos[i], NULL};
    for (size_t i = 0; i < cmp.n; i++, k++) {
        const char *eq = strchr(cmp.v[i], '=');
        if (!eq || eq == cmp.v[i] || !eq[1]) {
            fprintf(stderr, "meshperf report: flag -compare: want LABEL=SOURCE, got '%s'\n",
                    cmp.v[i]);
            goto out;
        }
        /* the label is the part before '=': cut it in place in argv */
        ((char *)cmp.v[i])[eq - cmp.v[i]] = '\0';
        src[k] = (struct report_source){cmp.v[i], eq + 1, NULL};
    }
    for (size_t i = 0; i < nsrc; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(src[i].label, src[j].label)) {
                fprintf(stderr, "meshperf report: source label '%s' given twice\n", src[i].label);
                goto out;
            }
    curl_global_init(CURL_GLOBAL_DEFAULT); /* for s3:// sources */
    for (size_t i = 0; i < nsrc; i++)
        if (!(src[i].store = store_open_cached(src[i].path, err, sizeof err))) {
            fprintf(stderr, "meshperf report: %s\n", err);
            goto out;
        }
    struct report_opts o = {
        out, run_charts < 0 ? -1 : (int)(run_charts > 1000000 ? 1000000 : run_charts), mem, cpu,
        chart_data};
    int br = report_build(&o, src, nsrc, stderr, err, sizeof err);
    if (br == 0) {
        printf("meshperf report: wrote %s/index.html\n", out);
        rc = EXIT_OK;
    } else {
        fprintf(stderr, "meshperf report: %s\n", err);
        rc = br == 2 ? EXIT_USAGE : EXIT_FAILED;
    }
out:
    for (size_t i = 0; src && i < nsrc; i++)
        store_free(src[i].store);
    curl_global_cleanup();
    free(src);
    free(pos);
    strlist_free(&cmp);
    return rc;
}

/* cmd_results.c: `meshperf results push|pull|ls`: move a results tree
 * between a local directory and a store (S3 above all), the way the
 * original's analysis used `aws s3 sync`.
 *
 *   push DIR URI      copy every file of DIR to URI (store_sync: objects
 *                     already identical there are skipped)
 *   pull URI DIR      the other way
 *   ls URI [PREFIX]   one line per object: size, ETag, key
 *
 * URI is anything store_open takes (s3://bucket/prefix, a directory).
 * Exit codes: 0 done; 1 a transfer or listing failed (the line names the
 * object and S3's error code; what was not copied is counted); 2 bad
 * arguments, a missing DIR, or a store that cannot be opened (no
 * credentials). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/errbuf.h"
#include "base/exitcode.h"
#include "base/flags.h"
#include "cmd/cmd.h"
#include "store/store.h"
#include "store/store_sync.h"

static void cmd_results_usage(FILE *f)
{
    fprintf(f, "usage: meshperf results push DIR URI | pull URI DIR | ls URI [PREFIX]\n\n"
               "Move a results tree (<test>/<driver_ts>/...) between a directory and a store.\n"
               "URI: s3://bucket/prefix (credentials, region and endpoint as the AWS CLI reads\n"
               "them: AWS_* variables, ~/.aws/credentials and ~/.aws/config) or a directory.\n\n"
               "  push DIR URI      upload every file of DIR; objects already identical\n"
               "                    (same size and MD5/ETag) are skipped\n"
               "  pull URI DIR      download into DIR, skipping identical files\n"
               "  ls URI [PREFIX]   list objects: size, ETag, key\n\n"
               "exit codes: 0 ok, 1 a transfer failed, 2 bad arguments or no credentials\n");
}

/* Open uri or say why. */
static struct store *cmd_results_open(const char *sub, const char *uri)
{
    char err[ERRBUF_LEN];
    struct store *s = store_open(uri, err, sizeof err);
    if (!s) fprintf(stderr, "meshperf results %s: %s\n", sub, err);
    return s;
}

static int cmd_results_sync(const char *sub, const char *from, const char *to)
{
    const char *dir = !strcmp(sub, "push") ? from : NULL;
    struct stat st;
    if (dir && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))) {
        fprintf(stderr, "meshperf results push: %s: not a directory\n", dir);
        return EXIT_USAGE;
    }
    struct store *src = cmd_results_open(sub, from);
    struct store *dst = src ? cmd_results_open(sub, to) : NULL;
    if (!dst) {
        store_free(src);
        return EXIT_USAGE;
    }
    char err[ERRBUF_LEN], where[4096];
    struct store_sync_result r;
    int rc = store_sync(src, dst, "", &r, err, sizeof err);
    store_where(dst, NULL, where, sizeof where);
    if (rc < 0) {
        fprintf(stderr, "meshperf results %s: %s\n", sub, err);
        fprintf(stderr,
                "meshperf results %s: %zu copied, %zu identical skipped, %zu not copied to %s\n",
                sub, r.copied, r.skipped, r.left, where);
    } else {
        printf("meshperf results %s: %zu copied (%llu bytes), %zu identical skipped: %s\n", sub,
               r.copied, (unsigned long long)r.bytes, r.skipped, where);
    }
    store_free(src);
    store_free(dst);
    return rc < 0 ? EXIT_FAILED : EXIT_OK;
}

static int cmd_results_ls(const char *uri, const char *prefix)
{
    if (prefix) {
        size_t n = strlen(prefix);
        char *p = strdup(prefix);
        if (!p) return EXIT_FAILED;
        while (n && p[n - 1] == '/')
            p[--n] = '\0';
        prefix = p;
        if (p[0] && !store_key_ok(p)) {
            fprintf(stderr, "meshperf results ls: bad PREFIX '%s'\n", p);
            free(p);
            return EXIT_USAGE;
        }
    }
    struct store *s = cmd_results_open("ls", uri);
    if (!s) {
        free((char *)prefix);
        return EXIT_USAGE;
    }
    char err[ERRBUF_LEN];
    struct store_list *l = NULL;
    int rc = store_list(s, prefix ? prefix : "", &l, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "meshperf results ls: %s\n", err);
    } else {
        for (size_t i = 0; i < l->n; i++)
            printf("%12llu  %-34s  %s\n", (unsigned long long)l->v[i].size,
                   l->v[i].etag[0] ? l->v[i].etag : "-", l->v[i].key);
    }
    store_list_free(l);
    store_free(s);
    free((char *)prefix);
    return rc < 0 ? EXIT_FAILED : EXIT_OK;
}

int cmd_results(int argc, char **argv)
{
    const struct flag table[] = {{NULL, 0, NULL, NULL, NULL, NULL}};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos) return EXIT_FAILED;
    int npos = 0, code = EXIT_USAGE;
    char err[ERRBUF_LEN];
    int fr = flags_parse(table, argc, argv, pos, &npos, err, sizeof err);
    const char *sub = npos ? pos[0] : "";
    if (fr == FLAGS_HELP) {
        cmd_results_usage(stdout);
        code = EXIT_OK;
    } else if (fr < 0) {
        fprintf(stderr, "meshperf results: %s\n", err);
    } else if ((!strcmp(sub, "push") || !strcmp(sub, "pull")) && npos == 3) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        code = cmd_results_sync(sub, pos[1], pos[2]);
        curl_global_cleanup();
    } else if (!strcmp(sub, "ls") && (npos == 2 || npos == 3)) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        code = cmd_results_ls(pos[1], npos == 3 ? pos[2] : NULL);
        curl_global_cleanup();
    } else if (!npos) {
        fprintf(stderr, "meshperf results: want push, pull or ls (see --help)\n");
    } else if (!strcmp(sub, "push") || !strcmp(sub, "pull") || !strcmp(sub, "ls")) {
        fprintf(stderr, "meshperf results %s: wrong number of arguments (see --help)\n", sub);
    } else {
        fprintf(stderr, "meshperf results: unknown subcommand '%s' (want push, pull or ls)\n", sub);
    }
    free(pos);
    return code;
}

/* cmd_certs.c: `meshperf certs -o DIR`: the certificates of a TLS mesh
 * (platform/pki.h) written to DIR, for running `meshperf serve -tls-*` by
 * hand, curl --cacert/--cert, or any other proxy: a CA, one certificate per
 * node (names 0..N-1 from -nodes, or -names) and one client certificate.
 * Prints the files written, one per line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/errbuf.h"
#include "base/exitcode.h"
#include "base/flags.h"
#include "cmd/cmd.h"
#include "platform/pki.h"

#define CERTS_MAX_NODES 10000

static void usage(FILE *f, const struct flag *t)
{
    fprintf(f, "usage: meshperf certs -o DIR [-nodes N | -names A,B,...] [flags]\n\n"
               "A CA and one certificate per node (EC P-256; SANs node-X, service-X,\n"
               "service-X.NS, service-X.NS.svc, service-X.NS.svc.cluster.local and 127.0.0.1;\n"
               "serverAuth and clientAuth), and a client certificate, as PEM files in DIR:\n"
               "ca.crt ca.key node-X.crt node-X.key client.crt client.key (keys 0600).\n\n"
               "flags:\n");
    flags_usage(f, t);
}

/* Split a comma-separated list into *names (pointers into the copy *buf).
 * Returns the count, or -1 on out of memory. */
static long split_names(const char *list, char **buf, const char ***names)
{
    *buf = strdup(list);
    *names = calloc(strlen(list) / 2 + 2, sizeof **names);
    if (!*buf || !*names) return -1;
    long n = 0;
    for (char *save = NULL, *t = strtok_r(*buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        (*names)[n++] = t;
    return n;
}

int cmd_certs(int argc, char **argv)
{
    const char *out = NULL, *names_list = NULL, *ns = "tls-e2e";
    int64_t nodes = 0, days = PKI_DEFAULT_DAYS;
    bool loopback = true, nodes_seen = false;
    const struct flag table[] = {
        {"o", FLAG_STRING, &out, "DIR", "write the files here (created if missing; required)",
         NULL},
        {"nodes", FLAG_INT, &nodes, "N", "certificates for nodes 0..N-1", &nodes_seen},
        {"names", FLAG_STRING, &names_list, "LIST",
         "certificates for these node names (backends_map's), comma-separated", NULL},
        {"namespace", FLAG_STRING, &ns, "NS",
         "namespace in the service names (default tls-e2e, the original's)", NULL},
        {"days", FLAG_INT, &days, "N", "validity in days (default 365)", NULL},
        {"loopback", FLAG_BOOL, &loopback, NULL,
         "add IP 127.0.0.1 to every node certificate (default true; -loopback=false: not)", NULL},
        {NULL, 0, NULL, NULL, NULL, NULL},
    };
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    char err[ERRBUF_LEN] = "";
    if (!pos) return EXIT_FAILED;
    int rc = flags_parse(table, argc, argv, pos, &npos, err, sizeof err);
    free(pos);
    if (rc == FLAGS_HELP) {
        usage(stdout, table);
        return EXIT_OK;
    }
    if (rc < 0 || npos > 0) {
        fprintf(stderr, "meshperf certs: %s\n", rc < 0 ? err : "unexpected argument");
        return EXIT_USAGE;
    }
    if (!out || !*out) {
        fprintf(stderr, "meshperf certs: flag -o: missing (the directory to write)\n");
        return EXIT_USAGE;
    }
    if (nodes_seen == (names_list != NULL)) {
        fprintf(stderr, "meshperf certs: give one of -nodes N and -names LIST\n");
        return EXIT_USAGE;
    }
    if (nodes_seen && (nodes < 1 || nodes > CERTS_MAX_NODES)) {
        fprintf(stderr, "meshperf certs: flag -nodes: want 1..%d, got %lld\n", CERTS_MAX_NODES,
                (long long)nodes);
        return EXIT_USAGE;
    }
    if (days < 1 || days > 36500) {
        fprintf(stderr, "meshperf certs: flag -days: want 1..36500, got %lld\n", (long long)days);
        return EXIT_USAGE;
    }
    char *buf = NULL, *numbers = NULL;
    const char **names = NULL;
    long n;
    if (names_list) {
        n = split_names(names_list, &buf, &names);
    } else {
        n = (long)nodes;
        names = calloc((size_t)n, sizeof *names);
        numbers = calloc((size_t)n, 16);
        for (long i = 0; names && numbers && i < n; i++) {
            snprintf(numbers + 16 * i, 16, "%d", (int)i);
            names[i] = numbers + 16 * i;
        }
        if (!names || !numbers) n = -1;
    }
    struct pki *p = NULL;
    if (n < 0) {
        fprintf(stderr, "meshperf certs: out of memory\n");
        rc = EXIT_FAILED;
    } else if (n == 0) {
        fprintf(stderr, "meshperf certs: flag -names: no names in '%s'\n", names_list);
        rc = EXIT_USAGE;
    } else {
        struct pki_opts o = {names, (size_t)n, ns, loopback, (int)days};
        if (pki_check_opts(&o, err, sizeof err) < 0)
            rc = EXIT_USAGE;
        else if (!(p = pki_new(&o, err, sizeof err)) || pki_write_dir(p, out, err, sizeof err) < 0)
            rc = EXIT_FAILED;
        else
            rc = EXIT_OK;
        if (rc != EXIT_OK) fprintf(stderr, "meshperf certs: %s\n", err);
    }
    if (rc == EXIT_OK) {
        printf("%s/ca.crt\n%s/ca.key\n", out, out);
        for (long i = 0; i < n; i++)
            printf("%s/node-%s.crt\n%s/node-%s.key\n", out, names[i], out, names[i]);
        printf("%s/client.crt\n%s/client.key\n", out, out);
    }
    pki_free(p);
    free(names);
    free(numbers);
    free(buf);
    return rc;
}

/* cmd_render.c: `meshperf render [config.json] --mesh M ...`: the
 * Kubernetes manifests of the config's graph for one mesh flavour
 * (platform/render.h), as one multi-document YAML stream on stdout or, with
 * -o DIR, one file per object (whose paths are printed). Only flags and
 * wiring here. Config warnings go to stderr; every error is one line. */
#include <stdio.h>
#include <stdlib.h>

#include "base/errbuf.h"
#include "base/exitcode.h"
#include "base/flags.h"
#include "cmd/cmd.h"
#include "model/config.h"
#include "platform/render.h"

#define CMD_RENDER_DEFAULT_CONFIG "examples/config.json"

static void usage(FILE *f, const struct flag *t)
{
    fprintf(f,
            "usage: meshperf render [config.json] --mesh MESH [flags]   (default %s)\n\n"
            "Print the Kubernetes manifests of the config's backends_map for one mesh:\n"
            "appmesh (Mesh, VirtualNodes, VirtualServices; TLS from Secrets, as the\n"
            "original), istio (sidecars; PeerAuthentication STRICT with TLS on),\n"
            "istio-ambient (ztunnel; --waypoint adds a waypoint Gateway), linkerd, or none.\n"
            "Per node N: Deployment and Service node-N, Service service-N, running\n"
            "`" RENDER_IMAGE_BINARY " serve` from --image; the load generator `" RENDER_LOADGEN_NAME
            "` runs\n"
            "`" RENDER_IMAGE_BINARY " serve -rest`. Every object is labelled " RENDER_LABEL_RUN
            "=RUN_ID.\n"
            "The same input gives the same bytes, except appmesh with TLS and no --certs\n"
            "(new certificates every time).\n\n"
            "flags:\n",
            CMD_RENDER_DEFAULT_CONFIG);
    flags_usage(f, t);
    fprintf(f, "\nexit codes: 0 ok, 1 a write failed, 2 bad flags, config or --certs\n");
}

int cmd_render(int argc, char **argv)
{
    struct render_opts o = {0};
    const char *outdir = NULL;
    const struct flag table[] = {
        {"mesh", FLAG_STRING, &o.mesh, "MESH",
         "appmesh | istio | istio-ambient | linkerd | none (required)", NULL},
        {"namespace", FLAG_STRING, &o.ns, "NS",
         "namespace (default: the config's, tls-e2e or mtls-e2e as the original)", NULL},
        {"image", FLAG_STRING, &o.image, "IMAGE",
         "the image with " RENDER_IMAGE_BINARY " on its PATH (default " RENDER_DEFAULT_IMAGE ")",
         NULL},
        {"certs", FLAG_STRING, &o.certs_dir, "DIR",
         "appmesh with TLS: the CA and certificates from DIR (`meshperf certs -o DIR "
         "-names ...`) instead of new ones",
         NULL},
        {"waypoint", FLAG_BOOL, &o.waypoint, NULL,
         "istio-ambient: add a waypoint (Gateway of class istio-waypoint)", NULL},
        {"run-id", FLAG_STRING, &o.run_id, "ID",
         "value of the label " RENDER_LABEL_RUN " on every object (default " RENDER_DEFAULT_RUN_ID
         ")",
         NULL},
        {"o", FLAG_STRING, &outdir, "DIR",
         "write one file per object into DIR (NN-kind-name.yaml) instead of stdout", NULL},
        {NULL, 0, NULL, NULL, NULL, NULL},
    };
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    char err[ERRBUF_LEN] = "";
    if (!pos) return EXIT_FAILED;
    int rc = flags_parse(table, argc, argv, pos, &npos, err, sizeof err);
    const char *path = npos == 1 ? pos[0] : CMD_RENDER_DEFAULT_CONFIG;
    free(pos);
    if (rc == FLAGS_HELP) {
        usage(stdout, table);
        return EXIT_OK;
    }
    if (rc < 0 || npos > 1) {
        fprintf(stderr, "meshperf render: %s\n", rc < 0 ? err : "more than one config file given");
        return EXIT_USAGE;
    }
    if (!o.mesh) {
        fprintf(stderr, "meshperf render: flag -mesh: missing (appmesh, istio, istio-ambient, "
                        "linkerd, none)\n");
        return EXIT_USAGE;
    }
    if (render_check_mesh(o.mesh, err, sizeof err) < 0) {
        fprintf(stderr, "meshperf render: flag -mesh: %s\n", err);
        return EXIT_USAGE;
    }
    if (outdir && !*outdir) {
        fprintf(stderr, "meshperf render: flag -o: empty directory name\n");
        return EXIT_USAGE;
    }
    struct config *cfg = NULL;
    if (config_load_file(path, &cfg, err, sizeof err) < 0) {
        fprintf(stderr, "meshperf render: %s\n", err);
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < cfg->nwarnings; i++)
        fprintf(stderr, "%s\n", cfg->warnings[i]);
    struct render_set *s = NULL;
    if (render_manifests(cfg, &o, &s, err, sizeof err) < 0) {
        fprintf(stderr, "meshperf render: %s\n", err);
        config_free(cfg);
        return EXIT_USAGE;
    }
    rc = outdir ? render_write_dir(s, outdir, err, sizeof err)
                : render_write_stream(s, stdout, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "meshperf render: %s\n", err);
    } else if (outdir) {
        for (size_t i = 0; i < s->n; i++) {
            char name[300];
            render_write_file_name(s, i, name, sizeof name);
            printf("%s/%s\n", outdir, name);
        }
    }
    render_set_free(s);
    config_free(cfg);
    return rc < 0 ? EXIT_FAILED : EXIT_OK;
}

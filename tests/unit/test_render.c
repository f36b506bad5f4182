/* Unit tests for render.c and its flavours, through render.h (the
 * contract the Kubernetes platform codes against): mesh names and their
 * CRDs, the objects and their apply order, the run label on every object,
 * BACKENDS and VirtualNode backends of a node that lists a backend twice,
 * option and certificate errors, fresh certificates, and the writers. */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model/config.h"
#include "platform/render.h"

static struct config *parse(const char *json)
{
    struct config *cfg = NULL;
    char err[512] = "";
    if (config_parse(json, strlen(json), "t.json", &cfg, err, sizeof err) < 0)
        fail_msg("config: %s", err);
    return cfg;
}

static const char *const diamond =
    "{\"backends_map\": {\"0\": [\"1\", \"1\", \"2\"], \"1\": [], \"2\": []},"
    " \"ReplicasPerVirtualNode\": 3, \"load_tests\": [{\"test_name\": \"x\"}]}";

static void test_mesh_names(void **state)
{
    char err[256] = "";
    const char *known[] = {"appmesh", "istio", "istio-ambient", "linkerd", "none"};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(render_check_mesh(known[i], err, sizeof err), 0);
    assert_int_equal(render_check_mesh("consul", err, sizeof err), -1);
    assert_string_equal(err, "unknown mesh \"consul\" (known: appmesh, istio, istio-ambient, "
                             "linkerd, none)");
    assert_int_equal(render_check_mesh(NULL, err, sizeof err), -1);

    size_t n = 99;
    const char *const *c = render_required_crds("appmesh", &n);
    assert_int_equal(n, 3);
    assert_string_equal(c[0], "meshes.appmesh.k8s.aws");
    assert_string_equal(c[1], "virtualnodes.appmesh.k8s.aws");
    assert_string_equal(c[2], "virtualservices.appmesh.k8s.aws");
    c = render_required_crds("istio-ambient", &n);
    assert_int_equal(n, 1);
    assert_string_equal(c[0], "peerauthentications.security.istio.io");
    c = render_required_crds("linkerd", &n); /* none rendered: its control plane's */
    assert_int_equal(n, 1);
    assert_string_equal(c[0], "serviceprofiles.linkerd.io");
    render_required_crds("none", &n);
    assert_int_equal(n, 0);
    render_required_crds("nosuch", &n);
    assert_int_equal(n, 0);
}

/* "Kind/name" of every document, space-separated, into out. */
static void kinds(const struct render_set *s, char *out, size_t outlen)
{
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->n && off < outlen; i++)
        off += (size_t)snprintf(out + off, outlen - off, "%s%s/%s", i ? " " : "", s->docs[i].kind,
                                s->docs[i].name);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_appmesh_objects(void **state)
{
    struct config *cfg = parse(diamond);
    struct render_opts o = {.mesh = "appmesh", .ns = "perf", .run_id = "r-42"};
    struct render_set *s = NULL;
    char err[512] = "";
    assert_int_equal(render_manifests(cfg, &o, &s, err, sizeof err), 0);
    char list[2048];
    kinds(s, list, sizeof list);
    assert_string_equal(list, "Namespace/perf Mesh/perf VirtualNode/node-0 VirtualNode/node-1 "
                              "VirtualNode/node-2 VirtualNode/fortio VirtualService/service-0 "
                              "VirtualService/service-1 VirtualService/service-2 Service/node-0 "
                              "Service/service-0 Service/node-1 Service/service-1 Service/node-2 "
                              "Service/service-2 Service/fortio Deployment/node-1 "
                              "Deployment/node-2 Deployment/node-0 Deployment/fortio");
    for (size_t i = 0; i < s->n; i++) {
        const struct render_doc *d = &s->docs[i];
        if (!strstr(d->yaml, "\n    " RENDER_LABEL_RUN ": r-42\n"))
            fail_msg("%s/%s: no run label:\n%s", d->kind, d->name, d->yaml);
        bool cluster = !strcmp(d->kind, "Namespace") || !strcmp(d->kind, "Mesh");
        assert_int_equal(d->namespaced, !cluster);
        assert_int_equal(count(d->yaml, "namespace: perf\n"), cluster ? 0 : 1);
        assert_int_equal(strlen(d->yaml), d->len);
        assert_int_equal(d->yaml[d->len - 1], '\n');
    }
    /* node-0 calls node-1 twice: twice in BACKENDS, once as a VirtualNode backend */
    const char *vn0 = s->docs[2].yaml, *dep0 = s->docs[18].yaml;
    assert_int_equal(count(vn0, "name: service-1\n"), 1);
    assert_int_equal(count(vn0, "name: service-2\n"), 1);
    assert_non_null(strstr(dep0, "value: http://service-1.perf.svc.cluster.local:9080,"
                                 "http://service-1.perf.svc.cluster.local:9080,"
                                 "http://service-2.perf.svc.cluster.local:9080\n"));
    assert_non_null(strstr(dep0, "replicas: 3\n"));
    assert_null(strstr(dep0, "secretMounts")); /* TLS off */
    /* the load generator: every VirtualService, one replica, REST on */
    const char *vnlg = s->docs[5].yaml, *deplg = s->docs[19].yaml;
    assert_int_equal(count(vnlg, "virtualServiceRef:"), 3);
    assert_non_null(strstr(deplg, "replicas: 1\n"));
    assert_non_null(
        strstr(deplg, "- -rest-allow\n            - loopback,*.perf.svc.cluster.local\n"));
    render_set_free(s);
    config_free(cfg);
}

static void test_flavour_namespaces(void **state)
{
    struct config *cfg = parse(diamond);
    struct {
        const char *mesh;
        bool waypoint;
        const char *want;
    } cases[] = {
        {"istio", false, "    istio-injection: enabled\n"},
        {"istio-ambient", false, "    istio.io/dataplane-mode: ambient\n"},
        {"istio-ambient", true, "    istio.io/use-waypoint: waypoint\n"},
        {"linkerd", false, "  annotations:\n    linkerd.io/inject: enabled\n"},
        {"none", false, "  labels:\n    meshperf.io/run: meshperf\n---"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct render_opts o = {.mesh = cases[i].mesh, .waypoint = cases[i].waypoint};
        struct render_set *s = NULL;
        char err[512] = "";
        assert_int_equal(render_manifests(cfg, &o, &s, err, sizeof err), 0);
        char *text;
        size_t len;
        FILE *f = open_memstream(&text, &len);
        assert_int_equal(render_write_stream(s, f, err, sizeof err), 0);
        fclose(f);
        if (!strstr(text, cases[i].want))
            fail_msg("%s: want [%s] in\n%s", cases[i].mesh, cases[i].want, text);
        assert_string_equal(s->docs[0].kind, "Namespace");
        assert_string_equal(s->docs[0].name, "tls-e2e");
        /* TLS off: no PeerAuthentication, no Secret */
        assert_null(strstr(text, "PeerAuthentication"));
        assert_null(strstr(text, "kind: Secret"));
        assert_int_equal(count(text, "kind: Gateway"), cases[i].waypoint ? 1 : 0);
        free(text);
        render_set_free(s);
    }
    config_free(cfg);
}

static void test_option_errors(void **state)
{
    struct config *cfg = parse(diamond);
    struct {
        struct render_opts o;
        const char *want;
    } cases[] = {
        {{.mesh = "kuma"}, "unknown mesh \"kuma\""},
        {{.mesh = "none", .ns = "-x"}, "namespace \"-x\": not a Kubernetes namespace name"},
        {{.mesh = "none", .image = "a b"}, "image \"a b\": want 1-512 characters, no spaces"},
        {{.mesh = "none", .run_id = "bad/id"}, "run id \"bad/id\": not a label value"},
        {{.mesh = "istio", .waypoint = true}, "waypoint: only with mesh istio-ambient, not istio"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct render_set *s = (struct render_set *)1;
        char err[512] = "";
        assert_int_equal(render_manifests(cfg, &cases[i].o, &s, err, sizeof err), -1);
        assert_null(s);
        if (!strstr(err, cases[i].want)) fail_msg("got '%s', want '%s'", err, cases[i].want);
    }
    config_free(cfg);
}

static void test_certs(void **state)
{
    struct config *cfg = parse("{\"IsTLSEnabled\": true, \"backends_map\": {\"0\": []},"
                               " \"load_tests\": [{\"test_name\": \"x\"}]}");
    char dir[] = "/tmp/meshperf-render-XXXXXX", path[300], err[512] = "";
    assert_non_null(mkdtemp(dir));
    struct render_opts o = {.mesh = "appmesh", .certs_dir = dir};
    struct render_set *s = NULL;
    assert_int_equal(render_manifests(cfg, &o, &s, err, sizeof err), -1);
    snprintf(path, sizeof path, "%s/ca.crt: cannot read: No such file or directory", dir);
    assert_string_equal(err, path);

    snprintf(path, sizeof path, "%s/ca.crt", dir);
    FILE *f = fopen(path, "w");
    fputs("not pem\n", f);
    fclose(f);
    assert_int_equal(render_manifests(cfg, &o, &s, err, sizeof err), -1);
    snprintf(path, sizeof path, "%s/ca.crt: not a PEM certificate", dir);
    assert_string_equal(err, path);
    snprintf(path, sizeof path, "%s/ca.crt", dir);
    unlink(path);
    rmdir(dir);

    /* no certs_dir: fresh ones, a Secret per node and the load generator's */
    o.certs_dir = NULL;
    assert_int_equal(render_manifests(cfg, &o, &s, err, sizeof err), 0);
    assert_string_equal(s->docs[2].kind, "Secret");
    assert_string_equal(s->docs[2].name, "node-0-tls");
    assert_string_equal(s->docs[3].name, "fortio-tls");
    assert_non_null(
        strstr(s->docs[2].yaml, "  node-0_key.pem: |\n    -----BEGIN PRIVATE KEY-----\n"));
    assert_int_equal(count(s->docs[2].yaml, "BEGIN CERTIFICATE"), 3); /* CA, then leaf + CA */
    render_set_free(s);
    config_free(cfg);
}

static void test_file_names(void **state)
{
    /* 60 nodes, none: 1 + 121 + 61 documents, so three digits */
    char json[4096];
    size_t off = (size_t)snprintf(json, sizeof json, "{\"backends_map\": {");
    for (int i = 0; i < 60; i++)
        off += (size_t)snprintf(json + off, sizeof json - off, "%s\"%d\": []", i ? ", " : "", i);
    snprintf(json + off, sizeof json - off, "}, \"load_tests\": [{\"test_name\": \"x\"}]}");
    struct config *cfg = parse(json);
    struct render_opts o = {.mesh = "none"};
    struct render_set *s = NULL;
    char err[512] = "", name[300];
    assert_int_equal(render_manifests(cfg, &o, &s, err, sizeof err), 0);
    assert_int_equal(s->n, 183);
    render_write_file_name(s, 0, name, sizeof name);
    assert_string_equal(name, "000-namespace-tls-e2e.yaml");
    render_write_file_name(s, 182, name, sizeof name);
    assert_string_equal(name, "182-deployment-fortio.yaml");

    char dir[] = "/tmp/meshperf-render-XXXXXX";
    assert_non_null(mkdtemp(dir));
    assert_int_equal(render_write_dir(s, dir, err, sizeof err), 0);
    char path[400];
    snprintf(path, sizeof path, "%s/182-deployment-fortio.yaml", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((size_t)st.st_size, s->docs[182].len);
    for (size_t i = 0; i < s->n; i++) {
        render_write_file_name(s, i, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        assert_int_equal(unlink(path), 0);
    }
    assert_int_equal(rmdir(dir), 0); /* nothing else was written */
    render_set_free(s);
    render_set_free(NULL);
    config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mesh_names),
        cmocka_unit_test(test_appmesh_objects),
        cmocka_unit_test(test_flavour_namespaces),
        cmocka_unit_test(test_option_errors),
        cmocka_unit_test(test_certs),
        cmocka_unit_test(test_file_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

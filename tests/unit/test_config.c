/* Unit tests for config.c: the fixtures under tests/data/config (every
 * bad/<name>.json must fail with exactly the line in bad/<name>.err; every
 * good/ fixture must parse), plus the values, defaults and key rules.
 * Fixture paths are relative to the repository root (tests/run.sh runs
 * there); MESHPERF_TEST_DATA overrides the directory. */
#include "cm.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/topology.h"

static const char *data_dir(void)
{
    const char *d = getenv("MESHPERF_TEST_DATA");
    return d ? d : "tests/data/config";
}

/* Whole file into a malloc'd buffer; NULL if unreadable. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) b = realloc(b, (cap *= 2) + 1);
    }
    fclose(f);
    if (b) b[n] = '\0';
    *len = n;
    return b;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the *.json files in dir (NULL-terminated, malloc'd). */
static char **list_json(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d) {
        print_error("cannot open %s (run from the repository root)\n", dir);
        fail();
    }
    char **v = NULL;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) {
            v = realloc(v, (*n + 2) * sizeof *v);
            v[(*n)++] = strdup(e->d_name);
            v[*n] = NULL;
        }
    }
    closedir(d);
    qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

static struct config *parse_str(const char *text, char *err, size_t errlen)
{
    struct config *c = NULL;
    int rc = config_parse(text, strlen(text), "config.json", &c, err, errlen);
    if (rc < 0) assert_null(c);
    return c;
}

static struct config *must_parse(const char *text)
{
    char err[512] = "";
    struct config *c = parse_str(text, err, sizeof err);
    if (!c) print_error("unexpected error: %s\n", err);
    assert_non_null(c);
    return c;
}

static void test_bad_fixtures(void **state)
{
    char dir[512], path[1024];
    snprintf(dir, sizeof dir, "%s/bad", data_dir());
    size_t n, failures = 0;
    char **names = list_json(dir, &n);
    for (size_t i = 0; i < n; i++) {
        size_t len, elen;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        char *text = slurp(path, &len);
        assert_non_null(text);
        snprintf(path + strlen(path) - 5, 6, ".err");
        char *want = slurp(path, &elen);
        if (!want) {
            print_error("%s: no .err file\n", names[i]);
            failures++;
            free(text);
            continue;
        }
        if (elen && want[elen - 1] == '\n') want[--elen] = '\0';
        assert_null(strchr(want, '\n')); /* exactly one line */
        struct config *c = (struct config *)1;
        char err[512] = "";
        int rc = config_parse(text, len, "config.json", &c, err, sizeof err);
        if (rc != -1 || c != NULL || strcmp(err, want) != 0) {
            print_error("%s:\n  want: %s\n  got:  rc=%d %s\n", names[i], want, rc,
                        rc < 0 ? err : "(accepted)");
            failures++;
        }
        config_free(rc == 0 ? c : NULL);
        free(text);
        free(want);
        free(names[i]);
    }
    free(names);
    print_message("%zu bad fixtures checked\n", n);
    assert_true(n >= 18);
    assert_int_equal(failures, 0);

    /* and no .err without its .json */
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".err") == 0) {
            snprintf(path, sizeof path, "%s/%.*s.json", dir, (int)(l - 4), e->d_name);
            FILE *f = fopen(path, "rb");
            if (!f) print_error("%s: no .json file\n", e->d_name);
            assert_non_null(f);
            fclose(f);
        }
    }
    closedir(d);
}

static void test_good_fixtures(void **state)
{
    char dir[512], path[1024];
    snprintf(dir, sizeof dir, "%s/good", data_dir());
    size_t n;
    char **names = list_json(dir, &n);
    assert_true(n >= 4);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct config *c = NULL;
        char err[512] = "";
        int rc = config_load_file(path, &c, err, sizeof err);
        if (rc != 0) print_error("%s: %s\n", names[i], err);
        assert_int_equal(rc, 0);
        assert_non_null(c->topo);
        assert_true(c->ntests >= 1);
        config_free(c);
        free(names[i]);
    }
    free(names);
}

static void test_original(void **state)
{
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/good/original.json", data_dir());
    struct config *c = NULL;
    assert_int_equal(config_load_file(path, &c, err, sizeof err), 0);
    assert_true(c->tls);
    assert_false(c->mtls);
    assert_int_equal(c->replicas, 1);
    assert_int_equal(c->conn_check, 400);
    assert_string_equal(c->ns, "tls-e2e");
    assert_int_equal(c->ntests, 1);
    struct config_test *t = &c->tests[0];
    assert_string_equal(t->name, "experiment16-qps50000-t10-c400");
    assert_string_equal(t->url, "http://service-0.tls-e2e.svc.cluster.local:9080/");
    assert_true(t->qps == 50000.0);
    assert_int_equal(t->duration_us, 10000000);
    assert_int_equal(t->connections, 400);
    assert_int_equal(t->count, 0);
    assert_string_equal(topology_name(c->topo, t->node), "0");
    assert_string_equal(t->path, "/");
    assert_int_equal(topology_count(c->topo), 1);
    /* metrics in file order */
    static const char *const m[] = {
        "envoy_ingress_rate_by_replica_set",      "envoy_2xx_requests_rate_by_replica_set",
        "envoy_4xx_requests_rate_by_replica_set", "envoy_5xx_requests_rate_by_replica_set",
        "envoy_memory_MB_by_replica_set",         "envoy_cpu_usage_seconds_by_replica_set"};
    assert_int_equal(c->nmetrics, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(c->metrics[i].name, m[i]);
    assert_non_null(strstr(c->metrics[4].query, "container_memory_working_set_bytes"));
    /* extension defaults */
    assert_int_equal(c->step_us, 10000000);
    assert_int_equal(c->pause_us, 10000000);
    assert_int_equal(c->sample_us, 1000000);
    assert_int_equal(c->prom, CONFIG_PROM_OFF);
    assert_string_equal(config_prom_str(c), "off");
    assert_true(c->scale_qps == 1.0);
    assert_true(c->tolerance_pct < 0); /* not given: the default */
    assert_int_equal(c->nwarnings, 0);
    /* the bytes, verbatim */
    size_t len;
    char *raw = slurp(path, &len);
    assert_int_equal(c->text_len, len);
    assert_memory_equal(c->text, raw, len);
    assert_int_equal(c->text[len], '\0');
    free(raw);
    config_free(c);
}

static void test_defaults(void **state)
{
    struct config *c =
        must_parse("{\"backends_map\": {\"0\": []}, \"load_tests\": [{\"test_name\": \"d\"}]}");
    struct config_test *t = &c->tests[0];
    assert_string_equal(t->url, "http://service-0.tls-e2e.svc.cluster.local:9080/path-0");
    assert_string_equal(t->path, "/path-0");
    assert_true(t->qps == 100.0);
    assert_int_equal(t->duration_us, 30000000);
    assert_int_equal(t->connections, 1);
    assert_false(c->tls);
    assert_false(c->mtls);
    assert_int_equal(c->replicas, 1);
    assert_int_equal(c->conn_check, 1);
    assert_int_equal(c->nmetrics, 0);
    assert_string_equal(c->ns, "tls-e2e");
    assert_null(c->load_generator);
    assert_null(c->sidecar); /* not given: none */
    config_free(c);

    c = must_parse("{\"backends_map\": {\"0\": []}, \"load_tests\": [{\"test_name\": \"d\"}],"
                   " \"meshperf\": {\"sidecar\": \"haproxy\"}}");
    assert_string_equal(c->sidecar, "haproxy"); /* the name is checked by the command */
    config_free(c);

    c = must_parse("{\"backends_map\": {\"0\": []}, \"IsmTLSEnabled\": true,"
                   " \"load_tests\": [{\"test_name\": \"d\"}]}");
    assert_string_equal(c->ns, "mtls-e2e");
    /* the default URL names tls-e2e: a warning, not an error */
    assert_int_equal(c->nwarnings, 1);
    assert_string_equal(c->warnings[0],
                        "config.json: load_tests[0].url: namespace \"tls-e2e\" differs from "
                        "the topology's \"mtls-e2e\" (matters on Kubernetes only)");
    config_free(c);
}

static void test_case_and_last_wins(void **state)
{
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/good/last_wins.json", data_dir());
    struct config *c = NULL;
    assert_int_equal(config_load_file(path, &c, err, sizeof err), 0);
    assert_int_equal(topology_count(c->topo), 1); /* the second backends_map won */
    assert_true(c->tests[0].qps == 20.0);         /* "QPS" after "qps"; null changes nothing */
    assert_false(c->tls);                         /* "istlsenabled" came last */
    assert_int_equal(c->nwarnings, 1);
    char want[600];
    snprintf(want, sizeof want, "%s: load_tests[0]: unknown key \"typo\" ignored", path);
    assert_string_equal(c->warnings[0], want);
    config_free(c);

    snprintf(path, sizeof path, "%s/good/numbers_and_case.json", data_dir());
    assert_int_equal(config_load_file(path, &c, err, sizeof err), 0);
    assert_int_equal(c->ntests, 2);
    assert_string_equal(c->tests[0].name, "numbers");
    assert_true(c->tests[0].qps == 250.5);
    assert_int_equal(c->tests[0].duration_us, 5000000);
    assert_int_equal(c->tests[0].connections, 8);
    assert_int_equal(c->tests[0].count, 1000);
    assert_string_equal(topology_name(c->topo, c->tests[0].node), "front");
    assert_true(c->tests[1].qps == 0.0);
    assert_int_equal(c->tests[1].duration_us, 90000000);
    assert_int_equal(c->tests[1].connections, 16);
    assert_string_equal(topology_name(c->topo, c->tests[1].node), "back");
    assert_false(c->tls);
    assert_true(c->mtls);
    assert_int_equal(c->replicas, 3);
    assert_int_equal(c->conn_check, 0);
    assert_int_equal(c->nmetrics, 1);
    assert_int_equal(c->step_us, 5000000);
    assert_int_equal(c->pause_us, 500000);
    assert_int_equal(c->sample_us, 100000);
    assert_int_equal(c->prom, CONFIG_PROM_URL);
    assert_string_equal(config_prom_str(c), "http://127.0.0.1:9090");
    assert_string_equal(c->ns, "perf");
    assert_true(c->scale_qps == 0.01);
    assert_true(c->tolerance_pct == 25.0);
    assert_true(config_test_qps(c, 0) == 250.5 * 0.01);
    assert_true(config_test_qps(c, 1) == 0.0);
    assert_int_equal(c->nwarnings, 0);
    config_free(c);
}

/* Go folds U+017F (long s) to 's' and U+212A (Kelvin) to 'k'. */
static void test_go_unicode_fold(void **state)
{
    struct config *c = must_parse("{\"backends_map\": {\"0\": []}, \"load_tests\": "
                                  "[{\"te\\u017ft_name\": \"folded\", \"\\u212a\": 1}]}");
    assert_string_equal(c->tests[0].name, "folded");
    assert_int_equal(c->nwarnings, 1); /* K does not fold onto any field here */
    config_free(c);
    /* an exact match is preferred but a later folded key still overwrites it */
    c = must_parse("{\"backends_map\": {\"0\": []}, \"load_tests\": "
                   "[{\"test_name\": \"a\", \"TEST_NAME\": \"b\"}]}");
    assert_string_equal(c->tests[0].name, "b");
    config_free(c);
}

static void test_plain_and_node_urls(void **state)
{
    struct config *c =
        must_parse("{\"backends_map\": {\"0\": [\"12\"], \"12\": []}, \"load_tests\": ["
                   "{\"test_name\": \"a\", \"url\": \"http://12:9080/q?x=1\"},"
                   "{\"test_name\": \"b\", \"url\": \"https://NODE-12.tls-e2e.svc.cluster.local\"},"
                   "{\"test_name\": \"c\", \"url\": \"http://service-0\"}]}");
    assert_string_equal(topology_name(c->topo, c->tests[0].node), "12");
    assert_string_equal(c->tests[0].path, "/q?x=1");
    assert_string_equal(topology_name(c->topo, c->tests[1].node), "12");
    assert_string_equal(c->tests[1].path, "/");
    assert_string_equal(topology_name(c->topo, c->tests[2].node), "0");
    config_free(c);
}

static void test_load_generator(void **state)
{
    struct config *c = must_parse("{\"backends_map\": {\"0\": []}, \"load_tests\": "
                                  "[{\"test_name\": \"d\"}], \"meshperf\": "
                                  "{\"load_generator\": \"http://127.0.0.1:8080/fortio/\"}}");
    assert_string_equal(c->load_generator, "http://127.0.0.1:8080/fortio/");
    config_free(c);
    /* null is as absent */
    c = must_parse("{\"backends_map\": {\"0\": []}, \"load_tests\": [{\"test_name\": "
                   "\"d\"}], \"meshperf\": {\"load_generator\": null}}");
    assert_null(c->load_generator);
    config_free(c);
    static const struct {
        const char *value, *err;
    } bad[] = {
        {"\"fortio:8080\"", "c: meshperf.load_generator: must be the http(s) URL of a Fortio REST "
                            "API, got \"fortio:8080\""},
        {"8080", "c: meshperf.load_generator: must be the http(s) URL of a Fortio REST API, got "
                 "8080"},
        {"\"http://x/?a=1\"",
         "c: meshperf.load_generator: a load generator's base URL takes no query"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512], err[512];
        snprintf(text, sizeof text,
                 "{\"backends_map\": {\"0\": []}, \"load_tests\": [{\"test_name\": \"d\"}], "
                 "\"meshperf\": {\"load_generator\": %s}}",
                 bad[i].value);
        c = (struct config *)1;
        assert_int_equal(config_parse(text, strlen(text), "c", &c, err, sizeof err), -1);
        assert_null(c);
        assert_string_equal(err, bad[i].err);
    }
}

static void test_load_file_errors(void **state)
{
    struct config *c = (struct config *)1;
    char err[512];
    assert_int_equal(config_load_file("/nonexistent/config.json", &c, err, sizeof err), -1);
    assert_null(c);
    assert_string_equal(err, "/nonexistent/config.json: cannot read: No such file or directory");
    /* a name given for messages is used as is */
    assert_int_equal(config_parse("[]", 2, "x/y.json", &c, err, sizeof err), -1);
    assert_string_equal(err, "x/y.json: must be a JSON object, got []");
    /* text need not be NUL-terminated and is not read past len */
    const char *t = "{\"backends_map\": {\"0\": []}, \"load_tests\": [{\"test_name\": \"d\"}]}XXX";
    assert_int_equal(config_parse(t, strlen(t) - 3, "c", &c, err, sizeof err), 0);
    assert_int_equal(c->text_len, strlen(t) - 3);
    assert_string_equal(c->text + c->text_len - 2, "]}");
    config_free(c);
    config_free(NULL);
}

static void test_warnings_capped(void **state)
{
    char *s = malloc(64 * 1024);
    size_t o = (size_t)sprintf(s, "{");
    for (int i = 0; i < 500; i++)
        o += (size_t)sprintf(s + o, "\"k%d\": %d, ", i, i);
    sprintf(s + o, "\"backends_map\": {\"0\": []}, \"load_tests\": [{\"test_name\": \"d\"}]}");
    struct config *c = must_parse(s);
    assert_int_equal(c->nwarnings, 101);
    assert_string_equal(c->warnings[0], "config.json: unknown key \"k0\" ignored");
    assert_string_equal(c->warnings[100], "config.json: more warnings left out");
    config_free(c);
    free(s);
}

static void test_duplicate_backend_warns(void **state)
{
    struct config *c = must_parse("{\"backends_map\": {\"0\": [\"1\", \"1\"]}, \"load_tests\": "
                                  "[{\"test_name\": \"d\"}]}");
    size_t n;
    topology_backends(c->topo, 0, &n);
    assert_int_equal(n, 2); /* called twice per request, as the original would */
    assert_int_equal(c->nwarnings, 1);
    assert_string_equal(c->warnings[0], "config.json: backends_map[\"0\"][1]: \"1\" is listed "
                                        "again; it will be called twice per request");
    config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_fixtures),
        cmocka_unit_test(test_good_fixtures),
        cmocka_unit_test(test_original),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_case_and_last_wins),
        cmocka_unit_test(test_go_unicode_fold),
        cmocka_unit_test(test_plain_and_node_urls),
        cmocka_unit_test(test_load_generator),
        cmocka_unit_test(test_load_file_errors),
        cmocka_unit_test(test_warnings_capped),
        cmocka_unit_test(test_duplicate_backend_warns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

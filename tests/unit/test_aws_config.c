/* Unit tests for aws_config: the INI reader (sections, "profile x",
 * comments, blanks, nested blocks skipped, bounds) and aws_config_load's
 * order of sources, as the AWS tools read them: environment keys over the
 * credentials file over the config file, AWS_PROFILE, the region and
 * endpoint variables over the config file, and errors that name what is
 * missing but never a secret. Files come from AWS_SHARED_CREDENTIALS_FILE /
 * AWS_CONFIG_FILE in a temp dir; every test starts from a clean
 * environment. */
#include "cm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/aws_config.h"

static char dir[64], cred_path[128], conf_path[128];

static const char *const vars[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",      "AWS_SESSION_TOKEN",   "AWS_PROFILE",
    "AWS_REGION",        "AWS_DEFAULT_REGION",         "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL",
    "AWS_CONFIG_FILE",   "AWS_SHARED_CREDENTIALS_FILE"};

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    snprintf(dir, sizeof dir, "/tmp/test_aws_config.XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(cred_path, sizeof cred_path, "%s/credentials", dir);
    snprintf(conf_path, sizeof conf_path, "%s/config", dir);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred_path, 1);
    setenv("AWS_CONFIG_FILE", conf_path, 1);
    return 0;
}

static int teardown(void **state)
{
    unlink(cred_path);
    unlink(conf_path);
    rmdir(dir);
    return 0;
}

static void test_ini(void **state)
{
    static const char text[] = "# comment\n"
                               "[default]\n"
                               "region=us-west-2\n"
                               "[profile ci]  \n"
                               "  ; indented comment\n"
                               "region = eu-west-1 \r\n"
                               "s3 =\n"
                               "  endpoint_url = http://nested\n"
                               "endpoint_url\t=\thttp://top:9000\n"
                               "[broken\n"
                               "region = nowhere\n"
                               "[last]\n"
                               "key = last";
    char out[64];
    assert_int_equal(aws_config_ini_get(text, "default", "region", out, sizeof out), 1);
    assert_string_equal(out, "us-west-2");
    assert_int_equal(aws_config_ini_get(text, "profile ci", "region", out, sizeof out), 1);
    assert_string_equal(out, "eu-west-1");
    assert_int_equal(aws_config_ini_get(text, "profile ci", "endpoint_url", out, sizeof out), 1);
    assert_string_equal(out, "http://top:9000");
    assert_int_equal(aws_config_ini_get(text, "ci", "region", out, sizeof out), 0);
    assert_int_equal(aws_config_ini_get(text, "default", "endpoint_url", out, sizeof out), 0);
    assert_int_equal(aws_config_ini_get(text, "last", "key", out, sizeof out), 1);
    assert_string_equal(out, "last");
    assert_int_equal(aws_config_ini_get(text, "profile ci", "region", out, 9), -1);
    assert_int_equal(aws_config_ini_get(text, "profile ci", "region", out, 10), 1);
    assert_int_equal(aws_config_ini_get("", "default", "x", out, sizeof out), 0);
}

static void test_env_wins(void **state)
{
    write_file(cred_path,
               "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESEC\n");
    setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "ENVSEC", 1);
    setenv("AWS_SESSION_TOKEN", "ENVTOK", 1);
    struct aws_config c;
    char err[512] = "";
    assert_int_equal(aws_config_load(&c, err, sizeof err), 0);
    assert_string_equal(c.access_key, "ENVKEY");
    assert_string_equal(c.secret_key, "ENVSEC");
    assert_string_equal(c.session_token, "ENVTOK");
    assert_string_equal(c.creds_from, "environment");
    assert_string_equal(c.region, "us-east-1");
    assert_string_equal(c.endpoint, "");
    /* half of a pair is an error that names the missing half */
    unsetenv("AWS_ACCESS_KEY_ID");
    assert_int_equal(aws_config_load(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "AWS_ACCESS_KEY_ID is not"));
    assert_null(strstr(err, "ENVSEC"));
}

static void test_profile(void **state)
{
    write_file(cred_path, "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n"
                          "[ci]\naws_access_key_id = C\naws_secret_access_key = CS\n"
                          "aws_session_token = CT\n");
    write_file(conf_path, "[default]\nregion = us-west-2\n"
                          "[profile ci]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:9/\n"
                          "[profile cfgonly]\naws_access_key_id = F\naws_secret_access_key = FS\n");
    struct aws_config c;
    char err[512] = "";
    assert_int_equal(aws_config_load(&c, err, sizeof err), 0);
    assert_string_equal(c.access_key, "D");
    assert_string_equal(c.region, "us-west-2");
    assert_string_equal(c.creds_from, cred_path);
    setenv("AWS_PROFILE", "ci", 1);
    assert_int_equal(aws_config_load(&c, err, sizeof err), 0);
    assert_string_equal(c.access_key, "C");
    assert_string_equal(c.session_token, "CT");
    assert_string_equal(c.region, "eu-west-1");
    assert_string_equal(c.endpoint, "http://127.0.0.1:9");
    /* variables beat the file; AWS_REGION beats AWS_DEFAULT_REGION; _S3 beats the general one */
    setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
    setenv("AWS_ENDPOINT_URL", "http://general:1", 1);
    assert_int_equal(aws_config_load(&c, err, sizeof err), 0);
    assert_string_equal(c.region, "ap-south-1");
    assert_string_equal(c.endpoint, "http://general:1");
    setenv("AWS_REGION", "sa-east-1", 1);
    setenv("AWS_ENDPOINT_URL_S3", "https://s3only:2", 1);
    assert_int_equal(aws_config_load(&c, err, sizeof err), 0);
    assert_string_equal(c.region, "sa-east-1");
    assert_string_equal(c.endpoint, "https://s3only:2");
    /* credentials only in the config file */
    setenv("AWS_PROFILE", "cfgonly", 1);
    assert_int_equal(aws_config_load(&c, err, sizeof err), 0);
    assert_string_equal(c.access_key, "F");
    assert_string_equal(c.creds_from, conf_path);
}

static void test_errors(void **state)
{
    struct aws_config c;
    char err[512] = "";
    unlink(cred_path);
    unlink(conf_path);
    setenv("AWS_PROFILE", "nobody", 1);
    assert_int_equal(aws_config_load(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "no AWS credentials"));
    assert_non_null(strstr(err, "'nobody'"));
    write_file(cred_path, "[nobody]\naws_access_key_id = K\n");
    assert_int_equal(aws_config_load(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "has aws_access_key_id but not aws_secret_access_key"));
    write_file(cred_path, "[nobody]\naws_secret_access_key = TOPSECRET\n");
    assert_int_equal(aws_config_load(&c, err, sizeof err), -1);
    assert_null(strstr(err, "TOPSECRET"));
    write_file(cred_path, "[nobody]\naws_access_key_id = K\naws_secret_access_key = TOPSECRET\n");
    setenv("AWS_ENDPOINT_URL", "ftp://x", 1);
    assert_int_equal(aws_config_load(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "AWS_ENDPOINT_URL: must be an http(s) URL"));
    setenv("AWS_ENDPOINT_URL", "http://host:1/path", 1);
    assert_int_equal(aws_config_load(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "takes no path"));
    unsetenv("AWS_ENDPOINT_URL");
    setenv("AWS_REGION", "Bad Region", 1);
    assert_int_equal(aws_config_load(&c, err, sizeof err), -1);
    assert_non_null(strstr(err, "region 'Bad Region'"));
    assert_null(strstr(err, "TOPSECRET"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ini),
        cmocka_unit_test_setup_teardown(test_env_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

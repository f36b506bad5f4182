# Integration: the original's own way to read results works on what
# meshperf uploaded (issue #14, "Show" 4): `meshperf run --store
# s3://bucket/prefix`, then Debian's AWS CLI, `aws s3 sync s3://bucket/prefix
# DIR --endpoint-url ...`, against ../shared/tools/s3-test-server, gives the
# original's layout <test_name>/<driver_ts>/{config.json,fortio.json,*.csv}
# byte for byte the same as the local results. And the other way: a tree
# the AWS CLI uploaded is listed and pulled by meshperf identically.
# limit: 300
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
. "$(dirname "$0")/s3_common.inc"
s3_need
AWS=/usr/bin/aws # Debian's awscli; else whatever `aws` is on PATH
[ -x "$AWS" ] || AWS=$(command -v aws || true)
[ -n "$AWS" ] && "$AWS" --version >/dev/null 2>&1 || s3_skip "no working aws CLI (apt-get install awscli)"
S3_REGION=us-east-1

cat >"$T/cfg.json" <<'JSON'
{"ReplicasPerVirtualNode": 1, "ConnectivityCheckPerURL": 1,
 "backends_map": {"0": ["1", "2"], "1": [], "2": []},
 "load_tests": [{"test_name": "max-qps", "url": "http://service-0/", "qps": "0", "n": "200", "c": "2"},
                {"test_name": "qps 50", "url": "http://service-0/", "qps": "50", "t": "1s", "c": "1"}]}
JSON

port=$(free_port)
s3_start main "$port" || { fail "server starts" "see above"; done_testing; exit 1; }

s3_run run --results "$T/r" --store s3://orig-results/mesh/perf "$T/cfg.json"
expect_eq "run --store: exit 0" "$RC" 0

awsx() {
    s3_env AWS_DEFAULT_REGION="$S3_REGION" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
        AWS_EC2_METADATA_DISABLED=true AWS_PAGER= "$AWS" --endpoint-url "$S3_ENDPOINT" "$@"
}
awsx s3 sync s3://orig-results/mesh/perf "$T/synced" >"$T/sync.out" 2>&1
expect_eq "aws s3 sync: exit 0" "$?" 0
check "aws s3 sync: byte for byte the local results" diff -r "$T/r" "$T/synced"
layout_ok=1
for t in max-qps "qps 50"; do
    ts=$(ls "$T/synced/$t" 2>/dev/null)
    [[ "$ts" =~ ^[0-9]{14}$ ]] && [ -s "$T/synced/$t/$ts/config.json" ] &&
        [ -s "$T/synced/$t/$ts/fortio.json" ] && ls "$T/synced/$t/$ts/"*.csv >/dev/null 2>&1 || layout_ok=0
done
expect_eq "aws s3 sync: <test_name>/<driver_ts>/{config.json,fortio.json,*.csv}" "$layout_ok" 1
check "fortio.json is the run's JSON" jq -e '.DurationHistogram.Count > 0' "$T/synced/max-qps/$(ls "$T/synced/max-qps")/fortio.json"

# the other way: what the AWS CLI uploads, meshperf reads
mkdir -p "$T/up/t/20240101000000"
printf 'a,b\n1,2\n' >"$T/up/t/20240101000000/m.csv"
head -c 70000 /dev/urandom >"$T/up/t/20240101000000/fortio.json"
awsx s3 sync "$T/up" s3://orig-results/from-cli >"$T/sync2.out" 2>&1
expect_eq "aws s3 sync up: exit 0" "$?" 0
s3_env "$MESHPERF" results pull s3://orig-results/from-cli "$T/got" >"$T/pull.out" 2>&1
expect_eq "meshperf pull of the CLI's upload: exit 0" "$?" 0
check "meshperf pull of the CLI's upload: identical" diff -r "$T/up" "$T/got"

s3_no_secret "no secret in any output or result"
check "no serve process left" no_marked_left 5
done_testing

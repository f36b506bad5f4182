# Integration: meshperf run --store s3://bucket/prefix against a local S3
# that checks SigV4 (../shared/tools/s3-test-server), issue #14 "Show" 1:
#  1. the bucket does not exist: `results ls` names NoSuchBucket; the run
#     creates it (region eu-west-1: with its LocationConstraint) and
#     uploads every test's files under <prefix>/<test>/<driver_ts>/;
#  2. `results ls` lists exactly the local files; `results pull` gives a
#     byte-identical tree, and a second pull copies nothing;
#  3. pagination: with MESHPERF_S3_MAX_KEYS=2 the listing is the same and
#     took several ListObjectsV2 pages (continuation tokens);
#  4. `report s3://...` twice: the second one downloads no object (the
#     proxy's request log), and draws the same summary;
#  5. a session token is passed through: behind a proxy that requires one,
#     a run with AWS_SESSION_TOKEN uploads; without it the error is
#     InvalidToken;
#  6. credentials from a profile in ~/.aws/credentials and the region from
#     ~/.aws/config (AWS_PROFILE), no AWS_* keys in the environment;
#  7. neither the secret nor the token appears in any output.
# limit: 300
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
. "$(dirname "$0")/s3_common.inc"
s3_need
S3_REGION=eu-west-1

cat >"$T/cfg.json" <<'JSON'
{"ReplicasPerVirtualNode": 1, "ConnectivityCheckPerURL": 1,
 "backends_map": {"0": ["1"], "1": []},
 "load_tests": [{"test_name": "t1", "url": "http://service-0/", "qps": "20", "t": "1s", "c": "1"},
                {"test_name": "t2", "url": "http://service-0/", "qps": "20", "t": "1s", "c": "1"}]}
JSON

port=$(free_port)
s3_start main "$port" --region "$S3_REGION" || { fail "server starts" "see above"; done_testing; exit 1; }
LOG=$S3_LOG_main
URI=s3://auto-bucket/team/runs

# ---- 1. bucket auto-creation and the upload
s3_env "$MESHPERF" results ls "$URI" >"$T/ls0.out" 2>&1
expect_eq "ls before the run: exit 1" "$?" 1
expect_match "ls before the run: NoSuchBucket named" "$(cat "$T/ls0.out")" "NoSuchBucket"
s3_run run1 --results "$T/r" --store "$URI" "$T/cfg.json"
expect_eq "run --store: exit 0" "$RC" 0
expect_match "run --store: each test's upload noted" "$(grep -c 'uploaded .* to s3://auto-bucket/team/runs/t' "$T/run1.out")" "^2$"
expect_eq "bucket created once (PUT /auto-bucket)" "$(s3_count "$LOG" '"PUT /auto-bucket HTTP/1.1" 200')" 1
check "bucket exists on the server" test -d "$T/s3-main/auto-bucket"
s3_results_complete "local results complete" "$T/r" t1 t2

# ---- 2. ls and pull round trip
(cd "$T/r" && find . -type f | sed 's|^\./||' | sort) >"$T/local.keys"
s3_env "$MESHPERF" results ls "$URI" >"$T/ls1.out" 2>&1
expect_eq "ls: exit 0" "$?" 0
expect_eq "ls: the local files, no more, no less" "$(awk '{print $3}' "$T/ls1.out" | sort)" "$(cat "$T/local.keys")"
ts=$(ls "$T/r/t1")
expect_eq "ls: size of t1's fortio.json" "$(awk -v k="t1/$ts/fortio.json" '$3 == k {print $1}' "$T/ls1.out")" "$(stat -c %s "$T/r/t1/$ts/fortio.json")"
expect_eq "ls: ETag is the MD5" "$(awk -v k="t1/$ts/fortio.json" '$3 == k {print $2}' "$T/ls1.out")" "$(md5sum <"$T/r/t1/$ts/fortio.json" | cut -d' ' -f1)"
s3_env "$MESHPERF" results pull "$URI" "$T/pulled" >"$T/pull1.out" 2>&1
expect_eq "pull: exit 0" "$?" 0
check "pull: byte-identical tree" diff -r "$T/r" "$T/pulled"
s3_env "$MESHPERF" results pull "$URI" "$T/pulled" >"$T/pull2.out" 2>&1
expect_match "second pull: nothing copied" "$(cat "$T/pull2.out")" "pull: 0 copied .* $(wc -l <"$T/local.keys") identical skipped"

# ---- 3. pagination
n0=$(s3_count "$LOG" 'continuation-token=')
s3_env MESHPERF_S3_MAX_KEYS=2 "$MESHPERF" results ls "$URI" >"$T/ls2.out" 2>&1
expect_eq "paged ls: exit 0" "$?" 0
expect_eq "paged ls: same listing" "$(cat "$T/ls2.out")" "$(cat "$T/ls1.out")"
pages=$(($(s3_count "$LOG" 'continuation-token=') - n0))
want=$((($(wc -l <"$T/local.keys") + 1) / 2 - 1))
expect_eq "paged ls: one continuation request per further page" "$pages" "$want"
s3_env MESHPERF_S3_MAX_KEYS=3 "$MESHPERF" results pull "$URI" "$T/pulled3" >/dev/null 2>&1
check "paged pull: byte-identical tree" diff -r "$T/r" "$T/pulled3"

# ---- 4. report through the store, with the ETag cache
gets() { s3_count "$LOG" '"GET /auto-bucket/team/runs/'; }
g0=$(gets)
s3_env "$MESHPERF" report "$URI" -o "$T/rep1" >"$T/rep1.out" 2>&1
expect_eq "report s3://: exit 0" "$?" 0
g1=$(gets)
check "report s3://: objects were downloaded" test "$g1" -gt "$g0"
s3_env "$MESHPERF" report "$URI" -o "$T/rep2" >"$T/rep2.out" 2>&1
expect_eq "second report: exit 0" "$?" 0
expect_eq "second report: no object downloaded" "$(gets)" "$g1"
check "second report: same summary.csv" cmp "$T/rep1/summary.csv" "$T/rep2/summary.csv"
check "cache under XDG_CACHE_HOME/meshperf/s3/<bucket>/<prefix>" test -d "$T/cache/meshperf/s3/auto-bucket/team/runs"

# ---- 5. a session token, required by a second checking proxy on the same data
up=$(sed -n 's/^upstream_port=//p' "$T/s3-main.pid")
tport=$(free_port)
spawn tokproxy python3 "$S3_TOOLS/s3_sigv4_proxy.py" serve --port "$tport" --upstream-port "$up" \
    --access-key "$S3_KEY" --secret-key "$S3_SECRET" --session-token "$S3_TOKEN"
for _ in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$tport/")" != 000 ] && break
    sleep 0.1
done
S3_ENDPOINT=http://127.0.0.1:$tport
s3_env "$MESHPERF" results ls "$URI" >"$T/tok0.out" 2>&1
expect_eq "no token where one is required: exit 1" "$?" 1
expect_match "no token: InvalidToken named" "$(cat "$T/tok0.out")" "InvalidToken"
s3_run tok0 --results "$T/rt0" --store s3://token-bucket/p "$T/cfg.json"
RC_SAVE=$RC
AWS_SESSION_TOKEN=$S3_TOKEN s3_run tok1 --results "$T/rt" --store s3://token-bucket/p "$T/cfg.json"
expect_eq "no token: the run exits 1" "$RC_SAVE" 1
s3_results_complete "no token: local results complete" "$T/rt0" t1 t2
expect_eq "with AWS_SESSION_TOKEN: run exit 0" "$RC" 0
AWS_SESSION_TOKEN=$S3_TOKEN s3_env "$MESHPERF" results pull s3://token-bucket/p "$T/pulledt" >/dev/null 2>&1
check "with AWS_SESSION_TOKEN: pulled tree identical" diff -r "$T/rt" "$T/pulledt"
S3_ENDPOINT=http://127.0.0.1:$port

# ---- 6. a profile from ~/.aws, no AWS_* credentials in the environment
mkdir -p "$T/home/.aws"
printf '[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n[ci]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$S3_KEY" "$S3_SECRET" >"$T/home/.aws/credentials"
printf '[default]\nregion = %s\nendpoint_url = %s\n[profile ci]\nregion = %s\nendpoint_url = %s\n' \
    "$S3_REGION" "$S3_ENDPOINT" "$S3_REGION" "$S3_ENDPOINT" >"$T/home/.aws/config"
AWS_PROFILE=ci "$MESHPERF" results ls "$URI" >"$T/prof.out" 2>&1
expect_eq "AWS_PROFILE=ci from ~/.aws: exit 0" "$?" 0
expect_eq "AWS_PROFILE=ci: same listing" "$(cat "$T/prof.out")" "$(cat "$T/ls1.out")"
"$MESHPERF" results ls "$URI" >"$T/prof2.out" 2>&1
expect_match "default profile's wrong key: InvalidAccessKeyId" "$(cat "$T/prof2.out")" "InvalidAccessKeyId"

# ---- 7. secrets
s3_no_secret "no secret key or token in any output, result, report or cache"
check "no serve process left" no_marked_left 5
done_testing

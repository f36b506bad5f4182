# Integration: an upload that fails loses nothing (issue #14, "Show" 2, 3),
# against ../shared/tools/s3-test-server:
#  1. a wrong secret: the run completes locally (every test's files), each
#     test's upload error names SignatureDoesNotMatch in one line, the exit
#     code is 1, and the end says how to retry; that very command, run with
#     the right secret, uploads everything (a pull gives the same tree);
#  2. the server goes down mid-run (stopped once the first test's upload
#     is noted): the second test's upload fails after its retries, the run
#     completes locally and exits 1; with the server back, the retry
#     command uploads the rest and skips what was already there;
#  3. neither the secret key nor the wrong one appears in any output.
# limit: 300
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
. "$(dirname "$0")/s3_common.inc"
s3_need
WRONG="wr0ng-$RANDOM$RANDOM-secret"

cat >"$T/cfg.json" <<'JSON'
{"ReplicasPerVirtualNode": 1, "ConnectivityCheckPerURL": 1,
 "backends_map": {"0": ["1"], "1": []},
 "load_tests": [{"test_name": "t1", "url": "http://service-0/", "qps": "20", "t": "1s", "c": "1"},
                {"test_name": "t2", "url": "http://service-0/", "qps": "20", "t": "1s", "c": "1"}]}
JSON

port=$(free_port)
s3_start main "$port" || { fail "server starts" "see above"; done_testing; exit 1; }

# retry_cmd FILE: the `meshperf results push DIR URI` the run printed, as words.
retry_cmd() { sed -n 's/.*retry with: meshperf results push \([^ ]*\) \([^ ]*\)$/\1 \2/p' "$1" | tail -1; }

# ---- 1. a wrong secret
S3_SECRET_RIGHT=$S3_SECRET
S3_SECRET=$WRONG s3_run wrong --results "$T/r1" --store s3://fail-bucket/wrong "$T/cfg.json"
expect_eq "wrong secret: exit 1" "$RC" 1
s3_results_complete "wrong secret: local results complete" "$T/r1" t1 t2
expect_eq "wrong secret: one error line per test naming SignatureDoesNotMatch" \
    "$(grep -c 'test t[12]: upload failed .*403 SignatureDoesNotMatch' "$T/wrong.out")" 2
expect_match "wrong secret: says how to retry" "$(cat "$T/wrong.out")" \
    "retry with: meshperf results push $T/r1 s3://fail-bucket/wrong"
read -r dir uri <<<"$(retry_cmd "$T/wrong.out")"
s3_env "$MESHPERF" results push "$dir" "$uri" >"$T/push1.out" 2>&1
expect_eq "retry with the right secret: exit 0" "$?" 0
expect_match "retry: every file copied" "$(cat "$T/push1.out")" "push: $(find "$T/r1" -type f | wc -l) copied"
s3_env "$MESHPERF" results pull s3://fail-bucket/wrong "$T/p1" >/dev/null 2>&1
check "retry: the bucket holds the local tree byte for byte" diff -r "$T/r1" "$T/p1"

# ---- 2. the server goes down mid-run
cat >"$T/cfg2.json" <<'JSON'
{"ReplicasPerVirtualNode": 1, "ConnectivityCheckPerURL": 1,
 "backends_map": {"0": ["1"], "1": []},
 "load_tests": [{"test_name": "t1", "url": "http://service-0/", "qps": "20", "t": "1s", "c": "1"},
                {"test_name": "t2", "url": "http://service-0/", "qps": "20", "t": "1s", "c": "1"}],
 "meshperf": {"pause": "3s", "store": "s3://down-bucket/runs"}}
JSON
s3_env MESHPERF_IT_MARK="$RUN_MARK" timeout 120 "$MESHPERF" run --prometheus off --results "$T/r2" \
    "$T/cfg2.json" >"$T/down.out" 2>&1 &
runpid=$!
if wait_file_match "$T/down.out" "test t1: uploaded" 60; then
    s3_stop main
    ok "down: first test uploaded, server stopped"
else
    fail "down: first test uploaded" "$(tail -3 "$T/down.out")"
fi
wait "$runpid"
RC=$?
expect_eq "down: exit 1" "$RC" 1
s3_results_complete "down: local results complete" "$T/r2" t1 t2
expect_match "down: t2's upload error names the connection" "$(grep 'test t2: upload failed' "$T/down.out")" \
    "Couldn't connect|Failed to connect|(4 attempts)"
expect_match "down: says how to retry" "$(cat "$T/down.out")" "1 of 2 tests not uploaded .*\(t2\).*retry with: meshperf results push $T/r2 s3://down-bucket/runs"
s3_start main "$port" || fail "server restarts" "see above"
read -r dir uri <<<"$(retry_cmd "$T/down.out")"
s3_env "$MESHPERF" results push "$dir" "$uri" >"$T/push2.out" 2>&1
expect_eq "down: retry exit 0" "$?" 0
n1=$(find "$T/r2/t1" -type f | wc -l)
n2=$(find "$T/r2/t2" -type f | wc -l)
expect_match "down: retry copies t2, skips t1" "$(cat "$T/push2.out")" "push: $n2 copied .* $n1 identical skipped"
s3_env "$MESHPERF" results pull s3://down-bucket/runs "$T/p2" >/dev/null 2>&1
check "down: the bucket holds the local tree byte for byte" diff -r "$T/r2" "$T/p2"

# ---- 3. secrets
S3_TOKEN=$WRONG s3_no_secret "no secret (right or wrong) in any output or result"
check "no serve process left" no_marked_left 5
done_testing

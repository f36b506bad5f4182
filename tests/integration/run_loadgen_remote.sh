# Integration: `meshperf run --load-generator URL` drives every test through
# the Fortio REST API of a `meshperf serve -rest` this test starts: the same
# result files per test as the in-process runner, fortio.json with the
# same top-level keys, RequestedQPS equal and ActualQPS near the asked rate
# (a loose window: the machine may be busy); meshperf.load_generator in
# the config does the same; a test short of its rate is degraded (exit 3,
# from the fortio.json the generator returned: ActualQPS, MeshperfLate,
# MeshperfUnsent); an unreachable load generator is one line naming it
# (exit 1); a bad URL is exit 2 naming the flag.
# limit: 150
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT

PORT=$(free_port)
spawn gen "$MESHPERF" serve -port "$PORT" -listen 127.0.0.1 -rest
wait_http "http://127.0.0.1:$PORT/health" 10 || { fail "load generator ready" "no /health"; exit 1; }
GEN="http://127.0.0.1:$PORT/"

cat >"$T/config.json" <<'JSON'
{
  "ReplicasPerVirtualNode": 1,
  "ConnectivityCheckPerURL": 2,
  "backends_map": {"0": ["1"], "1": []},
  "load_tests": [
    {"test_name": "a", "url": "http://service-0:9080/", "qps": "100", "t": "2s", "c": "2"},
    {"test_name": "b", "url": "http://node-1:9080/", "qps": "60", "t": "1s", "c": "1"}
  ],
  "meshperf": {"sample_interval": "250ms"}
}
JSON

run() { # run NAME ARGS...: one `meshperf run` into $T/NAME
    local name=$1; shift
    MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --pause 0 --results "$T/$name" "$@" \
        >"$T/$name.out" 2>"$T/$name.err"
}

run remote --load-generator "$GEN" "$T/config.json"
rc=$?
expect_eq "remote run exits 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/remote.err"
expect_match "the load generator is named" "$(cat "$T/remote.err")" "load generator: http://127.0.0.1:$PORT/"
run inproc "$T/config.json"
rc=$?
expect_eq "in-process run exits 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/inproc.err"
check "no serve process left" no_marked_left 5

ts_r=$(ls "$T/remote/a" 2>/dev/null)
ts_i=$(ls "$T/inproc/a" 2>/dev/null)
for t in a b; do
    r="$T/remote/$t/$ts_r" i="$T/inproc/$t/$ts_i"
    files_r=$(ls "$r" 2>/dev/null | tr '\n' ' ')
    expect_eq "$t: same result files" "$files_r" "$(ls "$i" 2>/dev/null | tr '\n' ' ')"
    expect_match "$t: fortio.json among them" "$files_r" 'fortio.json'
    expect_eq "$t: fortio.json has the same top-level keys" \
        "$(jq -c 'keys' "$r/fortio.json" 2>&1)" "$(jq -c 'keys' "$i/fortio.json" 2>&1)"
    expect_eq "$t: RequestedQPS equal" "$(jq -r '.RequestedQPS' "$r/fortio.json" 2>&1)" \
        "$(jq -r '.RequestedQPS' "$i/fortio.json" 2>&1)"
    want=$(jq -r '.RequestedQPS' "$r/fortio.json" 2>/dev/null)
    [[ "$want" =~ ^[0-9.]+$ ]] || want=1
    expect_range "$t: ActualQPS near $want" "$(jq -r '.ActualQPS' "$r/fortio.json" 2>&1)" \
        "$(echo "$want * 0.7" | bc)" "$(echo "$want * 1.1" | bc)"
    check "$t: config.json is the original bytes" cmp "$T/config.json" "$r/config.json"
done
expect_match "remote URL is the platform's 127.0.0.1:PORT" \
    "$(jq -r '.URL' "$T/remote/a/$ts_r/fortio.json" 2>&1)" '^http://127\.0\.0\.1:[0-9]+/$'
expect_match "summary shows both tests ok" "$(grep -c ' ok$' "$T/remote.out")" '^2$'

# the config key does the same
jq --arg g "$GEN" '.meshperf.load_generator = $g | .load_tests |= .[:1]' "$T/config.json" \
    >"$T/cfg_key.json"
run key "$T/cfg_key.json"
rc=$?
expect_eq "meshperf.load_generator: run exits 0" "$rc" 0
expect_match "meshperf.load_generator is used" "$(cat "$T/key.err")" "load generator: http://127.0.0.1:$PORT/"

# a remote test that cannot deliver its rate (one connection, 100 ms per
# answer: at most 10 of 50 qps) is degraded, from the fortio.json the load
# generator returned: exit 3, the reason in the summary
jq '.load_tests = [.load_tests[0] | .test_name = "slow" | .url = "http://service-1:9080/?delay=100ms" | .qps = "50" | .t = "1s" | .c = "1"]' \
    "$T/cfg_key.json" >"$T/cfg_slow.json"
run slow "$T/cfg_slow.json"
expect_eq "remote, rate not delivered: exit 3" "$?" 3
expect_match "remote, rate not delivered: degraded with the reason" "$(cat "$T/slow.out")" \
    "slow +50\.0 .* degraded: [0-9.]+ of 50 qps; [0-9]+ of [0-9]+ requests sent >100 ms late or not at all"

# SIGINT during a remote test stops the remote run too, within seconds
jq '.load_tests = [.load_tests[0] | .t = "60s" | .test_name = "long"]' "$T/cfg_key.json" \
    >"$T/cfg_long.json"
spawn long env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 --results "$T/long" \
    "$T/cfg_long.json"
if wait_file_match "$T/long.log" '\[1/1\] long: ' 30; then
    sleep 1 # some load first, so the partial result has data
    kill -INT "$PID_long"
fi
wait_gone "$PID_long" 20
wait "$PID_long"
expect_eq "SIGINT: exit 130" "$?" 130
lj=$(ls "$T"/long/long/*/fortio.json 2>/dev/null)
expect_eq "SIGINT: the remote run says it was stopped" "$(jq -r '.MeshperfStopped' "$lj" 2>&1)" true
expect_range "SIGINT: it ran well under its 60s" "$(jq -r '.ActualDuration / 1e9' "$lj" 2>&1)" 0 20
st=$(curl -s --max-time 5 "http://127.0.0.1:$PORT/fortio/rest/status")
expect_eq "SIGINT: no run left on the load generator" "$(jq -r '.Statuses | length' <<<"$st" 2>&1)" 0

# unreachable: one line naming the URL (without credentials), exit 1
DEAD=$(free_port)
run dead --load-generator "http://user:secret@127.0.0.1:$DEAD/" "$T/cfg_key.json" </dev/null
rc=$?
expect_eq "unreachable load generator: exit 1" "$rc" 1
expect_eq "one line names it" "$(grep -c "load generator http://.*127.0.0.1:$DEAD/" "$T/dead.err")" 1
check "no credentials shown" bash -c "! grep -q secret '$T/dead.err' '$T/dead.out'"
check "no serve process left after the failure" no_marked_left 5

# bad URL: exit 2 naming the flag
run bad --load-generator "ftp://x/" "$T/config.json"
rc=$?
expect_eq "bad --load-generator: exit 2" "$rc" 2
expect_match "it names the flag" "$(cat "$T/bad.err")" 'flag -load-generator'
done_testing

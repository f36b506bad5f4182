# Integration: faults during `meshperf run`.
#  1. a node killed mid-test: the test runs to its end with its errors
#     counted, the node is named, the next test is skipped, exit 1;
#  2. SIGINT during a test: the load stops, fortio.json and the CSVs of
#     what was measured are written, exit 130, no process left;
#  3. SIGKILL of the driver: its serve children die with it (PDEATHSIG);
#  4. SIGTERM during a test: as SIGINT;
#  5. a node that answers 500 fails the connectivity check: named, exit 1,
#     no load run; a load-test URL that fails it likewise;
#  6. a serve binary that exits at once: the node is named, exit 1.
# limit: 120
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT

cat >"$T/kill.json" <<'JSON'
{
  "ConnectivityCheckPerURL": 2,
  "backends_map": {"0": ["1", "2"], "1": ["3"], "2": ["3"]},
  "load_tests": [
    {"test_name": "killed", "url": "http://service-0:9080/", "qps": "50", "t": "4s", "c": "2"},
    {"test_name": "after", "url": "http://service-0:9080/", "qps": "50", "t": "1s", "c": "1"}
  ],
  "meshperf": {"sample_interval": "200ms"}
}
JSON
cat >"$T/long.json" <<'JSON'
{
  "ConnectivityCheckPerURL": 2,
  "backends_map": {"0": ["1"], "1": []},
  "load_tests": [
    {"test_name": "long", "url": "http://service-0:9080/", "qps": "50", "t": "30s", "c": "2"},
    {"test_name": "never", "url": "http://service-0:9080/", "qps": "50", "t": "1s", "c": "1"}
  ],
  "meshperf": {"sample_interval": "200ms"}
}
JSON

# ---- 1. node 3 killed during the first test
spawn kill env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 --results "$T/r1" "$T/kill.json"
if wait_file_match "$T/kill.log" '^\[1/2\] killed: 50 qps' 20; then
    sleep 1 # let the load run a while (not synchronisation: the kill lands mid-test either way)
    victim=$(pod_pid node-3)
    expect_match "found node-3's pid" "$victim" '^[0-9]+$'
    kill -KILL $victim
fi
wait_gone "$PID_kill" 30
wait "$PID_kill"; rc=$?
expect_eq "node killed: exit 1" "$rc" 1
log=$(cat "$T/kill.log")
expect_match "node named with how it died" "$log" "node 3 \(pod node-3$POD_TAIL, pid [0-9]+\) killed by signal 9 \(Killed\) during test killed"
expect_match "remaining tests skipped" "$log" "skipping the remaining tests"
ts=$(ls "$T/r1/killed" 2>/dev/null)
f="$T/r1/killed/$ts/fortio.json"
check "fortio.json written" test -s "$f"
errs=$(jq -r '[.RetCodes | to_entries[] | select(.key != "200") | .value] | add // 0' "$f")
expect_range "errors counted (non-200)" "$errs" 1 1000
expect_range "the test ran to its end" "$(jq -r '.ActualDuration / 1e9' "$f")" 3.5 8
check "memory CSV written" test -s "$T/r1/killed/$ts/memory_working_set_MiB.csv"
check "second test not run" test ! -e "$T/r1/after"
expect_match "summary says node died" "$log" "killed .* node died"
expect_match "summary says skipped" "$log" "after .* skipped"
check "node killed: no serve process left" no_marked_left 5

# ---- 2. SIGINT during a test
spawn int env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 --results "$T/r2" "$T/long.json"
if wait_file_match "$T/int.log" '^\[1/2\] long: 50 qps' 20; then
    # some load first, so the partial result has data: node-0 has served
    # 20 requests (0.4 s of the 50 qps test), not a fixed sleep
    wait_pod_requests node-0 20 20
    kill -INT "$PID_int"
fi
wait_gone "$PID_int" 20
wait "$PID_int"; rc=$?
expect_eq "SIGINT: exit 130" "$rc" 130
ts=$(ls "$T/r2/long" 2>/dev/null)
f="$T/r2/long/$ts/fortio.json"
check "SIGINT: partial fortio.json kept" test -s "$f"
expect_eq "SIGINT: fortio.json says stopped" "$(jq -r .MeshperfStopped "$f")" "true"
expect_range "SIGINT: stopped early" "$(jq -r '.ActualDuration / 1e9' "$f")" 0.1 20
expect_range "SIGINT: measured requests kept" "$(jq -r .DurationHistogram.Count "$f")" 1 1000
check "SIGINT: CSVs kept" test -s "$T/r2/long/$ts/requests_total.csv"
check "SIGINT: second test not run" test ! -e "$T/r2/never"
expect_match "SIGINT: summary says interrupted" "$(cat "$T/int.log")" "long .* interrupted"
check "SIGINT: no serve process left" no_marked_left 5

# ---- 3. SIGKILL of the driver
spawn kil env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 --results "$T/r3" "$T/long.json"
if wait_file_match "$T/kil.log" '^\[1/2\] long: 50 qps' 20; then
    n=$(marked_pids | wc -l)
    expect_eq "driver + 2 nodes running" "$n" 3
    kill -KILL "$PID_kil"
fi
wait_gone "$PID_kil" 5
check "SIGKILL: children gone within 2 s" no_marked_left 2

# ---- 4. SIGTERM during a test
spawn term env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 --results "$T/r4" "$T/long.json"
if wait_file_match "$T/term.log" '^\[1/2\] long: 50 qps' 20; then
    kill -TERM "$PID_term"
fi
wait_gone "$PID_term" 20
wait "$PID_term"; rc=$?
expect_eq "SIGTERM: exit 130" "$rc" 130
ts=$(ls "$T/r4/long" 2>/dev/null)
check "SIGTERM: partial fortio.json kept" test -s "$T/r4/long/$ts/fortio.json"
check "SIGTERM: no serve process left" no_marked_left 5

# ---- 5. connectivity check failures
# A wrapper serve binary gives node 3 a backend that refuses connections,
# so its "/" answers 500 (exec keeps the pid, PDEATHSIG and all).
cat >"$T/serve-wrap" <<SH
#!/bin/sh
case "\$MESHPERF_POD" in node-3-*) exec "$MESHPERF" "\$@" -backends dead=http://127.0.0.1:9 ;; esac
exec "$MESHPERF" "\$@"
SH
chmod +x "$T/serve-wrap"
MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --pause 0 --serve-bin "$T/serve-wrap" --results "$T/r5" \
    "$T/kill.json" >"$T/out5" 2>"$T/err5"
rc=$?
expect_eq "connectivity: exit 1" "$rc" 1
expect_match "connectivity: node 3 named" "$(cat "$T/err5")" \
    "connectivity check: node 3 \(pod node-3$POD_TAIL, 127\.0\.0\.1:[0-9]+\): 2 of 2 requests failed \(code 500: 2\)"
check "connectivity: no load ran" test ! -e "$T/r5/killed"
check "connectivity: no serve process left" no_marked_left 5
sed 's|"url": "http://service-0:9080/", "qps": "50", "t": "4s"|"url": "http://service-3:9080/?status=503", "qps": "50", "t": "4s"|' \
    "$T/kill.json" >"$T/url.json"
MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --pause 0 --results "$T/r6" "$T/url.json" >"$T/out6" 2>"$T/err6"
rc=$?
expect_eq "connectivity (URL): exit 1" "$rc" 1
expect_match "connectivity (URL): test and node named" "$(cat "$T/err6")" \
    "connectivity check: load test killed: node 3 \(http://127\.0\.0\.1:[0-9]+/\?status=503\): 2 of 2 requests failed \(code 503: 2\)"
check "connectivity (URL): no load ran" test ! -e "$T/r6/killed"

# ---- 6. a serve binary that exits at once
MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --pause 0 --serve-bin /bin/false --results "$T/r7" \
    "$T/kill.json" >"$T/out7" 2>"$T/err7"
rc=$?
expect_eq "bad serve binary: exit 1" "$rc" 1
expect_match "bad serve binary: the first node named" "$(cat "$T/err7")" \
    "node 3 \(pod node-3$POD_TAIL\): exited with status 1 before listening"
check "bad serve binary: no process left" no_marked_left 5
done_testing

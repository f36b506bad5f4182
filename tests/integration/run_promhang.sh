# Integration: `meshperf run` against a Prometheus that accepts queries and
# never answers them (a stand-in: /-/ready is 200, every POST hangs).
#  1. SIGINT while the first test's metrics are being collected: the run
#     ends within seconds (not 30 s per metric), exit 130, the test's
#     fortio.json intact, its metrics recorded as cancelled in errors.json,
#     the next test not run, no process left;
#  2. SIGINT during the load, then a second one during the collection that
#     follows: the second one ends the collection at once (exit 130);
#  3. no signal: each request is bounded (10 s for the first metric, less
#     for the rest once Prometheus is known unreachable), so the run ends
#     in well under 30 s per metric and succeeds (metric failures are not
#     fatal), every metric recorded in errors.json.
# limit: 90
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT

# Prints "query" on stdout for every POST (a readiness signal for the test).
cat >"$T/hungprom.py" <<'PY'
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def do_POST(self):
        print("query", flush=True)
        time.sleep(3600)
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
s.daemon_threads = True
s.serve_forever()
PY
cat >"$T/cfg.json" <<'JSON'
{"ReplicasPerVirtualNode": 1, "ConnectivityCheckPerURL": 0,
 "backends_map": {"0": []},
 "load_tests": [{"test_name": "t1", "url": "http://service-0/", "qps": "20", "t": "1s", "c": "1"},
                {"test_name": "t2", "url": "http://service-0/", "qps": "20", "t": "1s", "c": "1"}],
 "metrics": {"m1": "up", "m2": "up", "m3": "up"},
 "meshperf": {"pause": "0s", "step": "1s"}}
JSON
pp=$(free_port)
spawn prom python3 "$T/hungprom.py" "$pp"
wait_http "http://127.0.0.1:$pp/-/ready" 10
PURL="http://127.0.0.1:$pp"

# stop_within NAME PID SECS: PID exits within SECS; else fail and kill it.
# Sets RC to its exit status.
stop_within() {
    local t0=$SECONDS
    if wait_gone "$2" "$3"; then
        ok "$1 (in $((SECONDS - t0)) s)"
    else
        fail "$1" "still running after $3 s"
        kill -KILL "$2" 2>/dev/null
    fi
    wait "$2"; RC=$?
}

# fortio_ok DIR NAME: fortio.json in DIR parses and holds the finished load.
fortio_ok() {
    local f="$1/fortio.json"
    expect_range "$2: fortio.json intact (requests)" "$(jq -r '.DurationHistogram.Count' "$f" 2>/dev/null || echo -1)" 1 100
    expect_eq "$2: fortio.json intact (URL)" "$(jq -r '.URL | test("^http://127.0.0.1:[0-9]+/$")' "$f" 2>/dev/null)" true
}

# ---- 1. SIGINT during the collection
spawn run1 env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --results "$T/r1" --prometheus "$PURL" "$T/cfg.json"
if wait_file_match "$T/prom.log" '^query' 20; then
    kill -INT "$PID_run1"
    stop_within "SIGINT in collection: exits within 15 s" "$PID_run1" 15
    expect_eq "SIGINT in collection: exit 130" "$RC" 130
fi
ts=$(ls "$T/r1/t1" 2>/dev/null)
fortio_ok "$T/r1/t1/$ts" "SIGINT in collection"
expect_eq "SIGINT in collection: metrics recorded as cancelled" \
    "$(jq -c '[.[] | [.metric, .kind]]' "$T/r1/t1/$ts/errors.json" 2>/dev/null)" \
    '[["m1","cancelled"],["m2","cancelled"],["m3","cancelled"]]'
check "SIGINT in collection: t2 not run" test ! -e "$T/r1/t2"
check "SIGINT in collection: no serve process left" no_marked_left 5

# ---- 2. SIGINT during the load, a second one during the collection
# cfgvar IN OUT PYEXPR: OUT is IN's config changed by PYEXPR on c.
cfgvar() {
    python3 -c 'import json, sys; c = json.load(open(sys.argv[1])); exec(sys.argv[3]); json.dump(c, open(sys.argv[2], "w"))' "$@"
}
cfgvar "$T/cfg.json" "$T/long.json" 'c["load_tests"][0]["t"] = "30s"'
nq=$(grep -c '^query' "$T/prom.log")
spawn run2 env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --results "$T/r2" --prometheus "$PURL" "$T/long.json"
if wait_file_match "$T/run2.log" '^\[1/2\] t1: 20 qps' 20; then
    sleep 0.5 # some load first (not synchronisation: the signal lands mid-load either way)
    kill -INT "$PID_run2"
    end=$((SECONDS + 20))
    while [ $SECONDS -lt $end ] && [ "$(grep -c '^query' "$T/prom.log")" -le "$nq" ]; do sleep 0.05; done
    check "first SIGINT: the collection still starts" test "$(grep -c '^query' "$T/prom.log")" -gt "$nq"
    kill -INT "$PID_run2"
    stop_within "second SIGINT: exits within 10 s" "$PID_run2" 10
    expect_eq "second SIGINT: exit 130" "$RC" 130
fi
ts=$(ls "$T/r2/t1" 2>/dev/null)
expect_eq "second SIGINT: fortio.json says stopped" "$(jq -r .MeshperfStopped "$T/r2/t1/$ts/fortio.json" 2>/dev/null)" true
expect_eq "second SIGINT: m1 cut short" "$(jq -r '.[0].kind' "$T/r2/t1/$ts/errors.json" 2>/dev/null)" cancelled
check "second SIGINT: no serve process left" no_marked_left 5

# ---- 3. no signal: bounded requests
cfgvar "$T/cfg.json" "$T/one.json" 'c["load_tests"] = c["load_tests"][:1]'
spawn run3 env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --results "$T/r3" --prometheus "$PURL" "$T/one.json"
stop_within "no signal: the run ends within 25 s (3 metrics: 10 s + 3 s + 3 s at most)" "$PID_run3" 25
expect_eq "no signal: exit 0 (metric failures are not fatal)" "$RC" 0
ts=$(ls "$T/r3/t1" 2>/dev/null)
fortio_ok "$T/r3/t1/$ts" "no signal"
expect_eq "no signal: every metric recorded unreachable" \
    "$(jq -c '[.[] | [.metric, .kind]]' "$T/r3/t1/$ts/errors.json" 2>/dev/null)" \
    '[["m1","unreachable"],["m2","unreachable"],["m3","unreachable"]]'
check "no signal: no serve process left" no_marked_left 5
done_testing

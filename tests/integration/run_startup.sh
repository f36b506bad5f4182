# Integration: how `meshperf run` reads a node's start-up output (the
# "listening on HOST:PORT" line on its stdout), with stand-in serve binaries
# (--serve-bin) that misbehave in ways `meshperf serve` does not:
#  1. a first line that is not "listening on", with the listening line in
#     the same write: the listening line is still found, the run succeeds
#     and the load reaches the node;
#  2. a node that closes its stdout and keeps running: the run fails within
#     the start timeout (10 s) plus a margin, naming the node, exit 1, and
#     the node process is gone afterwards.
# limit: 60
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT

cat >"$T/cfg.json" <<'JSON'
{"ReplicasPerVirtualNode": 1, "ConnectivityCheckPerURL": 1,
 "backends_map": {"0": []},
 "load_tests": [{"test_name": "t1", "url": "http://service-0/", "qps": "20", "t": "1s", "c": "1"}],
 "meshperf": {"pause": "0s"}}
JSON

# ---- 1. a note before the listening line, both in one write
cat >"$T/noisy-serve" <<'PY'
#!/usr/bin/env python3
# Answers 200 to every GET; counts them in $COUNT_FILE.
import http.server, os
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        with open(os.environ["COUNT_FILE"], "a") as f: f.write("x")
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
s.daemon_threads = True
os.write(1, b"note: starting\nlistening on 127.0.0.1:%d\n" % s.server_port)
s.serve_forever()
PY
chmod +x "$T/noisy-serve"
: >"$T/count"
t0=$SECONDS
MESHPERF_IT_MARK=$RUN_MARK COUNT_FILE="$T/count" timeout 60 "$MESHPERF" run --pause 0 \
    --serve-bin "$T/noisy-serve" --results "$T/r1" "$T/cfg.json" >"$T/out1" 2>"$T/err1"
rc=$?
expect_eq "note first: exit 0" "$rc" 0
expect_range "note first: started without waiting for the start timeout (s)" $((SECONDS - t0)) 0 8
ts=$(ls "$T/r1/t1" 2>/dev/null)
expect_range "note first: the load reached the node" "$(jq -r '.RetCodes["200"] // 0' "$T/r1/t1/$ts/fortio.json" 2>/dev/null || echo 0)" 15 25
expect_range "note first: the node counted the requests" "$(wc -c <"$T/count")" 16 30
check "note first: no node process left" no_marked_left 5

# ---- 2. stdout closed, process still running
cat >"$T/mute-serve" <<'PY'
#!/usr/bin/env python3
import os, sys, time
os.close(1)
print("closed my stdout", file=sys.stderr, flush=True)
time.sleep(600)
PY
chmod +x "$T/mute-serve"
t0=$SECONDS
spawn mute env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 --serve-bin "$T/mute-serve" \
    --results "$T/r2" "$T/cfg.json"
if wait_gone "$PID_mute" 20; then
    ok "stdout closed: the run ends (in $((SECONDS - t0)) s)"
else
    fail "stdout closed: the run ends" "still running after 20 s"
    kill -KILL "$PID_mute"
fi
wait "$PID_mute"; rc=$?
expect_eq "stdout closed: exit 1" "$rc" 1
expect_match "stdout closed: the node named" "$(cat "$T/mute.log")" \
    "node 0 \(pod node-0$POD_TAIL\): closed its stdout before listening"
check "stdout closed: the node process is gone" no_marked_left 5
check "stdout closed: no load ran" test ! -e "$T/r2/t1/"*/fortio.json
done_testing

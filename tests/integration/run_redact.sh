# Integration: a --prometheus URL with credentials (http://user:password@..)
# never shows them: not on stdout, stderr, nor in any results file.
#  1. a Prometheus that answers (a small stand-in that returns empty
#     matrices): the run succeeds, the URL is shown as http://***@...;
#  2. the same URL on a closed port: exit 1, the message names the URL
#     redacted;
#  3. a bad -prometheus value with credentials: exit 2, redacted.
# limit: 60
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT
SECRET=s3cretPW

# A stand-in Prometheus: /-/ready 200, query_range answers an empty matrix.
cat >"$T/fakeprom.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def _ok(self):
        b = b'{"status":"success","data":{"resultType":"matrix","result":[]}}'
        self.send_response(200); self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    do_GET = _ok
    def do_POST(self):
        n = int(self.headers.get("Content-Length", 0)); self.rfile.read(n); self._ok()
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
s.serve_forever()
PY
cat >"$T/cfg.json" <<'JSON'
{"ReplicasPerVirtualNode": 1, "ConnectivityCheckPerURL": 1,
 "backends_map": {"0": []},
 "load_tests": [{"test_name": "t1", "url": "http://service-0/", "qps": "20", "t": "1s", "c": "1"}],
 "metrics": {"m1": "up"},
 "meshperf": {"pause": "0s", "step": "1s"}}
JSON

# no_secret NAME FILES...: the password appears in none of them.
no_secret() {
    local name=$1; shift
    local hits
    hits=$(grep -rl -- "$SECRET" "$@" 2>/dev/null)
    if [ -z "$hits" ]; then ok "$name"; else fail "$name" "found in $(echo $hits)"; fi
}

# ---- 1. a Prometheus that answers
pp=$(free_port)
spawn prom python3 "$T/fakeprom.py" "$pp"
wait_http "http://127.0.0.1:$pp/-/ready" 10
MESHPERF_IT_MARK=$RUN_MARK timeout 60 "$MESHPERF" run --pause 0 --results "$T/r1" \
    --prometheus "http://admin:$SECRET@127.0.0.1:$pp" "$T/cfg.json" >"$T/out1" 2>"$T/err1"
rc=$?
expect_eq "answering: exit 0" "$rc" 0
expect_match "answering: URL shown redacted" "$(cat "$T/err1")" "prometheus: http://\*\*\*@127\.0\.0\.1:$pp"
ts=$(ls "$T/r1/t1" 2>/dev/null)
check "answering: metric CSV written" test -f "$T/r1/t1/$ts/m1.csv"
check "answering: fortio.json written" test -s "$T/r1/t1/$ts/fortio.json"
no_secret "answering: no password in stdout, stderr or results" "$T/out1" "$T/err1" "$T/r1"

# ---- 2. the same URL on a closed port
dead=$(free_port)
MESHPERF_IT_MARK=$RUN_MARK timeout 60 "$MESHPERF" run --pause 0 --results "$T/r2" \
    --prometheus "http://admin:$SECRET@127.0.0.1:$dead" "$T/cfg.json" >"$T/out2" 2>"$T/err2"
rc=$?
expect_eq "closed port: exit 1" "$rc" 1
expect_match "closed port: URL named, redacted" "$(cat "$T/err2")" "prometheus http://\*\*\*@127\.0\.0\.1:$dead"
no_secret "closed port: no password in stdout, stderr or results" "$T/out2" "$T/err2" "$T/r2"
check "closed port: no serve process left" no_marked_left 5

# ---- 4. the credentials written in the config file itself: the stored
# config.json keeps every other byte, with the userinfo as ***
sed "s|\"step\": \"1s\"}|\"step\": \"1s\", \"prometheus\": \"http://admin:$SECRET@127.0.0.1:$pp\"}|" \
    "$T/cfg.json" >"$T/cfg4.json"
MESHPERF_IT_MARK=$RUN_MARK timeout 60 "$MESHPERF" run --pause 0 --results "$T/r4" \
    "$T/cfg4.json" >"$T/out4" 2>"$T/err4"
rc=$?
expect_eq "in the config: exit 0" "$rc" 0
no_secret "in the config: no password in stdout, stderr or results" "$T/out4" "$T/err4" "$T/r4"
ts=$(ls "$T/r4/t1" 2>/dev/null)
expect_eq "in the config: stored config.json is the file with *** for the userinfo" \
    "$(cat "$T/r4/t1/$ts/config.json" 2>/dev/null)" "$(sed "s|admin:$SECRET|***|" "$T/cfg4.json")"

# ---- 3. a bad value
timeout 20 "$MESHPERF" run --prometheus "ftp://admin:$SECRET@127.0.0.1:1" "$T/cfg.json" >"$T/out3" 2>"$T/err3"
rc=$?
expect_eq "bad value: exit 2" "$rc" 2
expect_match "bad value: one line, flag named, redacted" "$(cat "$T/err3")" "flag -prometheus: .*'ftp://\*\*\*@127\.0\.0\.1:1'"
no_secret "bad value: no password in stdout or stderr" "$T/out3" "$T/err3"
done_testing

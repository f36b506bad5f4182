# Integration: `meshperf serve` responses that end with a close, and a
# shutdown that cuts a fan-out short. The in-flight gauge counts each such
# request out once (Connection: close, HTTP/1.0, close=1, a delayed and a
# large response, a malformed request): once all are answered it reads 1,
# the /metrics request itself. SIGTERM while a fan-out waits on a slow
# backend, with -drain-timeout shorter than the backend's delay: serve
# exits 0 at the drain timeout, its backend connection freed (under the
# SAN build a leak would make the exit code non-zero).
# limit: 30
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_lib.bash"
U=http://127.0.0.1

start_node n -threads 1 -max-delay 5s || exit 1
P=$PORT_n
gauge() { metric "$P" '^meshperf_inflight_requests'; }
expect_eq "idle node: the gauge counts the scrape alone" "$(gauge)" 1

for i in 1 2 3 4 5; do curl -s -o /dev/null -H 'Connection: close' "$U:$P/echo"; done
curl -s -o /dev/null --http1.0 "$U:$P/echo"
curl -s -o /dev/null "$U:$P/echo?close=1"
curl -s -o /dev/null -H 'Connection: close' "$U:$P/echo?delay=50ms"
curl -s -o "$T/big" -H 'Connection: close' "$U:$P/echo?size=4000000"
expect_eq "the large response came whole" "$(wc -c <"$T/big")" 4000000
python3 - "$P" >"$T/bad.out" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GARBAGE\r\n\r\n")
got = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    got += b
print(got.split(b"\r\n", 1)[0].decode())
PY
expect_match "the malformed request got its 400" "$(cat "$T/bad.out")" '^HTTP/1.1 400 '
expect_eq "10 requests answered" "$(metric "$P" '^meshperf_requests_total.*path="(echo|other)"')" 10
expect_eq "after 10 responses that closed, the gauge is back at 1 (not below)" "$(gauge)" 1

# SIGTERM mid fan-out: the backend answers in 3 s, the drain gives up at
# 300 ms and the fan-out's backend call is aborted
start_node leaf -threads 1 -max-delay 5s || exit 1
start_node front -threads 1 -drain-timeout 300ms -backend-timeout 5s \
    -backends "slow=$U:$PORT_leaf/echo?delay=3s" || exit 1
curl -s -o /dev/null --max-time 10 "$U:$PORT_front/" &
cpid=$!
end=$((SECONDS + 5))
while [ $SECONDS -lt $end ] && [ "$(metric "$PORT_leaf" '^meshperf_inflight_requests')" -lt 2 ]; do
    sleep 0.02
done
expect_eq "the fan-out reached the slow backend" \
    "$(metric "$PORT_leaf" '^meshperf_inflight_requests')" 2
t0=$(date +%s.%N)
kill -TERM "$PID_front"
wait "$PID_front"; rc=$?
t1=$(date +%s.%N)
wait "$cpid"
expect_eq "exit 0 with a backend call cut short (no leak)" "$rc" 0
expect_range "exited at the 300 ms drain timeout, not after the backend (s)" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" 0.2 2
if grep -q 'LeakSanitizer\|AddressSanitizer' "$T/front.log"; then
    fail "no sanitizer report" "$(grep -m3 -E 'Sanitizer|leak' "$T/front.log" | tr '\n' ' ')"
else
    ok "no sanitizer report"
fi
done_testing

# Integration: `meshperf serve` under bad input and shutdown: malformed
# requests (400 + close), a slowloris client (cut at the header timeout,
# measured), heads over the limit (431), bodies over the limit (413), a
# chunked body echoed, echo knobs (delay measured, status, header, size;
# no framing header), and SIGTERM draining an in-flight delayed request
# before exit 0.
# limit: 60
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_lib.bash"
U=http://127.0.0.1

# raw PORT: send stdin's bytes (python escapes allowed) over one connection,
# optionally trickled (TRICKLE=seconds between lines); print the status
# line, "closed" if the server closed the connection, and the seconds taken.
cat >"$T/raw.py" <<'PY'
import os, socket, sys, time
port = int(sys.argv[1])
data = sys.stdin.buffer.read()
trickle = float(os.environ.get("TRICKLE", "0"))
s = socket.create_connection(("127.0.0.1", port), timeout=10)
t0 = time.monotonic()
closed = False
try:
    if trickle:
        for line in data.split(b"\n"):
            s.sendall(line + b"\n")
            time.sleep(trickle)
    else:
        s.sendall(data)
except (BrokenPipeError, ConnectionResetError):
    pass
got = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            closed = True
            break
        got += b
except socket.timeout:
    pass
except ConnectionResetError:
    closed = True
line = got.split(b"\r\n", 1)[0].decode(errors="replace")
print(line, "closed" if closed else "open", "%.3f" % (time.monotonic() - t0))
PY
raw() { python3 "$T/raw.py" "$1"; }

start_node n -header-timeout 1s -max-header-bytes 4096 -max-body-bytes 10000 -max-delay 5s || exit 1
P=$PORT_n

out=$(printf 'GARBAGE\r\n\r\n' | raw "$P")
expect_match "malformed request line -> 400 and close" "$out" '^HTTP/1.1 400 .* closed '
out=$(printf 'GET / HTTP/1.1\r\nNo colon here\r\n\r\n' | raw "$P")
expect_match "malformed header -> 400 and close" "$out" '^HTTP/1.1 400 .* closed '
out=$(printf 'GET / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello' | raw "$P")
expect_match "conflicting Content-Length -> 400 and close" "$out" '^HTTP/1.1 400 .* closed '
out=$(printf 'GET / HTTP/9.9\r\n\r\n' | raw "$P")
expect_match "unknown version -> 400 and close" "$out" '^HTTP/1.1 400 .* closed '
out=$(head -c 3000 /dev/urandom | raw "$P")
expect_match "random bytes -> 400 and close" "$out" '^HTTP/1.1 (400|431) .* closed '
expect_eq "the server is still up" "$(curl -s -o /dev/null -w '%{http_code}' "$U:$P/health")" 200

big=$(head -c 6000 /dev/zero | tr '\0' a)
out=$(printf 'GET / HTTP/1.1\r\nX-Big: %s\r\n\r\n' "$big" | raw "$P")
expect_match "head over -max-header-bytes -> 431 and close" "$out" '^HTTP/1.1 431 .* closed '
out=$(printf 'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 20000\r\n\r\n' | raw "$P")
expect_match "body over -max-body-bytes -> 413 and close" "$out" '^HTTP/1.1 413 .* closed '
code=$(head -c 20000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' \
    --data-binary @- "$U:$P/echo")
expect_eq "chunked body over the limit -> 413" "$code" 413
out=$(printf 'hello chunked' | curl -s -H 'Transfer-Encoding: chunked' --data-binary @- "$U:$P/echo")
expect_eq "chunked body echoed back" "$out" "hello chunked"

# slowloris: a header line every 0.2 s never completes the head
out=$(yes 'X-Slow: 1' | head -40 | sed '1i GET / HTTP/1.1' | TRICKLE=0.2 raw "$P")
expect_match "slowloris: 408 and close" "$out" '^HTTP/1.1 408 .* closed '
expect_range "slowloris: cut at the 1 s header timeout" "${out##* }" 0.9 2.5

# echo knobs
t=$(curl -s -o /dev/null -w '%{time_total}' "$U:$P/echo?delay=300ms")
expect_range "delay=300ms measured" "$t" 0.29 0.6
out=$(curl -s -D - -o "$T/body" "$U:$P/echo?status=503&header=X-Knob:v1&size=1000")
expect_match "status=503" "$out" '^HTTP/1.1 503'
expect_match "header=X-Knob:v1" "$out" $'X-Knob: v1\r'
expect_eq "size=1000 bytes" "$(wc -c <"$T/body")" 1000
expect_eq "bad knob -> 400" "$(curl -s -o /dev/null -w '%{http_code}' "$U:$P/echo?status=60:x")" 400
out=$(curl -s -w '%{http_code}' "$U:$P/echo?header=content-length:0")
expect_eq "header= may not set a framing header (two framings) -> 400" "$out" \
    "echo knob header: 'content-length' is set by the server
400"
out=$(curl -s -D - -o /dev/null "$U:$P/echo?close=1")
expect_match "close=1 -> Connection: close" "$out" 'Connection: close'
n503=0
for i in $(seq 200); do printf 'url = "%s"\n' "$U:$P/echo?status=503:50" ; done >"$T/urls"
n503=$(curl -s -o /dev/null -w '%{http_code}\n' -K "$T/urls" | grep -c 503)
expect_range "status=503:50 gives about half 503s" "$n503" 60 140

# SIGTERM drains an in-flight delayed request, then exit 0
curl -s -o "$T/drain.body" -w '%{http_code}' "$U:$P/echo?delay=1s" >"$T/drain.code" &
cpid=$!
end=$((SECONDS + 5))
while [ $SECONDS -lt $end ] && [ "$(metric "$P" '^meshperf_inflight_requests')" -lt 2 ]; do sleep 0.02; done
kill -TERM "$PID_n"
wait "$cpid"
expect_eq "the delayed request was answered 200 during the drain" "$(cat "$T/drain.code")" 200
wait "$PID_n"; rc=$?
expect_eq "serve exited 0 after draining" "$rc" 0
done_testing

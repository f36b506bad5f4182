# Integration: `meshperf serve` limits and threads: -max-connections N
# holds N connections each with a request in progress, refuses the ones
# over N at once (503 and close, counted in /metrics: an idle one would be
# closed to make room instead, see serve_idle.sh) and serves again once the
# N have gone;
# -threads 2 runs two workers that serve leaf and fan-out requests, sum
# their counters on /metrics, and drain an in-flight request then exit 0
# on SIGTERM.
# limit: 45
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_lib.bash"
U=http://127.0.0.1

# hold.py PORT N K: hold N connections (each answers /health on keep-alive,
# then has a 2 s echo delay in progress), then open K more and report what
# each got and how fast; then read the delayed answers, scrape /metrics over
# held connection 0 (a new one would be refused) and close.
cat >"$T/hold.py" <<'PY'
import socket, sys, time
port, n, k = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

def request(s, path):
    s.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        b = s.recv(65536)
        if not b:
            raise EOFError("closed")
        data += b
    head, rest = data.split(b"\r\n\r\n", 1)
    clen = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            clen = int(value)
    while len(rest) < clen:
        b = s.recv(65536)
        if not b:
            raise EOFError("closed")
        rest += b
    return head.split(b"\r\n")[0].decode(), rest.decode(errors="replace")

held = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    status, _ = request(s, "/health")
    print("held", i, status.replace(" ", "_"))
    s.sendall(b"GET /echo?delay=2s HTTP/1.1\r\nHost: t\r\n\r\n")  # busy, not idle
    held.append(s)
for i in range(k):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    t0 = time.monotonic()
    got = b""
    try:
        s.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
        what = got.split(b"\r\n", 1)[0].decode() or "closed"
    except (ConnectionResetError, BrokenPipeError):
        what = got.split(b"\r\n", 1)[0].decode() or "reset"
    except socket.timeout:
        what = "timeout"
    print("extra", i, what.replace(" ", "_"), "%.3f" % (time.monotonic() - t0))
    s.close()
def response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    return data.split(b"\r\n", 1)[0].decode()
for i, s in enumerate(held):
    print("delayed", i, response(s).replace(" ", "_"))
_, body = request(held[0], "/metrics")
for line in body.splitlines():
    if line.startswith(("meshperf_refused_connections_total", "meshperf_open_connections")):
        print(line)
for s in held:
    s.close()
PY

start_node m -max-connections 3 -threads 1 -max-delay 5s || exit 1
python3 "$T/hold.py" "$PORT_m" 3 2 >"$T/hold.out" 2>&1
expect_eq "3 connections held, each served" "$(grep -c '^held [0-9] HTTP/1.1_200' "$T/hold.out")" 3
expect_eq "both connections over the limit got 503" \
    "$(grep -cE '^extra [0-9] HTTP/1.1_503_' "$T/hold.out")" 2
expect_eq "the held requests were answered" "$(grep -c '^delayed [0-9] HTTP/1.1_200' "$T/hold.out")" 3
slowest=$(awk '/^extra/ { if ($4 > m) m = $4 } END { printf "%.3f", m + 0 }' "$T/hold.out")
expect_range "refused at once, not left in the backlog (slowest, s)" "$slowest" 0 1.5
expect_eq "refusals counted in /metrics" \
    "$(awk '/^meshperf_refused_connections_total/ {print $2}' "$T/hold.out")" 2
expect_eq "open connections at the limit, not over" \
    "$(awk '/^meshperf_open_connections/ {print $2}' "$T/hold.out")" 3
# the held ones closed: a new connection is served again (bounded poll while
# the server notices the closes)
code=""
end=$((SECONDS + 5))
while [ $SECONDS -lt $end ]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$U:$PORT_m/")
    [ "$code" = 200 ] && break
    sleep 0.05
done
expect_eq "served again after the held connections went away" "$code" 200
python3 "$T/hold.py" "$PORT_m" 3 1 >"$T/hold2.out" 2>&1
expect_eq "the limit holds again: 3 served, the 4th refused" \
    "$(grep -c '^held [0-9] HTTP/1.1_200' "$T/hold2.out") $(grep -cE '^extra 0 HTTP/1.1_503_' "$T/hold2.out")" "3 1"

# -threads 2: a leaf and a fan-out node, each request on its own
# connection so that the kernel spreads them over both listeners
start_node tl -threads 2 || exit 1
start_node tf -threads 2 -max-delay 5s -backends "leaf=$U:$PORT_tl" || exit 1
expect_eq "-threads 2 runs two workers (the first on the main thread)" \
    "$(ls /proc/"$PID_tf"/task | wc -l)" 2
expect_eq "-threads 1 runs on the main thread alone" "$(ls /proc/"$PID_m"/task 2>/dev/null | wc -l)" 1
bad=0
for i in $(seq 20); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$U:$PORT_tf/")" = 200 ] || bad=$((bad + 1))
done
expect_eq "-threads 2: 20 fan-out requests answered 200" "$bad" 0
expect_eq "-threads 2: both nodes' workers' counters sum to 20" \
    "$(metric "$PORT_tf" 'requests_total.*path="root"') $(metric "$PORT_tl" 'requests_total.*path="root"')" "20 20"

# SIGTERM with a request in flight on a -threads 2 node: drained, exit 0
curl -s -o /dev/null -w '%{http_code}' "$U:$PORT_tf/echo?delay=1s" >"$T/drain.code" &
cpid=$!
end=$((SECONDS + 5))
while [ $SECONDS -lt $end ] && [ "$(metric "$PORT_tf" '^meshperf_inflight_requests')" -lt 2 ]; do sleep 0.02; done
t0=$(date +%s.%N)
kill -TERM "$PID_tf"
wait "$cpid"
expect_eq "-threads 2: the in-flight request was answered 200 during the drain" "$(cat "$T/drain.code")" 200
wait "$PID_tf"; rc=$?
t1=$(date +%s.%N)
expect_eq "-threads 2: exit 0 after SIGTERM" "$rc" 0
expect_range "-threads 2: exited soon after the 1 s request ended (s)" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" 0 3
kill -TERM "$PID_tl"
wait "$PID_tl"; rc=$?
expect_eq "-threads 2 idle node: exit 0 after SIGTERM" "$rc" 0
done_testing

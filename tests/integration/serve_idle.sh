# Integration: idle connections cannot lock `meshperf serve` (issue #11,
# finding 3). Connections that never send a byte are cut at the header
# timeout (not the idle timeout), and at the connection cap the one idle
# longest is closed to make room, so a real client gets in at once:
#   - 200 silent connections fill -max-connections 200; a real request is
#     answered 200 at once (before: 503 until the idle timeout);
#   - the silent ones are closed after -header-timeout 1s, with
#     -idle-timeout 30s (before: held for 30 s);
#   - at -max-connections 3 with 3 idle keep-alive connections, a 4th
#     client is served and the oldest keep-alive connection is the one
#     closed; the others still work;
#   - a keep-alive connection between requests keeps the idle timeout: it
#     still works after twice the header timeout.
# limit: 60
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_lib.bash"
U=http://127.0.0.1

# silent.py PORT N: open N connections that send nothing, then ask for
# /health on a fresh one and print its status and time; then wait for the
# server to close the silent ones and print how many it closed within 5 s
# and when the last went.
cat >"$T/silent.py" <<'PY'
import select, socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
silent = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(n)]
t0 = time.monotonic()
s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
got = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
except (socket.timeout, ConnectionResetError):
    pass
print("real", (got.split(b"\r\n", 1)[0].decode() or "nothing").replace(" ", "_"),
      "%.3f" % (time.monotonic() - t0))
open_ = set(silent)
closed, last = 0, 0.0
end = time.monotonic() + 5
while open_ and time.monotonic() < end:
    r, _, _ = select.select(list(open_), [], [], 0.2)
    for c in r:
        try:
            data = c.recv(4096)
        except ConnectionResetError:
            data = b""
        if not data:
            open_.discard(c)
            closed += 1
            last = time.monotonic() - t0
print("closed", closed, "%.3f" % last)
PY

start_node s -threads 1 -max-connections 200 -header-timeout 1s -idle-timeout 30s || exit 1
python3 "$T/silent.py" "$PORT_s" 200 >"$T/silent.out" 2>&1
read -r _ status took <<<"$(grep '^real' "$T/silent.out")"
expect_eq "200 silent connections at the cap: a real request is served" "$status" "HTTP/1.1_200_OK"
expect_range "... at once (s)" "${took:-99}" 0 2
read -r _ closed last <<<"$(grep '^closed' "$T/silent.out")"
# one went to make room for the real client: 199 left to time out
expect_range "the silent connections were closed" "${closed:-0}" 199 200
expect_range "... at the 1 s header timeout, not the 30 s idle one (s)" "${last:-99}" 0.5 4
expect_eq "serve still answers" "$(curl -s -o /dev/null -w '%{http_code}' "$U:$PORT_s/health")" 200

# keep.py PORT: three keep-alive connections, each served once; a fourth
# client; then which of the three still answer. Then one connection kept
# idle for 2.5 s (over the 1 s header timeout, under the idle timeout).
cat >"$T/keep.py" <<'PY'
import socket, sys, time
port = int(sys.argv[1])

def ask(s):
    s.sendall(b"GET /health HTTP/1.1\r\nHost: t\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        b = s.recv(65536)
        if not b:
            return "closed"
        data += b
    head, rest = data.split(b"\r\n\r\n", 1)
    n = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            n = int(v)
    while len(rest) < n:
        rest += s.recv(65536)
    return head.split(b"\r\n", 1)[0].decode().replace(" ", "_")

def safe_ask(s):
    try:
        return ask(s)
    except (ConnectionResetError, BrokenPipeError):
        return "closed"

held = []
for i in range(3):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    print("held", i, ask(s))
    held.append(s)
    time.sleep(0.05)  # an order the server can see
s = socket.create_connection(("127.0.0.1", port), timeout=5)
print("fourth", safe_ask(s))
time.sleep(0.2)
for i, h in enumerate(held):
    print("again", i, safe_ask(h))
s.close()
for h in held:
    h.close()
k = socket.create_connection(("127.0.0.1", port), timeout=5)
print("first", ask(k))
time.sleep(2.5)
print("after-idle", safe_ask(k))
PY

start_node k -threads 1 -max-connections 3 -header-timeout 1s -idle-timeout 30s || exit 1
python3 "$T/keep.py" "$PORT_k" >"$T/keep.out" 2>&1
expect_eq "3 keep-alive connections served" "$(grep -c '^held [0-9] HTTP/1.1_200' "$T/keep.out")" 3
expect_eq "a 4th client at the cap is served (an idle one made room)" \
    "$(awk '/^fourth/ {print $2}' "$T/keep.out")" "HTTP/1.1_200_OK"
expect_eq "the oldest idle connection was the one closed; the others still work" \
    "$(awk '/^again/ {printf "%s ", $3}' "$T/keep.out")" "closed HTTP/1.1_200_OK HTTP/1.1_200_OK "
expect_eq "a kept-alive connection outlives the header timeout between requests" \
    "$(awk '/^after-idle/ {print $2}' "$T/keep.out")" "HTTP/1.1_200_OK"
done_testing

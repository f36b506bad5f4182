# Integration: HTTP semantics of `meshperf serve` and its clients (issue
# #11, findings 4 and 7):
#   - status=204 / 304 with size= send no body and no Content-Length, and
#     a second request on the same connection is answered; HEAD gets the
#     head alone; status=101 (any 1xx) is refused with 400;
#   - raw requests for each parse rule: unknown method 501, HTTP/1.1 without
#     Host (or with two) 400, Transfer-Encoding gzip, chunked 501, a bare-LF
#     chunk line 400, an absolute-form target routed by its path, a bad
#     target form 400;
#   - `meshperf load` against status=304 counts code 304 and no socket
#     (framing) errors; 304 is an error as in Fortio (not 2xx);
#   - serve's backend client and the load generator skip a backend's
#     interim 100 Continue; a backend whose chunked body is malformed makes
#     "/" answer 500 naming the malformed body, not "200".
# limit: 60
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_lib.bash"
U=http://127.0.0.1

# raw.py PORT: send stdin's bytes over one connection, read until the
# server closes (or 3 s pass); print every status line in order, then
# "closed" or "open", then the bytes after the last head's blank line.
cat >"$T/raw.py" <<'PY'
import re, socket, sys
port = int(sys.argv[1])
s = socket.create_connection(("127.0.0.1", port), timeout=3)
s.sendall(sys.stdin.buffer.read())
got, closed = b"", False
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
lines = [l.decode() for l in re.findall(rb"HTTP/1\.1 \d\d\d[^\r\n]*", got)]
print(" | ".join(lines), "closed" if closed else "open")
sys.stdout.flush()
open(sys.argv[2], "wb").write(got) if len(sys.argv) > 2 else None
PY
raw() { python3 "$T/raw.py" "$@"; }

start_node e -threads 1 -header-timeout 2s || exit 1
P=$PORT_e

# 204/304 with size=: no body, no Content-Length; the next request on the
# same connection is answered (before: the body was read as its head)
out=$(printf 'GET /echo?status=204&size=100 HTTP/1.1\r\nHost: t\r\n\r\nGET /echo?status=304&size=10 HTTP/1.1\r\nHost: t\r\n\r\nGET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' |
    raw "$P" "$T/nobody.bin")
expect_match "204 and 304 with size=, then a third request on the connection" "$out" \
    '^HTTP/1.1 204 No Content \| HTTP/1.1 304 Not Modified \| HTTP/1.1 200 OK closed$'
nocl=$(python3 - "$T/nobody.bin" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
heads = d.split(b"\r\n\r\n")
print(int(b"content-length" in heads[0].lower()), int(b"content-length" in heads[1].lower()),
      int(heads[2].startswith(b"HTTP/1.1 200")))
PY
)
expect_eq "204 and 304 carry no Content-Length, and nothing follows their heads" "$nocl" "0 0 1"
out=$(printf 'HEAD /echo?size=10 HTTP/1.1\r\nHost: t\r\n\r\nGET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' | raw "$P")
expect_match "HEAD: head alone, then the next request" "$out" '^HTTP/1.1 200 OK \| HTTP/1.1 200 OK closed$'
out=$(printf 'GET /echo?status=101 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n' | raw "$P")
expect_match "status=101 refused" "$out" '^HTTP/1.1 400 '
expect_match "the refusal says why" "$(curl -s "$U:$P/echo?status=101")" 'interim \(1xx\)'

# parse rules: each case's raw request on its own connection, all from one
# python process (a busy machine takes a second to start one)
cat >"$T/rules.py" <<'PY'
import re, socket, sys
port = int(sys.argv[1])
cases = [
    ("unknown method", b"BREW /echo HTTP/1.1\r\nHost: t\r\n\r\n"),
    ("lower-case method", b"get /echo HTTP/1.1\r\nHost: t\r\n\r\n"),
    ("TRACE", b"TRACE / HTTP/1.1\r\nHost: t\r\n\r\n"),
    ("no Host", b"GET /health HTTP/1.1\r\n\r\n"),
    ("two Hosts", b"GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
    ("1.0 no Host", b"GET /health HTTP/1.0\r\n\r\n"),
    ("gzip, chunked", b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
    ("chunked, gzip", b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n"),
    ("LF size line", b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\nhi\r\n0\r\n\r\n"),
    ("LF after data", b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\n0\r\n\r\n"),
    ("CRLF chunks", b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nhi\r\n0\r\n\r\n"),
    ("bad target", b"GET health HTTP/1.1\r\nHost: t\r\n\r\n"),
    ("OPTIONS *", b"OPTIONS * HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
    ("absolute", b"GET http://x/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ("absolute query", b"GET http://x/echo?status=418 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
]
for name, req in cases:
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(req)
    got, closed = b"", False
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
    status = re.match(rb"HTTP/1\.1 (\d\d\d)", got)
    body = got.split(b"\r\n\r\n", 1)[-1][:40].decode(errors="replace").replace("\n", " ")
    print("%s|%s|%s|%s" % (name, status.group(1).decode() if status else "none",
                           "closed" if closed else "open", body))
PY
python3 "$T/rules.py" "$P" >"$T/rules.out" 2>&1
rule() { # CASE WANT-STATUS [closed] : the case's status (and that the connection closed)
    local got
    got=$(awk -F'|' -v n="$1" '$1 == n { print $2 ($3 == "closed" ? " closed" : "") }' "$T/rules.out")
    if [ -n "${3:-}" ]; then
        expect_eq "$1 -> $2 and close" "$got" "$2 closed"
    else
        expect_match "$1 -> $2" "$got" "^$2"
    fi
}
rule "unknown method" 501 closed
rule "lower-case method" 501
rule "TRACE" 501
rule "no Host" 400 closed
rule "two Hosts" 400
rule "1.0 no Host" 200
rule "gzip, chunked" 501 closed
rule "chunked, gzip" 400
rule "LF size line" 400 closed
rule "LF after data" 400
rule "CRLF chunks" 200
rule "bad target" 400
rule "OPTIONS *" 200
rule "absolute" 200
expect_match "absolute-form GET http://x/health is routed to /health" \
    "$(awk -F'|' '$1 == "absolute" { print $4 }' "$T/rules.out")" '"status":"ok"'
rule "absolute query" 418

# meshperf load against 304: counted under 304, no socket/framing errors
"$MESHPERF" load -qps 0 -n 50 -c 2 -json "$T/304.json" "$U:$P/echo?status=304&size=100" >"$T/304.out" 2>&1
expect_eq "load vs status=304: 50 responses with code 304" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["RetCodes"].get("304"))' "$T/304.json")" 50
expect_eq "... and no socket errors (code -1)" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["RetCodes"].get("-1", 0))' "$T/304.json")" 0
expect_eq "... on keep-alive connections (no reconnects)" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["SocketCount"])' "$T/304.json")" 2

# backends that send an interim 100 Continue, or a malformed chunked body
cat >"$T/backend.py" <<'PY'
import socket, sys, threading, time
mode = sys.argv[1]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
def serve(c):
    buf = b""
    while True:
        while b"\r\n\r\n" not in buf:
            d = c.recv(65536)
            if not d:
                return
            buf += d
        _, buf = buf.split(b"\r\n\r\n", 1)
        if mode == "continue":  # interim heads in their own packets, then the answer
            c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            time.sleep(0.02)
            c.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")
            time.sleep(0.02)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        else:
            c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
            c.close()
            return
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
spawn bc python3 "$T/backend.py" continue
spawn bb python3 "$T/backend.py" badbody
for n in bc bb; do
    end=$((SECONDS + 10))
    while [ $SECONDS -lt $end ] && ! [ -s "$T/$n.log" ]; do sleep 0.02; done
done
BC=$(head -1 "$T/bc.log")
BB=$(head -1 "$T/bb.log")
start_node f -threads 1 -backends "cont=$U:$BC" || exit 1
start_node g -threads 1 -backends "bad=$U:$BB" || exit 1
expect_eq "a backend's 100 Continue is skipped: / answers 200" \
    "$(curl -s -o /dev/null -w '%{http_code}' "$U:$PORT_f/")" 200
expect_eq "... again on the kept-alive backend connection" \
    "$(curl -s -o /dev/null -w '%{http_code}' "$U:$PORT_f/")" 200
body=$(curl -s "$U:$PORT_g/")
expect_eq "a malformed backend body: 500 naming it, not 'bad: 200'" "$body" \
    '"bad: malformed body after a 200 head"'
"$MESHPERF" load -qps 0 -n 10 -c 1 -json "$T/cont.json" "$U:$BC/" >"$T/cont.out" 2>&1
expect_eq "meshperf load skips interim 1xx: 10 x 200" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["RetCodes"])' "$T/cont.json")" \
    "{'200': 10}"
done_testing

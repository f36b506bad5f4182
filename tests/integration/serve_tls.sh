# Integration: TLS and mutual TLS in `meshperf serve`, with certificates
# from `meshperf certs`. A chain node-0 -> node-1 over https, node-0
# verifying node-1 against the CA (-tls-ca): curl --cacert and meshperf load
# -cacert get 200 through it; a CA from another run makes the call fail
# (500) and load -cacert refuse; plain HTTP to a TLS port gets no answer; a
# silent or half handshake is closed at the header timeout. mTLS
# (-tls-client-ca): a client without a certificate is refused, with one
# (curl --cert, load -cert, serve -tls-client-cert) it passes. Bad TLS flags
# are one line naming the flag, exit 2. A resumed mTLS session passes.
# limit: 60
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_lib.bash"

# ---- certificates
"$MESHPERF" certs -o "$T/pki" -nodes 3 >"$T/certs.out" 2>&1
expect_eq "certs: exit 0" "$?" 0
expect_eq "certs: files listed" "$(wc -l <"$T/pki/../certs.out")" 10
expect_eq "certs: key mode 0600" "$(stat -c %a "$T/pki/node-1.key")" 600
expect_eq "certs: cert mode 0644" "$(stat -c %a "$T/pki/node-1.crt")" 644
check "certs: node-1 verifies against the CA (openssl)" \
    openssl verify -CAfile "$T/pki/ca.crt" -purpose sslserver "$T/pki/node-1.crt"
"$MESHPERF" certs -o "$T/other" -nodes 1 >/dev/null 2>&1
"$MESHPERF" certs -o "$T/bad" -names "a,B c" >/dev/null 2>"$T/certs.err"
expect_eq "certs: bad name exit 2" "$?" 2
expect_match "certs: bad name named" "$(cat "$T/certs.err")" 'node name "B c": not a DNS label'

P=$T/pki
CA=(--cacert "$P/ca.crt")
tls() { echo -tls-cert "$P/node-$1.crt" -tls-key "$P/node-$1.key"; }

# ---- a chain node-0 -> node-1 over https, verified
start_node n1 -name node-1 $(tls 1) || exit 1
start_node n0 -name node-0 $(tls 0) -tls-ca "$P/ca.crt" \
    -backends "https://127.0.0.1:$PORT_n1/" || exit 1
code=$(curl -sS "${CA[@]}" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT_n0/" 2>&1)
expect_eq "chain: curl --cacert node-0 -> node-1 gets 200" "$code" 200
"$MESHPERF" load -qps 0 -n 40 -c 2 -cacert "$P/ca.crt" -json "$T/load.json" \
    "https://127.0.0.1:$PORT_n0/" >"$T/load.out" 2>&1
expect_eq "chain: load -cacert exit 0" "$?" 0
expect_eq "chain: load -cacert all 200" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["RetCodes"].get("200"))' "$T/load.json")" 40
n1=$(curl -s "${CA[@]}" "https://127.0.0.1:$PORT_n1/metrics" |
    awk '/^meshperf_requests_total/ && /path="root"/ { s += $NF } END { print s + 0 }')
expect_eq "chain: node-1 answered every call (its /metrics over TLS)" "$n1" 41

# ---- big answers (partial TLS writes, the echo payload block) and
# pipelined requests (several in one TLS record) on one connection
bytes=$(curl -sS "${CA[@]}" -o "$T/big" -w '%{size_download}' \
    "https://127.0.0.1:$PORT_n1/echo?size=3000000" 2>&1)
expect_eq "echo size=3000000 over TLS: every byte" "$bytes" 3000000
python3 - "$PORT_n1" "$P/ca.crt" >"$T/pipe.out" 2>&1 <<'EOF'
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))),
                    server_hostname="127.0.0.1")
req = b"GET /echo?size=20000 HTTP/1.1\r\nHost: x\r\n\r\n"
s.sendall(req * 5 + b"GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
s.settimeout(10)
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
print(data.count(b"HTTP/1.1 200 OK"), len(data) > 100000)
EOF
expect_eq "pipelined over TLS: six answers on one connection" "$(cat "$T/pipe.out")" "6 True"

# ---- plain HTTP to a TLS port: no HTTP answer
out=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_n0/" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && [ "$out" = "000" ]; then ok "plain HTTP to the TLS port fails (curl exit $rc)"
else fail "plain HTTP to the TLS port fails" "curl exit $rc, code $out"; fi

# ---- another run's CA: node-0 refuses node-1, load refuses node-0
start_node n0x -name node-0x $(tls 0) -tls-ca "$T/other/ca.crt" \
    -backends "https://127.0.0.1:$PORT_n1/" || exit 1
code=$(curl -s "${CA[@]}" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT_n0x/")
expect_eq "wrong CA: node-0 cannot verify node-1 (500)" "$code" 500
"$MESHPERF" load -n 2 -cacert "$T/other/ca.crt" "https://127.0.0.1:$PORT_n0/" >"$T/lx.out" 2>&1
expect_eq "wrong CA: load -cacert exit 1" "$?" 1
expect_match "wrong CA: load names the failure" "$(cat "$T/lx.out")" 'certificate verify failed'

# ---- the handshake is bounded by the header timeout
start_node slow -name slow $(tls 2) -header-timeout 1s || exit 1
start=$SECONDS
python3 - "$PORT_slow" >"$T/slow.out" 2>&1 <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"\x16\x03\x01\x00\x40")  # a TLS record header, then nothing
s.settimeout(8)
print("closed" if s.recv(100) == b"" else "data")
EOF
expect_eq "half handshake: closed by the server" "$(cat "$T/slow.out")" closed
expect_range "half handshake: closed near the 1s header timeout" $((SECONDS - start)) 0 5

# ---- mutual TLS
start_node m2 -name node-2 $(tls 2) -tls-client-ca "$P/ca.crt" || exit 1
curl -s "${CA[@]}" --max-time 5 -o /dev/null "https://127.0.0.1:$PORT_m2/" 2>"$T/m.err"
rc=$?
if [ "$rc" -ne 0 ]; then ok "mTLS: curl without a certificate is refused (exit $rc)"
else fail "mTLS: curl without a certificate is refused" "curl exit 0"; fi
code=$(curl -sS "${CA[@]}" --cert "$P/client.crt" --key "$P/client.key" -o /dev/null \
    -w '%{http_code}' "https://127.0.0.1:$PORT_m2/" 2>&1)
expect_eq "mTLS: curl --cert gets 200" "$code" 200
code=$(curl -s "${CA[@]}" --cert "$T/other/client.crt" --key "$T/other/client.key" \
    -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT_m2/" 2>&1)
expect_eq "mTLS: a certificate of another CA is refused" "$code" 000
"$MESHPERF" load -n 10 -qps 0 -c 1 -cacert "$P/ca.crt" -cert "$P/client.crt" -key "$P/client.key" \
    "https://127.0.0.1:$PORT_m2/" >"$T/ml.out" 2>&1
expect_match "mTLS: load -cert gets 200" "$(grep '^Codes' "$T/ml.out")" '^Codes: 200: 10 '
# a resumed session (no certificate sent again) is accepted in mTLS too
resume() {
    openssl s_client -connect "127.0.0.1:$PORT_m2" -CAfile "$P/ca.crt" -cert "$P/client.crt" \
        -key "$P/client.key" -tls1_2 "$@" </dev/null 2>&1 | grep -E '^(New|Reused),'
}
resume -sess_out "$T/sess" >/dev/null
expect_match "mTLS: a TLS 1.2 session is resumed" "$(resume -sess_in "$T/sess")" '^Reused, TLSv1.2'
start_node mc -name node-0m -tls-ca "$P/ca.crt" -tls-client-cert "$P/node-0.crt" \
    -tls-client-key "$P/node-0.key" -backends "https://127.0.0.1:$PORT_m2/" || exit 1
start_node mn -name node-0n -tls-ca "$P/ca.crt" -backends "https://127.0.0.1:$PORT_m2/" || exit 1
expect_eq "mTLS: serve -tls-client-cert calls through (200)" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_mc/")" 200
expect_eq "mTLS: serve without a client certificate fails (500)" \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_mn/")" 500

# ---- bad flags: one line naming the flag, exit 2
"$MESHPERF" serve -port 0 -tls-cert "$P/node-0.crt" >/dev/null 2>"$T/f1.err"
expect_eq "flags: -tls-cert without -tls-key exit 2" "$?" 2
expect_match "flags: -tls-cert without -tls-key named" "$(cat "$T/f1.err")" '-tls-cert and -tls-key'
"$MESHPERF" serve -port 0 -tls-cert "$T/nope.crt" -tls-key "$P/node-0.key" >/dev/null 2>"$T/f2.err"
expect_eq "flags: missing certificate file exit 2" "$?" 2
expect_match "flags: missing certificate file named" "$(cat "$T/f2.err")" \
    "^meshperf serve: flags -tls-cert/-tls-key: TLS certificate $T/nope.crt: "
"$MESHPERF" serve -port 0 -tls-cert "$P/node-0.crt" -tls-key "$P/node-1.key" >/dev/null 2>"$T/f3.err"
expect_eq "flags: key of another certificate exit 2" "$?" 2
"$MESHPERF" serve -port 0 -tls-client-ca "$P/ca.crt" >/dev/null 2>"$T/f4.err"
expect_eq "flags: -tls-client-ca without -tls-cert exit 2" "$?" 2
"$MESHPERF" load -n 1 -cert "$P/client.crt" "https://127.0.0.1:$PORT_m2/" >/dev/null 2>"$T/f5.err"
expect_eq "flags: load -cert without -key exit 2" "$?" 2
expect_eq "flags: every error is one line" "$(cat "$T"/f[1-5].err | wc -l)" 5
done_testing

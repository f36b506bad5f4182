# Integration: real `meshperf serve` topologies on loopback: leaf, chain of
# three, diamond request counts, replicas round-robin, a killed backend, a
# backend timeout (measured), /health, and promtool on /metrics.
# limit: 90
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_lib.bash"
U=http://127.0.0.1

# leaf
start_node leaf || exit 1
out=$(curl -s -w ' %{http_code}' "$U:$PORT_leaf/")
expect_eq "leaf GET / answers 200 \"ok\"" "$out" '"ok" 200'

# chain of three: c0 -> c1 -> c2
start_node c2 -name c2 || exit 1
start_node c1 -backends "$U:$PORT_c2" || exit 1
start_node c0 -backends "$U:$PORT_c1" || exit 1
out=$(curl -s -w ' %{http_code}' "$U:$PORT_c0/path-0")
expect_eq "chain of three answers 200" "$out" '"ok" 200'
expect_eq "chain: the last node saw the request" "$(metric "$PORT_c2" 'requests_total.*path="root"')" 1

# diamond: d0 -> d1, d2; d1, d2 -> d3
start_node d3 || exit 1
start_node d1 -backends "$U:$PORT_d3" || exit 1
start_node d2 -backends "node-3=$U:$PORT_d3" || exit 1
start_node d0 -backends "node-1=$U:$PORT_d1,node-2=$U:$PORT_d2" || exit 1
n=0 bad=0
for i in $(seq 25); do
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "x-request-id: r$i" "$U:$PORT_d0/")
    n=$((n + 1)); [ "$code" = 200 ] || bad=$((bad + 1))
done
expect_eq "diamond: every request answered 200" "$bad" 0
r0=$(metric "$PORT_d0" 'meshperf_requests_total.*path="root"')
r3=$(metric "$PORT_d3" 'meshperf_requests_total.*path="root"')
expect_eq "diamond: node 0 counted $n requests" "$r0" "$n"
expect_eq "diamond: node 3 counted exactly twice node 0's" "$r3" $((2 * r0))
expect_eq "diamond: backend ok outcomes on node 0" \
    "$(metric "$PORT_d0" 'meshperf_backend_requests_total\{backend="node-1",outcome="ok"\}')" "$n"
# pooled keep-alive: 25 sequential requests used one connection per caller
# (the third open connection is the /metrics scrape itself)
expect_eq "diamond: node 3 has 2 pooled connections + the scrape" \
    "$(metric "$PORT_d3" '^meshperf_open_connections')" 3
health=$(curl -s "$U:$PORT_d0/health")
expect_match "/health lists the backends" "$health" '"name":"node-1".*"name":"node-2"'

# promtool on a node with every family present
if command -v promtool >/dev/null; then
    curl -s "$U:$PORT_d0/metrics" >"$T/metrics.txt"
    check "promtool check metrics passes" promtool check metrics <"$T/metrics.txt"
    expect_match "metrics has process_resident_memory_bytes" "$(cat "$T/metrics.txt")" \
        'process_resident_memory_bytes [0-9]'
else
    fail "promtool check metrics passes" "promtool not installed (apt-get install prometheus)"
fi

# replicas round-robin
start_node ra || exit 1
start_node rb || exit 1
start_node rr -backends "pair=$U:$PORT_ra|$U:$PORT_rb" || exit 1
for i in $(seq 10); do curl -s -o /dev/null "$U:$PORT_rr/"; done
expect_eq "replica A got half" "$(metric "$PORT_ra" 'requests_total.*path="root"')" 5
expect_eq "replica B got half" "$(metric "$PORT_rb" 'requests_total.*path="root"')" 5

# a killed backend -> 500 from its caller
start_node k1 || exit 1
start_node k0 -backends "victim=$U:$PORT_k1" || exit 1
expect_eq "before the kill: 200" "$(curl -s -o /dev/null -w '%{http_code}' "$U:$PORT_k0/")" 200
kill -KILL "$PID_k1"; wait "$PID_k1" 2>/dev/null; wait_gone "$PID_k1" 5
out=$(curl -s -w ' %{http_code}' "$U:$PORT_k0/")
expect_match "after the kill: 500 naming the backend" "$out" '^"victim: (refused|error)" 500$'
expect_eq "refused counted" \
    "$(metric "$PORT_k0" 'backend="victim",outcome="(refused|error)"')" 1

# a backend slower than the timeout -> 500 within the timeout
start_node slow -max-delay 10s || exit 1
start_node t0 -backend-timeout 500ms -backends "slow=$U:$PORT_slow/echo?delay=3s" || exit 1
out=$(curl -s --max-time 10 -w ' %{http_code} %{time_total}' "$U:$PORT_t0/")
expect_match "timeout: 500 naming the backend" "$out" '^"slow: timeout" 500 '
expect_range "timeout: answered after the 0.5 s timeout, well before the 3 s delay" \
    "${out##* }" 0.48 1.5
expect_eq "timeout counted" "$(metric "$PORT_t0" 'outcome="timeout"')" 1
done_testing

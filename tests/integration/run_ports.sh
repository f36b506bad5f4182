# Integration: port exhaustion is named, not left as a bare socket error
# (issue #11, 7). In a network namespace of its own (loopback only) whose
# net.ipv4.ip_local_port_range is one port:
#  1. `meshperf load` whose only ephemeral port is held by another
#     connection to the target: exit 1, one line naming
#     ip_local_port_range;
#  2. `meshperf run` of two nodes: the one port is taken (by the first
#     node, or still in TIME_WAIT from case 1), a node cannot listen: it is
#     named with the cause, exit 1.
# limit: 60
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT

if [ "$(id -u)" -ne 0 ] || ! unshare -n true 2>/dev/null; then
    ok "# SKIP port exhaustion: needs root and unshare -n for a network namespace"
    done_testing
    exit
fi

cat >"$T/two.json" <<'JSON'
{
  "ConnectivityCheckPerURL": 1,
  "backends_map": {"0": ["1"], "1": []},
  "load_tests": [
    {"test_name": "t", "url": "http://service-0:9080/", "qps": "10", "t": "1s", "c": "1"}
  ]
}
JSON
# Inside the namespace: one ephemeral port; results and exit codes to $T.
cat >"$T/inside.sh" <<'SH'
set -u
ip link set lo up || exit 99
sysctl -qw net.ipv4.ip_local_port_range="40000 40000" || exit 99
"$MESHPERF" serve -port 9999 -listen 127.0.0.1 >"$T/serve.log" 2>&1 &
srv=$!
# readiness by the listening socket (a probe connection would itself take the port)
for _ in $(seq 100); do ss -Hltn 'sport = :9999' | grep -q . && break; sleep 0.05; done
exec 3<>/dev/tcp/127.0.0.1/9999 # holds port 40000 towards the target
timeout 20 "$MESHPERF" load -n 1 "http://127.0.0.1:9999/" >"$T/load.out" 2>"$T/load.err"
echo $? >"$T/load.rc"
exec 3>&-
kill "$srv"; wait "$srv"
timeout 30 "$MESHPERF" run --pause 0 --results "$T/r" "$T/two.json" >"$T/run.out" 2>"$T/run.err"
echo $? >"$T/run.rc"
SH
MESHPERF_IT_MARK=$RUN_MARK T=$T MESHPERF=$MESHPERF unshare -n bash "$T/inside.sh"
if [ "$?" -eq 99 ]; then
    ok "# SKIP port exhaustion: cannot set up the namespace's loopback or port range"
    done_testing
    exit
fi

expect_eq "load: exit 1" "$(cat "$T/load.rc")" 1
expect_eq "load: one line" "$(wc -l <"$T/load.err" | tr -d ' ')" 1
expect_match "load: names the cause" "$(cat "$T/load.err")" \
    "^meshperf load: connect 127\.0\.0\.1:9999: Cannot assign requested address \(no local port left for a new connection: the ephemeral ports of net\.ipv4\.ip_local_port_range are all in use\)$"
expect_eq "run: exit 1" "$(cat "$T/run.rc")" 1
expect_match "run: the node and the cause named" "$(cat "$T/run.err")" \
    "node [01] \(pod node-[01]$POD_TAIL\): exited with status 1 before listening; last output: .*listen 127\.0\.0\.1:0: Address already in use \(no local port left: the ephemeral ports of net\.ipv4\.ip_local_port_range are all in use\)"
check "run: no test ran" test ! -e "$T/r/t"
check "no serve process left" no_marked_left 5
done_testing

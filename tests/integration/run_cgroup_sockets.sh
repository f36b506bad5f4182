# Integration (issue #12, Show 4): a container holding many connections.
# Its cgroup working set (what `meshperf run` records, as cAdvisor would)
# exceeds its RSS by about its socket buffers, which RSS cannot see.
#
# A run's first pod of node-0 (`meshperf serve`) gets 2,000 keep-alive connections,
# each sending 32 KiB of pipelined `GET /?delay=10s` requests: serve holds
# the first one for 10 s and reads nothing more meanwhile, so ~34 KiB per
# connection waits in its receive queue. At one moment the test reads the
# pod's RSS (/proc/PID/status VmRSS) and its sockets' charged memory
# (`ss -tm`: rmem_alloc + wmem_queued + forward_alloc, summed over serve's
# side of the connections), once serve has accepted them all; after the
# run it takes the first working set recorded after that moment from
# container_memory_working_set_bytes.csv.
# Checked: working set - RSS lies within [0.7, 1.3] x socket memory + 16
# MiB (slab for 2,000 sockets and files, less shared library pages RSS
# counts and the cgroup does not).
# limit: 120
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT

NCONN=2000
cat >"$T/config.json" <<'JSON'
{
  "ReplicasPerVirtualNode": 1,
  "backends_map": {"0": []},
  "load_tests": [{"test_name": "held", "url": "http://node-0:9080/", "qps": "5", "t": "15s", "c": "1"}],
  "meshperf": {"sample_interval": "200ms"}
}
JSON
cat >"$T/hold.py" <<'PY'
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
req = b"GET /?delay=10s HTTP/1.1\r\nHost: x\r\n\r\n"
data = req * (32768 // len(req))
conns = []
for _ in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(data)
    conns.append(s)
print("ready", flush=True)
time.sleep(300)
PY

spawn run env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 --results "$T/r" "$T/config.json"
wait_file_match "$T/run.log" '^\[1/1\] held: 5 qps' 20
if grep -q '^note: cgroups' "$T/run.log"; then
    echo "ok - # SKIP no cgroups here: $(grep '^note: cgroups' "$T/run.log")"
    done_testing
    exit
fi
pid=$(pod_pid node-0 | head -1)
pod=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | sed -n 's/^MESHPERF_POD=//p')
port=$(ss -Hltnp 2>/dev/null | awk -v p="pid=$pid," 'index($0, p) { sub(/.*:/, "", $4); print $4; exit }')
check "node-0's first pod found ($pod, pid $pid, port $port)" test -n "$pid" -a -n "$port" -a -n "$pod"

ulimit -n $((NCONN + 256)) 2>/dev/null
spawn hold python3 "$T/hold.py" "$port" "$NCONN"
wait_file_match "$T/hold.log" '^ready' 30
# the queues are filled by the time sendall returned (loopback), but a
# socket is charged to serve's group only once serve accepted it: wait
# until its accept queue (Recv-Q of the listener) is empty (bounded)
backlog() { ss -Hltn "( sport = :$port )" | awk '{print $2; exit}'; }
for _ in $(seq 200); do [ "$(backlog)" = 0 ] && break; sleep 0.05; done
expect_eq "serve accepted them all" "$(backlog)" 0
# one measurement: the moment, RSS, socket memory on serve's side (all
# stable until the first delay ends, 10 s after its request was read)
now=$(date +%s.%N)
rss=$(awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$pid/status")
read -r nsock sock < <(ss -Htmn state established "( sport = :$port )" |
    grep -o 'skmem:([^)]*)' |
    sed 's/skmem:(r\([0-9]*\),rb[0-9]*,t[0-9]*,tb[0-9]*,f\([0-9]*\),w\([0-9]*\).*/\1 \2 \3/' |
    awk '{s += $1 + $2 + $3} END {print NR, s + 0}')
# (plus the load generator's: c=1, and a connection being replaced)
expect_range "serve holds $NCONN connections" "$nsock" "$NCONN" $((NCONN + 4))
expect_range "socket memory > 40 MiB (2000 x ~34 KiB queued)" "$sock" 41943040 1e10

wait_gone "$PID_run" 60
wait "$PID_run"; rc=$?
expect_eq "run exits 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/run.log"
d="$T/r/held/$(ls "$T/r/held" 2>/dev/null)"
expect_eq "measured from its cgroup" "$(jq -r '.[0].source' "$d/sources.json" 2>/dev/null)" \
    "$(jq -r '.[0].source' "$d/sources.json" 2>/dev/null | grep '^cgroup-v')"
# the first working set recorded after the moment (samples every 200 ms)
ws=$(awk -F, -v t="$now" -v pod="$pod" 'NR > 1 && $3 == pod && $4 >= t {
        dt = $4 - t
        if (best == "" || dt < best) { best = dt; v = $5 } }
    END { if (best != "" && best < 1) print v }' "$d/container_memory_working_set_bytes.csv")
echo "# rss=$rss sock=$sock ws=${ws:-none} (bytes)"
check "a working-set sample within 1 s after the measurement" test -n "$ws"
if [ -n "$ws" ]; then
    excess=$(awk -v w="$ws" -v r="$rss" 'BEGIN {printf "%.0f", w - r}')
    expect_range "working set - RSS is about the socket memory" "$excess" \
        "$(awk -v s="$sock" 'BEGIN {printf "%.0f", 0.7 * s}')" \
        "$(awk -v s="$sock" 'BEGIN {printf "%.0f", 1.3 * s + 16 * 1048576}')"
fi
check "no serve process left" no_marked_left 5
done_testing

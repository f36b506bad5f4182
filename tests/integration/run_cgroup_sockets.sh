# Integration (issue #12, Show 4): a container holding many connections.
# Its cgroup working set (what `meshperf run` records, as cAdvisor would)
# exceeds its RSS by about its socket buffers, which RSS cannot see.
# Twice: the holder is the app (`meshperf serve`, no sidecar), then a
# haproxy sidecar (`--sidecar haproxy`, its own cgroup), as a mesh's proxy
# holds its callers' connections.
#
# The holder of a run's first pod of node-0 gets 2,000 keep-alive
# connections, each sending 32 KiB of pipelined `GET /?delay=10s`
# requests: serve holds the first one for 10 s and reads nothing more
# meanwhile, so ~34 KiB per connection waits in its receive queue;
# haproxy reads up to one buffer (16 KiB) of each, forwards the first
# request to the app (one more connection each, held 10 s) and leaves the
# rest queued (a partly read skb stays charged whole). At one moment the
# test reads the holder's RSS (/proc/PID/status VmRSS) and its sockets'
# charged memory (`ss -tm`: rmem_alloc + wmem_queued + forward_alloc,
# summed over every established socket of the holder's pid), once it has
# accepted them all; after the run it takes the holder's first working
# set recorded after that moment from
# container_memory_working_set_bytes.csv.
# Checked: working set - RSS lies within [0.7, 1.3] x socket memory + 16
# MiB (slab for 2,000-4,000 sockets and files, less shared library pages
# RSS counts and the cgroup does not).
# limit: 150
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

export PATH="$PATH:/usr/sbin:/sbin"
# the holder and the client need 2,000-4,000 descriptors each
[ "$(ulimit -n)" -ge $((2 * NCONN + 512)) ] || ulimit -n $((2 * NCONN + 512)) 2>/dev/null

# sock_mem PID: "<sockets> <bytes>": PID's established TCP sockets and
# their charged memory (rmem_alloc + forward_alloc + wmem_queued).
sock_mem() {
    ss -HtmnpO state established 2>/dev/null | grep -F "pid=$1," |
        grep -o 'skmem:([^)]*)' |
        sed 's/skmem:(r\([0-9]*\),rb[0-9]*,t[0-9]*,tb[0-9]*,f\([0-9]*\),w\([0-9]*\).*/\1 \2 \3/' |
        awk '{s += $1 + $2 + $3} END {print NR, s + 0}'
}

# held SIDECAR: the test above, the holder being node-0's app (none) or
# its SIDECAR.
held() {
    local side=$1 c=app pid pod port p now rss nsock sock rc d ws excess min hpid rpid
    [ "$side" != none ] && c=$side
    if ! command -v "$side" >/dev/null && [ "$side" != none ]; then
        fail "$side installed" "apt-get install $side"
        return
    fi
    spawn "run_$side" env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 --sidecar "$side" \
        --results "$T/r-$side" "$T/config.json"
    wait_file_match "$T/run_$side.log" '^\[1/1\] held: 5 qps' 30
    if grep -q '^note: cgroups' "$T/run_$side.log"; then
        echo "ok - # SKIP no cgroups here: $(grep '^note: cgroups' "$T/run_$side.log")"
        return
    fi
    pid=$(pod_pid node-0 "$c" | head -1)
    pod=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | sed -n 's/^MESHPERF_POD=//p')
    # the listener callers reach: serve's own; haproxy's inbound (not its
    # stats frontend: /metrics there is HAProxy's, inbound passes it to serve)
    port=""
    for p in $(ss -Hltnp 2>/dev/null | awk -v p="pid=$pid," 'index($0, p) { sub(/.*:/, "", $4); print $4 }'); do
        curl -s --max-time 2 "http://127.0.0.1:$p/metrics" | grep -q '^meshperf_requests_total' && { port=$p; break; }
    done
    check "$c: node-0's first pod found ($pod, pid $pid, port $port)" test -n "$pid" -a -n "$port" -a -n "$pod"
    [ -n "$port" ] || return

    spawn "hold_$side" python3 "$T/hold.py" "$port" "$NCONN"
    wait_file_match "$T/hold_$side.log" '^ready' 30
    # the queues are filled by the time sendall returned (loopback), but a
    # socket is charged to the holder's group only once it accepted it:
    # wait until its accept queue (Recv-Q of the listener) is empty, and
    # (haproxy) until it holds a connection to the app for each (bounded)
    backlog() { ss -Hltn "( sport = :$port )" | awk '{print $2; exit}'; }
    min=$NCONN
    [ "$c" = app ] || min=$((2 * NCONN))
    for _ in $(seq 200); do
        [ "$(backlog)" = 0 ] && [ "$(sock_mem "$pid" | cut -d' ' -f1)" -ge "$min" ] && break
        sleep 0.05
    done
    expect_eq "$c: accepted them all" "$(backlog)" 0
    # one measurement: the moment, RSS, socket memory of the holder (all
    # stable until the first delay ends, 10 s after its request was read)
    now=$(date +%s.%N)
    rss=$(awk '/^VmRSS:/ {print $2 * 1024}' "/proc/$pid/status")
    read -r nsock sock < <(sock_mem "$pid")
    # (plus the load generator's: c=1, and a connection being replaced;
    # haproxy: one to the app per held connection)
    expect_range "$c: holds $min connections" "$nsock" "$min" $((min + 6))
    # serve reads nothing more: ~34 KiB queued each; haproxy has read up to
    # 16 KiB of each (a partly read skb stays charged whole, so usually as
    # much: asked is the part it cannot have read)
    if [ "$c" = app ]; then
        expect_range "$c: socket memory > 40 MiB (2000 x ~34 KiB queued)" "$sock" 41943040 1e10
    else
        expect_range "$c: socket memory > 20 MiB (2000 x > 10 KiB queued)" "$sock" 20971520 1e10
    fi
    eval "hpid=\$PID_hold_$side rpid=\$PID_run_$side"
    wait_gone "$rpid" 60
    wait "$rpid"; rc=$?
    kill "$hpid" 2>/dev/null # (held until now: the samples after the moment must see them)
    expect_eq "$c: run exits 0" "$rc" 0
    [ "$rc" -eq 0 ] || sed 's/^/# /' "$T/run_$side.log" | tail -20
    d="$T/r-$side/held/$(ls "$T/r-$side/held" 2>/dev/null)"
    expect_match "$c: measured from its cgroup" \
        "$(jq -r --arg c "$c" '.[] | select(.container == $c) | .source' "$d/sources.json" 2>/dev/null)" '^cgroup-v'
    # the first working set recorded after the moment (samples every 200 ms)
    ws=$(awk -F, -v t="$now" -v pod="$pod" -v c="$c" 'NR > 1 && $1 == c && $3 == pod && $4 >= t {
            dt = $4 - t
            if (best == "" || dt < best) { best = dt; v = $5 } }
        END { if (best != "" && best < 1) print v }' "$d/container_memory_working_set_bytes.csv")
    echo "# $c: rss=$rss sock=$sock ws=${ws:-none} (bytes)"
    check "$c: a working-set sample within 1 s after the measurement" test -n "$ws"
    if [ -n "$ws" ]; then
        excess=$(awk -v w="$ws" -v r="$rss" 'BEGIN {printf "%.0f", w - r}')
        expect_range "$c: working set - RSS is about the socket memory" "$excess" \
            "$(awk -v s="$sock" 'BEGIN {printf "%.0f", 0.7 * s}')" \
            "$(awk -v s="$sock" 'BEGIN {printf "%.0f", 1.3 * s + 16 * 1048576}')"
    fi
    check "$c: no process left" no_marked_left 5
}

held none
held haproxy
done_testing

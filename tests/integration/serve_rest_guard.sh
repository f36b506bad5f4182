# Integration: the REST API cannot be turned against its host or the
# network (issue #11, findings 1 and 2 and two of 7), on loopback:
#   off without -rest (403 naming it, nothing started); -rest-* flags
#   without -rest and a connection cap over half the fd limit: exit 2;
#   qps=-1&c=100000, t=on at 1e9 qps, n=1e12: 400 naming the cap's flag;
#   10.1.2.3, 169.254.169.254, 0.0.0.0, [::]: 403 naming -rest-allow, at
#   once, and a listener that 0.0.0.0 would reach got no connection; with
#   -rest-allow 127.0.0.1 a listener on 127.0.0.2 gets none, with
#   -rest-allow ::1 the name localhost (127.0.0.1 here) is refused naming
#   the address it resolved to, also for an async run; a run aimed at a
#   REST path (any host, case, %-encoding, dot segments) is refused;
#   200 concurrent run requests: at most the runs the caps allow, the rest
#   429 with Retry-After, /health answering meanwhile, serve's fds and RSS
#   bounded; save=on twice with the same ID: two files; after a large run
#   serve's RSS comes back (malloc_trim; under ASan its allocator is told
#   to release, since glibc's trim does not see ASan's heap).
# limit: 240
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_lib.bash"
U=http://127.0.0.1
FLOOD="$(dirname "$0")/../helpers/rest_flood.py"

# A listener that prints "conn" for every connection it accepts.
cat >"$T/count.py" <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(64)
print("listening", flush=True)
while True:
    c, _ = s.accept(); print("conn", flush=True); c.close()
PY
# listen NAME HOST: a counting listener; its port in LP_<NAME>
listen() {
    local p; p=$(free_port)
    spawn "$1" python3 "$T/count.py" "$2" "$p"
    for _ in $(seq 200); do grep -q listening "$T/$1.log" 2>/dev/null && break; sleep 0.02; done
    printf -v "LP_$1" '%s' "$p"
}
nconn() { grep -c '^conn' "$T/$1.log"; }
code() { curl -s -o "$T/body" -w '%{http_code}' --max-time 20 "$@"; }

listen l1 127.0.0.1
listen l2 127.0.0.2

# --- off without -rest
start_node off || exit 1
for call in "run?url=$U:$LP_l1/&n=1" status stop; do
    expect_eq "no -rest: /fortio/rest/${call%%\?*} is 403" "$(code "$U:$PORT_off/fortio/rest/$call")" 403
    expect_match "no -rest: the reply names -rest" "$(cat "$T/body")" 'with -rest to turn it on'
done
expect_eq "no -rest: the target got no connection" "$(nconn l1)" 0
out=$("$MESHPERF" serve -port 0 -rest-allow 10.0.0.0/8 2>&1); rc=$?
expect_eq "-rest-allow without -rest: exit 2" "$rc" 2
expect_match "it says -rest is needed" "$out" 'need -rest'
out=$("$MESHPERF" serve -port 0 -rest -rest-max-connections 100000000 2>&1); rc=$?
expect_eq "-rest-max-connections over half the fd limit: exit 2" "$rc" 2
expect_match "it names the fd limit" "$out" 'half of the fd limit, ulimit -n [0-9]+'

# --- caps
start_node target || exit 1
mkdir -p "$T/data"
start_node gen -rest -data-dir "$T/data" -rest-max-connections 200 || exit 1
G="$U:$PORT_gen/fortio/rest"
before=$(metric "$PORT_target" 'requests_total.*path="root"')
for q in "qps=-1&c=100000:-rest-max-run-connections" "qps=1e9&t=on:-rest-max-requests" \
    "n=1000000000000:-rest-max-requests" "t=1000h:-rest-max-duration"; do
    expect_eq "${q%%:*}: 400" "$(code -X POST "$G/run?url=$U:$PORT_target/&${q%%:*}")" 400
    expect_match "${q%%:*}: names ${q##*:}" "$(cat "$T/body")" "flag ${q##*:}"
done
expect_eq "no run was started by them" "$(curl -s "$G/status")" '{"Statuses":{}}'
expect_eq "the target saw no request" "$(metric "$PORT_target" 'requests_total.*path="root"')" "$before"

# --- targets
for tgt in 10.1.2.3 169.254.169.254/latest/meta-data/ "0.0.0.0:$LP_l1" "[::]:$LP_l1"; do
    t0=$(date +%s%N)
    c=$(code -X POST "$G/run?url=http://$tgt/&n=1&timeout=5s")
    ms=$((($(date +%s%N) - t0) / 1000000))
    expect_eq "http://$tgt: 403" "$c" 403
    expect_match "http://$tgt: names -rest-allow" "$(cat "$T/body")" 'flag -rest-allow widens'
    expect_range "http://$tgt: refused at once, no connect attempt (ms)" "$ms" 0 2000
done
expect_eq "0.0.0.0 and [::]: the listener they reach got no connection" "$(nconn l1)" 0

start_node narrow -rest -rest-allow 127.0.0.1 || exit 1
N="$U:$PORT_narrow/fortio/rest"
expect_eq "-rest-allow 127.0.0.1: 127.0.0.2 is 403" \
    "$(code -X POST "$N/run?url=http://127.0.0.2:$LP_l2/&n=1&timeout=1s")" 403
expect_eq "-rest-allow 127.0.0.1: the 127.0.0.2 listener got no connection" "$(nconn l2)" 0
code -X POST "$N/run?url=http://127.0.0.1:$LP_l1/&n=1&timeout=1s" >/dev/null
check "-rest-allow 127.0.0.1: 127.0.0.1 is reached (the listener counts)" test "$(nconn l1)" -ge 1
start_node six -rest -rest-allow ::1 || exit 1
S="$U:$PORT_six/fortio/rest"
n0=$(nconn l1)
if [ "$(getent ahosts localhost | awk '{print $1}' | sort -u)" = 127.0.0.1 ]; then
    expect_eq "-rest-allow ::1: localhost (resolving to 127.0.0.1) is 403" \
        "$(code -X POST "$S/run?url=http://localhost:$LP_l1/&n=1&timeout=1s")" 403
    expect_match "it names the address the name resolved to" "$(cat "$T/body")" \
        'target localhost resolves to 127.0.0.1, which is not allowed'
    expect_eq "an async run to it: 403 too (answered after the check)" \
        "$(code -X POST "$S/run?url=http://localhost:$LP_l1/&n=1&async=on")" 403
    expect_eq "the listener behind localhost got no connection" "$(nconn l1)" "$n0"
else
    ok "# skip: localhost resolves to more than 127.0.0.1 here"
fi

# --- a run may not start runs
inner="url=http://127.0.0.1:$PORT_target/%26t=on%26async=on"
for p in "/fortio/rest/run?$inner" "/FORTIO/Rest/run?$inner" "/fortio/%2572est/run?$inner" \
    "//fortio/./x/../rest/run?$inner"; do
    for h in "127.0.0.1:$PORT_gen" "localhost:$PORT_gen" "127.0.0.1:$PORT_target"; do
        u=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "http://$h$p")
        expect_eq "self-pointing http://$h$p: 403" "$(code -X POST "$G/run?url=$u&async=on")" 403
    done
done
expect_match "its reply says why" "$(cat "$T/body")" 'leads to a REST API path'
expect_eq "no run was started by them" "$(curl -s "$G/status")" '{"Statuses":{}}'

# --- 200 concurrent run requests (each c=100 for 2 s at max rate):
# -rest-max-connections 200 lets two run at once
python3 "$FLOOD" "$PORT_gen" "$PID_gen" 200 \
    "url=http://127.0.0.1:$PORT_target/echo&qps=-1&c=100&t=2s" >"$T/flood.out" 2>&1
sed 's/^/# flood: /' "$T/flood.out"
v() { sed -n "s/^$1=//p" "$T/flood.out"; }
n200=$(v code_200); n429=$(v code_429)
expect_range "flood: some runs ran" "${n200:-0}" 1 200
expect_eq "flood: every request is 200 or 429" "$((${n200:-0} + ${n429:-0}))" 200
expect_range "flood: most were 429 (busy)" "${n429:-0}" 100 199
expect_eq "flood: every 429 says Retry-After" "$(v retry_after)" "${n429:-0}"
expect_eq "flood: /health never failed" "$(v health_fail)" 0
# loose bounds for a busy 2-core machine under ASan; bench/rest_hostile.sh
# prints the tight figures
expect_range "flood: /health p50 (ms)" "$(v health_p50_ms)" 0 250
expect_range "flood: /health max (ms)" "$(v health_max_ms)" 0 3000
# fds: 200 REST connections + 201 clients + threads' loops and files
expect_range "flood: serve's fds at most" "$(v fd_max)" 1 700
expect_range "flood: serve's RSS (KiB)" "$(v rss_max_kb)" 1 400000
for _ in $(seq 100); do [ "$(curl -s "$G/status")" = '{"Statuses":{}}' ] && break; sleep 0.1; done
expect_eq "flood: no run left" "$(curl -s "$G/status")" '{"Statuses":{}}'

# --- save=on never overwrites: two runs with the same ID (same labels,
# same second); up to 3 tries for a pair that starts within one second
seen=0
for try in 1 2 3; do
    pids=()
    for _ in 1 2; do
        curl -s -X POST "$G/run?url=$U:$PORT_target/&n=1&labels=dup$try&save=on&async=on" >/dev/null &
        pids+=($!)
    done
    wait "${pids[@]}"
    for _ in $(seq 100); do [ "$(curl -s "$G/status")" = '{"Statuses":{}}' ] && break; sleep 0.05; done
    expect_eq "save try $try: two results, two files" "$(ls "$T/data" | grep -c "_dup$try")" 2
    ls "$T/data" | grep -q "_dup$try-2.json" && { seen=1; break; }
done
expect_eq "a same-second pair was saved as ID.json and ID-2.json" "$seen" 1

# --- serve's RSS comes back after a large run
aopts=${ASAN_OPTIONS:-}
if grep -q libasan "/proc/$PID_gen/maps"; then
    aopts="$aopts:quarantine_size_mb=0:allocator_release_to_os_interval_ms=0"
fi
ASAN_OPTIONS=$aopts start_node big -rest || exit 1
rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID_big/status"; }
idle=$(rss)
curl -s --max-time 60 -X POST -o "$T/big.json" \
    "$U:$PORT_big/fortio/rest/run?url=$U:$PORT_target/echo%3Fsize%3D65536&qps=-1&c=2000&t=3s"
after=$(rss)
peak=$(awk '/^VmHWM/ {print $2}' "/proc/$PID_big/status")
echo "# RSS KiB: idle $idle, peak $peak, after the run $after"
expect_match "the large run ran" "$(jq -c .RetCodes "$T/big.json")" '"200":'
expect_range "the run grew serve's RSS (KiB)" "$((peak - idle))" 15000 10000000
expect_range "after the run, at most half of that growth is left (KiB)" "$((after - idle))" \
    -100000 "$(((peak - idle) / 2))"
done_testing

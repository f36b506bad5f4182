#!/usr/bin/env bash
# bench/serve_bench.sh: `meshperf serve` against its peers, in one run on
# this machine, printed as ratios (never a test: numbers depend on the box).
#   1. leaf: serve vs nginx (1 worker, `return 200`), wrk -t1 -c64, RUNS
#      paired rounds (the order alternates); per round the req/s ratio and
#      each server's CPU time per request; the median of the ratios
#   2. one hop: serve -> serve vs the original handler (Flask dev server
#      that opens a new aiohttp ClientSession per request) -> Flask leaf
#   3. memory: RSS of an idle serve over STARTS fresh starts (ASLR moves
#      which 64 KiB fault-around windows of libc and of the binary become
#      resident, so one start is not the figure), and with 10,000 idle
#      keep-alive connections (each has made one request)
# Usage: bench/serve_bench.sh [path/to/meshperf]   (default build/meshperf)
# Env: DUR (wrk seconds, default 5), CONNS (default 10000), RUNS (default 5),
# STARTS (default 10), PY (Debian's python3 with python3-flask and
# python3-aiohttp, default /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")/.."
M=${1:-build/meshperf}
M=$(realpath "$M")
DUR=${DUR:-5}
CONNS=${CONNS:-10000}
RUNS=${RUNS:-5}
STARTS=${STARTS:-10}
PY=${PY:-/usr/bin/python3}
ulimit -n 20000
T=$(mktemp -d /tmp/serve-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.2; rm -rf "$T"; }
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 200); do curl -fs -o /dev/null "$1" && return 0; sleep 0.05; done; echo "not up: $1" >&2; exit 1; }
rps() { wrk -t1 -c"$2" -d"${DUR}s" "$1" | awk '/^Requests\/sec/ {print $2}'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
tick_us=$((1000000 / $(getconf CLK_TCK)))
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# one URL PID: wrk -t1 -c64 for DUR s; print "req/s server_us_per_request"
one() {
    local t0; t0=$(ticks "$2")
    /usr/bin/time -f %P -o "$T/wrk.cpu" wrk -t1 -c64 -d"${DUR}s" "$1" >"$T/wrk.out"
    awk -v dt=$(( $(ticks "$2") - t0 )) -v tk="$tick_us" -v w="$(tr -d % <"$T/wrk.cpu")" \
        '/^Requests\/sec/ {q = $2} / requests in / {n = $1} END {printf "%s %.2f %s\n", q, dt * tk / n, w}' "$T/wrk.out"
}
# pair URL_A PID_A URL_B PID_B: RUNS rounds, order alternating; per round a
# line, then "median of B/A ratios" in $PAIR_MEDIAN
pair() {
    : >"$T/ratios"
    for r in $(seq "$RUNS"); do
        if [ $((r % 2)) = 1 ]; then read -r qa ca wa < <(one "$1" "$2"); read -r qb cb wb < <(one "$3" "$4")
        else read -r qb cb wb < <(one "$3" "$4"); read -r qa ca wa < <(one "$1" "$2"); fi
        awk -v qa="$qa" -v ca="$ca" -v qb="$qb" -v cb="$cb" -v wa="$wa" -v wb="$wb" -v r="$r" -v f="$T/ratios" 'BEGIN {
            printf "%.3f\n", qb / qa >> f
            printf "round %d: nginx %.0f req/s %.2f us CPU/req (wrk %s%% CPU)   serve %.0f req/s %.2f us CPU/req (wrk %s%%)   ratio %.3f\n", r, qa, ca, wa, qb, cb, wb, qb / qa }'
    done
    PAIR_MEDIAN=$(median <"$T/ratios")
}
best() { # best URL_A URL_B: interleaved runs, print "bestA bestB"
    local a=0 b=0 x
    for _ in $(seq "$RUNS"); do
        x=$(rps "$1" 64); a=$(awk -v p="$a" -v q="$x" 'BEGIN{print (q>p)?q:p}')
        x=$(rps "$2" 64); b=$(awk -v p="$b" -v q="$x" 'BEGIN{print (q>p)?q:p}')
    done
    echo "$a $b"
}
serve() { # serve NAME ARGS... -> port in $SP
    "$M" serve -port 0 -listen 127.0.0.1 "${@:2}" >"$T/$1.log" 2>&1 &
    PIDS+=($!); LASTPID=$!
    for _ in $(seq 200); do SP=$(sed -n '1s/.*:\([0-9]*\)$/\1/p' "$T/$1.log"); [ -n "$SP" ] && break; sleep 0.02; done
}
mem() { # mem PID -> "rss_kib anon_kib"
    awk '/^VmRSS/ {r=$2} END {printf "%s ", r}' "/proc/$1/status"
    awk '/^Anonymous:/ {print $2}' "/proc/$1/smaps_rollup"
}

echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "# 1. leaf: serve vs nginx (wrk -t1 -c64, ${DUR}s, $RUNS paired rounds)"
NP=$(port)
mkdir -p "$T/nginx"
cat >"$T/nginx/nginx.conf" <<NG
worker_processes 1;
daemon off;
pid $T/nginx/nginx.pid;
error_log $T/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    server { listen 127.0.0.1:$NP; location / { return 200 "ok"; } }
}
NG
nginx -c "$T/nginx/nginx.conf" -p "$T/nginx" &
PIDS+=($!)
wait_up "http://127.0.0.1:$NP/"
serve leaf
LEAF=$SP LEAFPID=$LASTPID
wait_up "http://127.0.0.1:$LEAF/"
NGPID=$(pgrep -P "${PIDS[0]}" -f 'nginx: worker' | head -1)
pair "http://127.0.0.1:$NP/" "$NGPID" "http://127.0.0.1:$LEAF/" "$LEAFPID"
echo "median ratio serve/nginx: $PAIR_MEDIAN (target >= 1.0)"
echo "(when wrk's CPU is ~100 %, wrk -t1 is the bottleneck and req/s cannot tell the servers"
echo " apart; their CPU per request is then where they differ)"

echo "# 2. one hop: serve -> serve vs Flask -> Flask (wrk -t1 -c64, ${DUR}s, best of $RUNS)"
serve hop -backends "http://127.0.0.1:$LEAF"
HOP=$SP
wait_up "http://127.0.0.1:$HOP/"
cat >"$T/app.py" <<'PY'
# The original handler, as ORIGINAL.md describes it: a Flask development
# server; GET / calls every BACKENDS entry concurrently with a new aiohttp
# session per request; 200 iff all answered 200.
import asyncio, json, os, sys
import aiohttp
from flask import Flask
app = Flask(__name__)
BACKENDS = [b for b in os.environ.get("BACKENDS", "").split(",") if b]

async def call_all():
    async with aiohttp.ClientSession() as session:
        async def one(url):
            try:
                async with session.get(url) as r:
                    await r.read()
                    return r.status
            except Exception:
                return 0
        return await asyncio.gather(*(one(u) for u in BACKENDS))

@app.route("/health")
def health():
    return json.dumps({"backends": BACKENDS})

@app.route("/")
def root():
    if not BACKENDS:
        return json.dumps("ok")
    codes = asyncio.run(call_all())
    if all(c == 200 for c in codes):
        return json.dumps("ok")
    return json.dumps("failed: %s" % codes), 500

if __name__ == "__main__":
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
PY
FL=$(port); FH=$(port)
"$PY" "$T/app.py" "$FL" >"$T/flask-leaf.log" 2>&1 & PIDS+=($!)
BACKENDS="http://127.0.0.1:$FL/" "$PY" "$T/app.py" "$FH" >"$T/flask-hop.log" 2>&1 & PIDS+=($!)
wait_up "http://127.0.0.1:$FL/"; wait_up "http://127.0.0.1:$FH/"
read -r f h < <(best "http://127.0.0.1:$FH/" "http://127.0.0.1:$HOP/")
echo "flask one hop   $f req/s"
echo "serve one hop   $h req/s"
echo "ratio serve/flask: $(awk -v a="$h" -v b="$f" 'BEGIN{printf "%.0f", a/b}')x (target >= 50x)"

echo "# 3. memory (KiB: VmRSS, Anonymous from smaps_rollup)"
# the serve binary's own libraries loaded, nothing served (`meshperf serve`
# execs meshperf-serve beside it, same pid)
LEAN="$(dirname "$M")/meshperf-serve"
[ -x "$LEAN" ] || LEAN=$M
base=$(/usr/bin/time -f %M "$LEAN" serve --help 2>&1 >/dev/null | tail -1)
echo "baseline: \`$(basename "$LEAN") serve --help\` (libraries loaded, nothing served): max rss $base KiB"
: >"$T/rss"
for i in $(seq "$STARTS"); do
    serve idle$i
    wait_up "http://127.0.0.1:$SP/health"
    mem "$LASTPID" | awk '{print $1}' >>"$T/rss"
    kill "$LASTPID"; wait "$LASTPID" 2>/dev/null || true
done
echo "idle serve over $STARTS starts (one GET /health each): rss min $(sort -n "$T/rss" | head -1) median $(median <"$T/rss") max $(sort -n "$T/rss" | tail -1) KiB"
serve idle -max-connections $((CONNS + 100))
IDLEPID=$LASTPID IDLE=$SP
wait_up "http://127.0.0.1:$IDLE/health"
read -r r a < <(mem "$IDLEPID")
echo "idle serve:                 rss $r KiB, anonymous $a KiB, rss - baseline $((r - base)) KiB"
python3 - "$IDLE" "$CONNS" "$IDLEPID" <<'PY' &
import socket, sys, time, os
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    socks.append(s)
for s in socks:
    got = b""
    while b"\r\n\r\n" not in got or not got.endswith(b'"ok"'):
        got += s.recv(4096)
time.sleep(30)
PY
HOLDER=$!
PIDS+=($HOLDER)
for _ in $(seq 600); do
    c=$(curl -s --max-time 2 "http://127.0.0.1:$IDLE/metrics" | awk '/^meshperf_open_connections/ {print $2}')
    [ "${c:-0}" -ge $((CONNS + 1)) ] && break
    sleep 0.1
done
sleep 1
read -r r2 a2 < <(mem "$IDLEPID")
echo "with $c open connections: rss $r2 KiB, anonymous $a2 KiB, rss - baseline $((r2 - base)) KiB (per connection: $(( (a2 - a) * 1024 / CONNS )) B anonymous)"
echo "targets: idle rss <= 4096 KiB (issue #10), 10k connections <= 49152 KiB"

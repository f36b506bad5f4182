#!/usr/bin/env bash
# bench/load_accuracy.sh: the tight accuracy figures the suite no longer
# asserts (tests/integration/load_accuracy.sh and serve_rest.sh keep looser
# windows that hold on a busy machine). Against tests/helpers/lg_server on
# loopback, RUNS rounds of each, printed as figures (never a test: they
# depend on the box and on what else runs on it):
#   1. held rate: `meshperf load -qps 1000 -t 5s -c 4 -threads 2`,
#      actual/requested (the old test wanted 0.995..1.005)
#   2. a fixed 10 ms server delay at 200 qps for 4 s: corrected p50 and p99
#      in ms (the old test wanted both in 10.0..10.6); server and client
#      pinned to core 0 under SCHED_FIFO when allowed, as in the test
#   3. the REST API: POST /fortio/rest/run at 200 qps for 3 s on a
#      `meshperf serve` node, actual/requested (the old test wanted 0.99..1.01)
# Usage: bench/load_accuracy.sh   Env: MESHPERF (default build/meshperf),
# RUNS (default 3), CC.
set -euo pipefail
cd "$(dirname "$0")/.."
M=$(realpath "${MESHPERF:-build/meshperf}")
RUNS=${RUNS:-3}
T=$(mktemp -d /tmp/load-accuracy.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$T"; }
trap cleanup EXIT
"${CC:-cc}" -O2 -o "$T/lg_server" tests/helpers/lg_server.c
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ready() { # ready URL: poll until it answers (10 s)
    for _ in $(seq 200); do curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0; sleep 0.05; done
    echo "not ready: $1" >&2; return 1
}
pct() { jq ".DurationHistogram.Percentiles[] | select(.Percentile == $2) | .Value * 1000 | . * 1000 | round / 1000" "$1"; }
echo "# $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

p=$(port); "$T/lg_server" "$p" 0 ok >/dev/null 2>&1 & PIDS+=($!)
ready "http://127.0.0.1:$p/count"
for r in $(seq "$RUNS"); do
    "$M" load -qps 1000 -t 5s -c 4 -threads 2 -json "$T/a.json" "http://127.0.0.1:$p/" >/dev/null 2>&1
    jq -r --arg r "$r" '"held rate 1000 qps, run \($r): actual/requested \(.ActualQPS / 1000 | . * 10000 | round / 10000) (unsent \(.MeshperfUnsent), late \(.MeshperfLate.Count))"' "$T/a.json"
done

rt_srv=""; rt_cli=""
if chrt -f 10 true 2>/dev/null; then rt_srv="chrt -f 10"; rt_cli="chrt -f 20"; fi
pin="taskset -c 0"; $pin true 2>/dev/null || pin=""
echo "# 10 ms delay: pinned '${pin:-no}', fifo '${rt_cli:-no}'"
p=$(port); $pin $rt_srv "$T/lg_server" "$p" 10000 ok >/dev/null 2>&1 & PIDS+=($!)
ready "http://127.0.0.1:$p/count"
for r in $(seq "$RUNS"); do
    $pin $rt_cli "$M" load -qps 200 -t 4s -c 8 -threads 1 -json "$T/b.json" "http://127.0.0.1:$p/" >/dev/null 2>&1
    echo "10 ms delay, run $r: p50 $(pct "$T/b.json" 50) ms, p99 $(pct "$T/b.json" 99) ms, p99.9 $(pct "$T/b.json" 99.9) ms"
done

for n in target gen; do
    rest=""; [ "$n" = gen ] && rest=-rest
    "$M" serve -port 0 -listen 127.0.0.1 $rest >"$T/$n.log" 2>&1 & PIDS+=($!)
done
np() { for _ in $(seq 500); do
    x=$(sed -n '1s/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/$1.log"); [ -n "$x" ] && { echo "$x"; return; }; sleep 0.02
done; echo "no listening line: $1" >&2; return 1; }
pt=$(np target); pg=$(np gen)
body=$(printf '{"url": "http://127.0.0.1:%s/", "qps": "200", "t": "3s", "c": "4"}' "$pt")
for r in $(seq "$RUNS"); do
    curl -s --max-time 30 -X POST -d "$body" "http://127.0.0.1:$pg/fortio/rest/run" >"$T/rest.json"
    jq -r --arg r "$r" '"REST run 200 qps, run \($r): actual/requested \(.ActualQPS / 200 | . * 10000 | round / 10000)"' "$T/rest.json"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

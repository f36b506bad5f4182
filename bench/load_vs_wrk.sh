#!/usr/bin/env bash
# bench/load_vs_wrk.sh: `meshperf load -qps 0` against wrk, same nginx (Debian,
# 1 worker, `return 200`), 64 connections, threads 1 and 2, alternating
# ROUNDS times (default 5) for DURATION (default 5s); the tool that goes
# first alternates too. Prints per run: req/s of each tool, their CPU time
# (user + sys) per request, and nginx's CPU per request under each; then
# per thread count the median of two ratios:
#   req/s ratio    meshperf req/s / wrk req/s (the issue's figure, >= 1.10)
#   CPU ratio      wrk CPU per request / meshperf CPU per request (> 1 =
#                  meshperf does the same work with less CPU; on a shared
#                  2-core machine this is far steadier than req/s, which
#                  depends on how much CPU other processes leave nginx)
# and the load average before and after. Not a test.
#   MESHPERF  binary (default build/meshperf)   ROUNDS, DURATION, CONNS, THREADS
set -euo pipefail
cd "$(dirname "$0")/.."
MESHPERF=${MESHPERF:-build/meshperf}
ROUNDS=${ROUNDS:-5} DURATION=${DURATION:-5s} CONNS=${CONNS:-64} THREADS=${THREADS:-"1 2"}
. bench/lg_nginx.sh
url="http://127.0.0.1:$NGINX_PORT/"
d=$NGINX_DIR
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
TIMEFORMAT='%3U %3S'
tick_us=$((1000000 / $(getconf CLK_TCK)))

# run_mesh T / run_wrk T: leave "req/s requests cpu_s nginx_ticks" in $d/<tool>.res
run_mesh() {
    local n0; n0=$(cpu_ticks $NGINX_WORKER_PIDS)
    { time "$MESHPERF" load -qps 0 -c "$CONNS" -threads "$1" -t "$DURATION" -json "$d/m.json" "$url" \
        >/dev/null 2>&1; } 2>"$d/m.time"
    echo "$(jq '"\(.ActualQPS) \(.DurationHistogram.Count)"' -r "$d/m.json") \
$(awk '{print $1 + $2}' "$d/m.time") $(($(cpu_ticks $NGINX_WORKER_PIDS) - n0))" >"$d/mesh.res"
}
run_wrk() {
    local n0; n0=$(cpu_ticks $NGINX_WORKER_PIDS)
    { time wrk -c "$CONNS" -t "$1" -d "$DURATION" "$url" >"$d/w.out" 2>&1; } 2>"$d/w.time"
    echo "$(awk '/^Requests\/sec:/ {q = $2} / requests in / {n = $1} END {print q, n}' "$d/w.out") \
$(awk '{print $1 + $2}' "$d/w.time") $(($(cpu_ticks $NGINX_WORKER_PIDS) - n0))" >"$d/wrk.res"
}

echo "# nginx $(nginx -v 2>&1 | sed 's/.*\///'), $(nproc) cores, $CONNS connections, $DURATION per run, $ROUNDS rounds"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for t in $THREADS; do
    : >"$d/ratios"
    : >"$d/cpuratios"
    for r in $(seq "$ROUNDS"); do
        if [ $((r % 2)) = 1 ]; then run_mesh "$t"; run_wrk "$t"; else run_wrk "$t"; run_mesh "$t"; fi
        read -r mq mn mc mng <"$d/mesh.res"
        read -r wq wn wc wng <"$d/wrk.res"
        awk -v mq="$mq" -v mn="$mn" -v mc="$mc" -v mng="$mng" -v wq="$wq" -v wn="$wn" -v wc="$wc" \
            -v wng="$wng" -v tk="$tick_us" -v t="$t" -v r="$r" -v f="$d" 'BEGIN {
            mu = mc * 1e6 / mn; wu = wc * 1e6 / wn
            printf "%.3f\n", mq / wq >>(f "/ratios")
            printf "%.3f\n", wu / mu >>(f "/cpuratios")
            printf "threads=%s round=%s meshperf=%.0f req/s %.2f us/req (nginx %.2f)  wrk=%.0f req/s %.2f us/req (nginx %.2f)  req/s ratio=%.3f CPU ratio=%.3f\n",
                t, r, mq, mu, mng * tk / mn, wq, wu, wng * tk / wn, mq / wq, wu / mu }'
    done
    echo "threads=$t median req/s ratio meshperf/wrk: $(median <"$d/ratios")  median CPU-per-request ratio wrk/meshperf: $(median <"$d/cpuratios")"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

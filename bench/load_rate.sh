#!/usr/bin/env bash
# bench/load_rate.sh: the original experiment's shape, 50,000 QPS over 400
# connections for 10 s against nginx (Debian, NGINX_WORKERS workers, default
# 1, `return 200`): prints actual/requested (target >= 0.995), the latency
# summary, the CPU time per request of meshperf and of nginx, and the load
# average. Before the rate run it measures, with the same connections and
# threads, what nginx + meshperf reach flat out (`-qps 0`, CAPACITY_T, default
# 5s; CAPACITY_T=0 skips it): a rate above that cannot be held at that moment
# whatever the generator does, so read the ratio together with it.
# Not a test.
#   MESHPERF  binary (default build/meshperf)
#   QPS, CONNS, DURATION, THREADS, NGINX_WORKERS, CAPACITY_T
set -euo pipefail
cd "$(dirname "$0")/.."
MESHPERF=${MESHPERF:-build/meshperf}
QPS=${QPS:-50000} CONNS=${CONNS:-400} DURATION=${DURATION:-10s} THREADS=${THREADS:-2}
CAPACITY_T=${CAPACITY_T:-5s}
. bench/lg_nginx.sh
url="http://127.0.0.1:$NGINX_PORT/"
TIMEFORMAT='%3U %3S'
tick_us=$((1000000 / $(getconf CLK_TCK)))
echo "# nginx $(nginx -v 2>&1 | sed 's/.*\///'), ${NGINX_WORKERS:-1} worker(s), $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$CAPACITY_T" != 0 ]; then
    "$MESHPERF" load -qps 0 -c "$CONNS" -threads "$THREADS" -t "$CAPACITY_T" -json "$NGINX_DIR/cap.json" "$url" >/dev/null 2>&1
    echo "flat out now (-qps 0, same -c/-threads, $CAPACITY_T): $(jq '.ActualQPS | round' "$NGINX_DIR/cap.json") req/s"
fi
n0=$(cpu_ticks $NGINX_WORKER_PIDS)
{ time "$MESHPERF" load -qps "$QPS" -c "$CONNS" -threads "$THREADS" -t "$DURATION" -json "$NGINX_DIR/r.json" \
    "$url" 2>&1 | grep -v '^Successfully'; } 2>"$NGINX_DIR/time"
n1=$(cpu_ticks $NGINX_WORKER_PIDS)
jq -r --argjson q "$QPS" '"actual/requested: \(.ActualQPS / $q | . * 10000 | round / 10000) (\(.ActualQPS) of \($q) qps; unsent \(.MeshperfUnsent), late \(.MeshperfLate.Count))"' "$NGINX_DIR/r.json"
awk -v n="$(jq .DurationHistogram.Count "$NGINX_DIR/r.json")" -v ng=$((n1 - n0)) -v tk="$tick_us" '{
    printf "CPU per request: meshperf %.2f us, nginx %.2f us\n", ($1 + $2) * 1e6 / n, ng * tk / n }' "$NGINX_DIR/time"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

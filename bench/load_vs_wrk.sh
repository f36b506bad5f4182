#!/usr/bin/env bash
# bench/load_vs_wrk.sh: `meshperf load -qps 0` against wrk, same nginx (Debian,
# 1 worker, `return 200`), 64 connections, threads 1 and 2, alternating
# ROUNDS times (default 5) for DURATION (default 5s). Prints each run's req/s
# and the median ratio meshperf/wrk per thread count. Not a test.
#   MESHPERF  binary (default build/meshperf)   ROUNDS, DURATION, CONNS, THREADS
set -euo pipefail
cd "$(dirname "$0")/.."
MESHPERF=${MESHPERF:-build/meshperf}
ROUNDS=${ROUNDS:-5} DURATION=${DURATION:-5s} CONNS=${CONNS:-64} THREADS=${THREADS:-"1 2"}
. bench/lg_nginx.sh
url="http://127.0.0.1:$NGINX_PORT/"
median() { sort -g | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "# nginx $(nginx -v 2>&1 | sed 's/.*\///'), $(nproc) cores, $CONNS connections, $DURATION per run, $ROUNDS rounds"
for t in $THREADS; do
    : >"$NGINX_DIR/ratios"
    for r in $(seq "$ROUNDS"); do
        m=$("$MESHPERF" load -qps 0 -c "$CONNS" -threads "$t" -t "$DURATION" -json - "$url" 2>/dev/null | jq .ActualQPS)
        w=$(wrk -c "$CONNS" -t "$t" -d "$DURATION" "$url" | awk '/^Requests\/sec:/ {print $2}')
        ratio=$(awk -v m="$m" -v w="$w" 'BEGIN{printf "%.3f", m / w}')
        echo "$ratio" >>"$NGINX_DIR/ratios"
        printf 'threads=%s round=%s meshperf=%.0f req/s wrk=%.0f req/s ratio=%s\n' "$t" "$r" "$m" "$w" "$ratio"
    done
    echo "threads=$t median ratio meshperf/wrk: $(median <"$NGINX_DIR/ratios")"
done

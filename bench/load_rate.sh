#!/usr/bin/env bash
# bench/load_rate.sh: the original experiment's shape, 50,000 QPS over 400
# connections for 10 s against nginx (Debian, 1 worker, `return 200`):
# prints actual/requested (target >= 0.995) and the latency summary. Not a test.
#   MESHPERF  binary (default build/meshperf)   QPS, CONNS, DURATION, THREADS
set -euo pipefail
cd "$(dirname "$0")/.."
MESHPERF=${MESHPERF:-build/meshperf}
QPS=${QPS:-50000} CONNS=${CONNS:-400} DURATION=${DURATION:-10s} THREADS=${THREADS:-2}
. bench/lg_nginx.sh
"$MESHPERF" load -qps "$QPS" -c "$CONNS" -threads "$THREADS" -t "$DURATION" -json "$NGINX_DIR/r.json" \
    "http://127.0.0.1:$NGINX_PORT/" | grep -v '^Successfully'
jq -r --argjson q "$QPS" '"actual/requested: \(.ActualQPS / $q | . * 10000 | round / 10000) (\(.ActualQPS) of \($q) qps; unsent \(.MeshperfUnsent), late \(.MeshperfLate.Count))"' "$NGINX_DIR/r.json"

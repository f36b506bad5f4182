# Integration: promapi against a real Prometheus (Debian `prometheus`).
# Starts Prometheus scraping itself every second (temp config and TSDB,
# free loopback port), waits for /-/ready and for its target to be up, then
# runs the promapi unit binary with MESHPERF_PROM_URL set so that its live
# test runs: query_range on `up`, a PromQL syntax error, an empty result,
# instant queries. Also: a Prometheus that is killed answers "unreachable".
# limit: 90
. "$(dirname "$0")/../lib.sh"

if ! command -v prometheus >/dev/null; then
    echo "ok - # SKIP prometheus not installed"; done_testing; exit
fi
port=$(free_port)
url=http://127.0.0.1:$port
mkdir -p "$T/tsdb"
cat >"$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:$port']
YML
spawn prom prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
    --web.listen-address=127.0.0.1:$port --log.level=warn
check "prometheus ready" wait_http "$url/-/ready" 30

# Target up (first scrape ~5-6 s after start): poll, bounded.
up=0
for _ in $(seq 150); do
    n=$(curl -fsS --max-time 1 "$url/api/v1/targets?state=active" 2>/dev/null | jq '[.data.activeTargets[] | select(.health=="up")] | length' 2>/dev/null)
    [ "${n:-0}" -ge 1 ] && { up=1; break; }
    sleep 0.2
done
expect_eq "self-scrape target up" "$up" 1

MESHPERF_PROM_URL=$url "$UNIT_DIR/test_promapi" >"$T/unit.out" 2>&1; rc=$?
expect_eq "test_promapi exits 0 with a live Prometheus" "$rc" 0
if grep -q '^\[       OK \] test_live_prometheus' "$T/unit.out"; then ok "live promapi test ran and passed"
else fail "live promapi test" "$(grep -A3 test_live_prometheus "$T/unit.out" | tr '\n' ' ')"; fi
expect_match "PromQL error text shown" "$(grep '^# PromQL error' "$T/unit.out")" "metric bad: bad_data: .*parse error"

# Kill Prometheus: the same client now reports it unreachable.
kill -KILL "$PID_prom"; wait_gone "$PID_prom" 10
MESHPERF_PROM_WAIT=2 MESHPERF_PROM_URL=$url "$UNIT_DIR/test_promapi" >"$T/unit2.out" 2>&1; rc=$?
expect_eq "live test fails once Prometheus is gone" "$rc" 1
expect_match "failure says not ready" "$(grep -m1 'not ready after' "$T/unit2.out")" "/-/ready: not ready after 2.0 s: Failed to connect to 127.0.0.1 port $port"
sed 's/^/# /' "$T/unit.out" | grep -E 'FAILED|ERROR' || true
done_testing

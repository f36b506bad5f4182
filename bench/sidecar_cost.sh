#!/usr/bin/env bash
# bench/sidecar_cost.sh: what one sidecar proxy costs, measured by meshperf
# itself against its own baseline in the same run (issue #12, "Show" 5):
# per proxy (haproxy, then nginx), one `meshperf run --modes baseline,both`
# over a chain of two nodes (0 -> 1: both mode passes 3 sidecars per
# request) at 1000, 5000, 20000 requests/s and at max (qps 0), then
# `meshperf report`, and prints from its summary.csv per test: actual QPS,
# the sidecars' vCPU and MiB per 1000 proxied requests/s, and the latency
# added per hop (per sidecar traversal; p50/p90/p99, ms), then the
# report's headline at 1000 rps (compare.csv). docs/REPORT.md "Mesh
# overhead" defines the figures. Others share the CPU: keep DURATION short
# unless the machine is yours.
#   MESHPERF=build/meshperf DURATION=10s bench/sidecar_cost.sh [haproxy nginx]
set -euo pipefail
MESHPERF=${MESHPERF:-build/meshperf}
DURATION=${DURATION:-10s}
PROXIES=(haproxy nginx)
[ $# -gt 0 ] && PROXIES=("$@")
export PATH="$PATH:/usr/sbin:/sbin"
W=$(mktemp -d "${TMPDIR:-/tmp}/meshperf-bench-sidecar.XXXXXX")
trap 'rm -rf "$W"' EXIT
cat >"$W/config.json" <<JSON
{
  "ReplicasPerVirtualNode": 1,
  "ConnectivityCheckPerURL": 2,
  "backends_map": {"0": ["1"], "1": []},
  "load_tests": [
    {"test_name": "chain-qps1000", "url": "http://service-0:9080/", "qps": "1000", "t": "$DURATION", "c": "4"},
    {"test_name": "chain-qps5000", "url": "http://service-0:9080/", "qps": "5000", "t": "$DURATION", "c": "16"},
    {"test_name": "chain-qps20000", "url": "http://service-0:9080/", "qps": "20000", "t": "$DURATION", "c": "32"},
    {"test_name": "chain-qpsmax", "url": "http://service-0:9080/", "qps": "0", "t": "$DURATION", "c": "32"}
  ],
  "meshperf": {"pause": "2s", "sample_interval": "500ms", "prometheus": "off"}
}
JSON
for proxy in "${PROXIES[@]}"; do
    if ! command -v "$proxy" >/dev/null; then
        echo "$proxy: not installed (apt-get install $proxy); skipped"
        continue
    fi
    rc=0
    nice "$MESHPERF" run --quiet --modes baseline,both --sidecar "$proxy" --results "$W/res-$proxy" \
        "$W/config.json" >"$W/run-$proxy.out" 2>"$W/run-$proxy.err" || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
        echo "$proxy: meshperf run exited $rc"
        tail -5 "$W/run-$proxy.err"
        continue
    fi
    [ "$rc" -eq 3 ] && echo "$proxy: note: some test fell short of its rate (exit 3; see actual QPS)"
    "$MESHPERF" report "$W/res-$proxy" -o "$W/rep-$proxy" --run-charts 0 >/dev/null
    echo "== $proxy: one sidecar per node, chain of 2 (3 sidecar traversals per request), t=$DURATION"
    python3 - "$W/rep-$proxy/summary.csv" "$W/rep-$proxy/compare.csv" <<'PY'
import csv, sys
def f(v, fmt="%.3f"):
    return fmt % float(v) if v not in ("", None) else "-"
allrows = list(csv.DictReader(open(sys.argv[1])))
rows = [r for r in allrows if r.get("mode") == "both"]
base = {r["test"]: r for r in allrows if r.get("mode") == "baseline"}
print("%-16s %10s %10s %12s %12s %10s %10s %10s" % ("test", "base qps", "mesh qps", "vCPU/1k rps",
                                                    "MiB/1k rps", "hop p50", "hop p90", "hop p99"))
for r in rows:
    b = base.get(r["test"], {})
    print("%-16s %10s %10s %12s %12s %10s %10s %10s" % (
        r["test"], f(b.get("actual_qps"), "%.0f"), f(r["actual_qps"], "%.0f"), f(r["sidecar_vcpu_per_1k_rps"]),
        f(r["sidecar_mib_per_1k_rps"], "%.2f"), f(r["added_p50_ms_per_hop"]),
        f(r["added_p90_ms_per_hop"]), f(r["added_p99_ms_per_hop"])))
for m in csv.DictReader(open(sys.argv[2])):
    print("headline (%s): %s vCPU and %s MiB per 1000 rps; added per hop p50 %s, p90 %s, p99 %s ms"
          % (m["at_1000_rps"], f(m["sidecar_vcpu_per_1k_rps"]), f(m["sidecar_mib_per_1k_rps"], "%.2f"),
             f(m["added_p50_ms_per_hop"]), f(m["added_p90_ms_per_hop"]), f(m["added_p99_ms_per_hop"])))
PY
done

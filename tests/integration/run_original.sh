# Integration: the original harness's own sample config
# (tests/data/config/good/original.json, byte-identical to
# reference/original/config.json) runs unchanged on the local platform,
# with --pause 0 and --scale-qps 0.01 (50000 qps -> 500 qps for 10 s,
# 400 connections, ConnectivityCheckPerURL 400).
# limit: 90
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT
cfg="$(cd "$(dirname "$0")/../data/config/good" && pwd)/original.json"

MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --pause 0 --scale-qps 0.01 --results "$T/res" \
    "$cfg" >"$T/out" 2>"$T/err"
rc=$?
expect_eq "original config: exit 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/err"
check "no serve process left" no_marked_left 3
t=experiment16-qps50000-t10-c400
ts=$(ls "$T/res/$t" 2>/dev/null)
d="$T/res/$t/$ts"
check "config.json stored byte for byte" cmp "$cfg" "$d/config.json"
f="$d/fortio.json"
expect_eq "RequestedQPS scaled to 500" "$(jq -r .RequestedQPS "$f")" "500"
expect_eq "RequestedDuration 10s" "$(jq -r .RequestedDuration "$f")" "10s"
expect_eq "400 connections (Fortio NumThreads)" "$(jq -r .NumThreads "$f")" "400"
expect_range "ActualQPS near 500" "$(jq -r .ActualQPS "$f")" 425 505
expect_eq "no errors" "$(jq -r '[.RetCodes | to_entries[] | select(.key != "200") | .value] | add // 0' "$f")" "0"
expect_match "namespace tls-e2e in the memory CSV" "$(sed -n 2p "$d/memory_working_set_MiB.csv")" "^app,tls-e2e,node-0$POD_TAIL,"
# prometheus is installed and the config has metrics but no say on where:
# a local Prometheus evaluates them (issue #5's default). No Envoy runs
# here, so every query is empty: header-only CSVs and a warning naming each.
expect_match "a local Prometheus was started for the metrics" "$(cat "$T/err")" "starting prometheus"
m=envoy_memory_MB_by_replica_set
expect_eq "empty result: header-only $m.csv" "$(cat "$d/$m.csv" 2>/dev/null)" "timestamp,$m,normalized_ts"
expect_eq "six PromQL CSVs" "$(ls "$d"/envoy_*.csv 2>/dev/null | wc -l)" 6
expect_match "empty metric is named in a warning" "$(cat "$T/err")" "$m[^
]*empty"
expect_match "connectivity check with 400 requests" "$(cat "$T/err")" "connectivity check: 400 requests per node and per URL"
expect_match "summary row" "$(grep "^$t " "$T/out")" "^$t +500\.0 +[0-9.]+ .* ok$"
done_testing

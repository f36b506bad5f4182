# Integration: `meshperf run` on a diamond (0 -> 1, 2 -> 3) with two load
# tests: the results tree, the CSV columns, node 3 serving exactly twice
# what node 0 served (2 replicas per node: backends round-robin), the QPS scale from the environment, and no process
# left behind.
# limit: 90
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT

cat >"$T/config.json" <<'JSON'
{
  "ReplicasPerVirtualNode": 2,
  "ConnectivityCheckPerURL": 5,
  "backends_map": {"0": ["1", "2"], "1": ["3"], "2": ["3"]},
  "load_tests": [
    {"test_name": "diamond-a", "url": "http://service-0.tls-e2e.svc.cluster.local:9080/", "qps": "100", "t": "2s", "c": "2"},
    {"test_name": "diamond-b", "url": "http://node-0:9080/", "qps": "60", "t": "2s", "c": "3"}
  ],
  "meshperf": {"sample_interval": "250ms"}
}
JSON

MESHPERF_IT_MARK=$RUN_MARK MESHPERF_SCALE_QPS=0.5 "$MESHPERF" run --pause 0 \
    --results "$T/res" "$T/config.json" >"$T/out" 2>"$T/err"
rc=$?
expect_eq "run exits 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/err"
check "no serve process left" no_marked_left 3

ts=$(ls "$T/res/diamond-a" 2>/dev/null)
expect_match "driver_ts is %Y%m%d%H%M%S" "$ts" '^20[0-9]{12}$'
expect_eq "one driver_ts for the whole run" "$(ls "$T/res/diamond-b" 2>/dev/null)" "$ts"
expect_eq "results path printed" "$(grep '^results: ' "$T/out")" "results: $T/res (driver_ts $ts)"

want_files="config.json container_cpu_usage_seconds_total.csv container_memory_working_set_bytes.csv cpu_usage_seconds.csv fortio.json memory_working_set_MiB.csv requests_total.csv sources.json"
for t in diamond-a diamond-b; do
    d="$T/res/$t/$ts"
    expect_eq "$t: files" "$(ls "$d" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')" "$want_files"
    check "$t: config.json is the original bytes" cmp "$T/config.json" "$d/config.json"
    for m in container_cpu_usage_seconds_total container_memory_working_set_bytes \
             cpu_usage_seconds memory_working_set_MiB; do
        expect_eq "$t: $m.csv header" "$(head -1 "$d/$m.csv")" \
            "metric.container,metric.namespace,metric.pod,timestamp,$m,normalized_ts"
        expect_match "$t: $m.csv has the 8 pods (4 nodes x 2 replicas)" \
            "$(tail -n +2 "$d/$m.csv" | cut -d, -f3 | sort -u | tr '\n' ' ')" \
            "^(node-0$POD_TAIL ){2}(node-1$POD_TAIL ){2}(node-2$POD_TAIL ){2}(node-3$POD_TAIL ){2}\$"
    done
    expect_eq "$t: requests_total.csv header" "$(head -1 "$d/requests_total.csv")" \
        "metric.code,metric.container,metric.namespace,metric.path,metric.pod,timestamp,requests_total,normalized_ts"
    # what each node (all its replicas) served during the test: per pod,
    # last - first of its root/200 counter, summed over the node's pods
    served() {
        awk -F, -v node="$1" 'index($5, node "-") == 1 && $4=="root" && $1=="200" {
                if (!($5 in f)) f[$5]=$7; l[$5]=$7 }
            END { s=0; for (p in f) s += l[p]-f[p]; print s }' "$d/requests_total.csv"
    }
    n0=$(served node-0); n1=$(served node-1); n3=$(served node-3)
    count=$(jq '.DurationHistogram.Count' "$d/fortio.json")
    expect_eq "$t: node 0 served what the load sent" "$n0" "$count"
    expect_eq "$t: node 1 served as node 0" "$n1" "$n0"
    expect_eq "$t: node 3 served twice node 0" "$n3" "$((2 * n0))"
    expect_range "$t: node 3's two replicas share its calls" \
        "$(awk -F, -v p="$(tail -n +2 "$d/requests_total.csv" | cut -d, -f5 | grep '^node-3-' | sort | head -1)" \
            '$5==p && $4=="root" && $1=="200" { if (!n++) f=$7; l=$7 } END { print l-f }' "$d/requests_total.csv")" 1 $((2 * n0 - 1))
    expect_eq "$t: fortio.json 200s" "$(jq -r '.RetCodes["200"]' "$d/fortio.json")" "$count"
done
expect_eq "env MESHPERF_SCALE_QPS halves qps (a)" \
    "$(jq -r .RequestedQPS "$T/res/diamond-a/$ts/fortio.json")" "50"
expect_eq "env MESHPERF_SCALE_QPS halves qps (b)" \
    "$(jq -r .RequestedQPS "$T/res/diamond-b/$ts/fortio.json")" "30"
expect_range "diamond-a: requests ~ 50 qps x 2 s" \
    "$(jq '.DurationHistogram.Count' "$T/res/diamond-a/$ts/fortio.json")" 95 101
expect_match "summary row a" "$(grep '^diamond-a ' "$T/out")" '^diamond-a +50\.0 +[0-9.]+ .* ok$'
expect_match "summary has node-0 memory" "$(head -1 "$T/out")" 'node-0 MiB'
expect_match "plain progress lines" "$(cat "$T/err")" '\[2/2\] diamond-b: done, [0-9]+ requests'

# --quiet: no progress and no table, only the results line
MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --quiet --pause 0 --scale-qps 0.2 \
    --results "$T/res2" "$T/config.json" >"$T/qout" 2>"$T/qerr"
rc=$?
expect_eq "quiet run exits 0" "$rc" 0
expect_eq "quiet: stderr empty" "$(cat "$T/qerr")" ""
expect_match "quiet: stdout is the results line" "$(cat "$T/qout")" "^results: $T/res2 \(driver_ts [0-9]{14}\)$"
check "quiet: no serve process left" no_marked_left 3
done_testing

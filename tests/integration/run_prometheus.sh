# Integration: `meshperf run` with a real Prometheus (issue #5).
#  1. --prometheus local on a chain 0 -> 1: every metric CSV non-empty with
#     the original's columns, rates that match the load, cAdvisor-named
#     memory series of the local pods, a PromQL syntax error recorded in
#     errors.json with Prometheus's own text (the run still succeeds), and
#     no prometheus or serve process left;
#  2. --prometheus URL (a Prometheus this test starts, scraping itself):
#     each CSV equals a direct query_range of the same query (same series,
#     same values);
#  3. --prometheus pointing at a closed port: exit 1, clear message;
#  4. local Prometheus killed mid-test: the run finishes, load results
#     intact, the failure recorded in errors.json.
# limit: 150
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT
command -v prometheus >/dev/null || { fail "prometheus installed" "not in PATH (Debian package prometheus)"; done_testing; exit; }

cat >"$T/local.json" <<'JSON'
{
  "ConnectivityCheckPerURL": 2,
  "backends_map": {"0": ["1"], "1": []},
  "load_tests": [{"test_name": "p", "url": "http://service-0:9080/", "qps": "100", "t": "5s", "c": "2"}],
  "metrics": {
    "ingress_rate": "sum(rate(meshperf_requests_total{job=\"meshperf\",kubernetes_pod_name=~\"node-.*\",path=\"root\"}[3s])) by (kubernetes_pod_name)",
    "memory_MB_by_replica_set": "sum(label_replace(container_memory_working_set_bytes{container=\"app\",pod=~\"node-.*\"}, \"replica_set\", \"$1\", \"pod\", \"(node-.*)-.*\")) by (replica_set) / (1024*1024)",
    "broken": "sum(rate(meshperf_requests_total[3s]) by (pod)"
  },
  "meshperf": {"step": "1s", "sample_interval": "500ms"}
}
JSON

# ---- 1. local
MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --prometheus local --pause 0 --results "$T/r1" \
    "$T/local.json" >"$T/out1" 2>"$T/err1"
rc=$?
expect_eq "local: exit 0 (a broken metric is recorded, not fatal)" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/err1"
check "local: no prometheus or serve process left" no_marked_left 5
d="$T/r1/p/$(ls "$T/r1/p" 2>/dev/null)"
expect_eq "local: ingress_rate header" "$(head -1 "$d/ingress_rate.csv")" \
    "metric.kubernetes_pod_name,timestamp,ingress_rate,normalized_ts"
pods=$(tail -n +2 "$d/ingress_rate.csv" | cut -d, -f1 | sort -u | tr '\n' ' ')
expect_match "local: ingress_rate pods" "$pods" "^node-0$POD_TAIL node-1$POD_TAIL \$"
for pod in $pods; do
    expect_range "local: $pod peak ingress rate ~ 100/s" \
        "$(awk -F, -v p=$pod '$1==p && $3>m {m=$3} END {print m+0}' "$d/ingress_rate.csv")" 70 130
done
expect_eq "local: memory header" "$(head -1 "$d/memory_MB_by_replica_set.csv")" \
    "metric.replica_set,timestamp,memory_MB_by_replica_set,normalized_ts"
# the original's label_replace "(node-.*)-.*" keeps the Deployment's
# replica set: node-0-<template hash>, as on a cluster
expect_match "local: replica sets" \
    "$(tail -n +2 "$d/memory_MB_by_replica_set.csv" | cut -d, -f1 | sort -u | tr '\n' ' ')" \
    "^node-0-[bcdfghjklmnpqrstvwxz2456789]{10} node-1-[bcdfghjklmnpqrstvwxz2456789]{10} \$"
expect_range "local: node-0 memory MiB plausible" \
    "$(awk -F, '$1 ~ /^node-0-/ {print $3; exit}' "$d/memory_MB_by_replica_set.csv")" 1 1000
check "local: no CSV for the broken metric" test ! -e "$d/broken.csv"
expect_eq "local: errors.json names the metric" "$(jq -r '.[0].metric' "$d/errors.json")" "broken"
expect_eq "local: errors.json kind" "$(jq -r '.[0].kind' "$d/errors.json")" "query"
expect_match "local: Prometheus's own text" "$(jq -r '.[0].error' "$d/errors.json")" '^bad_data: .*parse error'
expect_match "local: stderr names the metric" "$(cat "$T/err1")" 'metric broken: bad_data: '
check "local: fortio.json intact" test -s "$d/fortio.json"

# ---- 2. URL: compare with a direct query_range
pport=$(free_port)
mkdir -p "$T/prom"
cat >"$T/prom/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: self
    static_configs: [{targets: ['127.0.0.1:$pport']}]
YML
spawn prom prometheus --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \
    --web.listen-address=127.0.0.1:$pport --log.level=warn
wait_http "http://127.0.0.1:$pport/-/ready" 30
end=$((SECONDS + 30))
until [ "$(curl -fsS "http://127.0.0.1:$pport/api/v1/query?query=up" | jq -r '.data.result[0].value[1]' 2>/dev/null)" = 1 ] || [ $SECONDS -gt $end ]; do sleep 0.2; done
cat >"$T/url.json" <<'JSON'
{
  "ConnectivityCheckPerURL": 1,
  "backends_map": {"0": []},
  "load_tests": [{"test_name": "u", "url": "http://service-0:9080/", "qps": "20", "t": "4s", "c": "1"}],
  "metrics": {
    "up": "up",
    "samples": "scrape_samples_scraped",
    "http_by_handler": "sum(prometheus_http_requests_total) by (handler)"
  },
  "meshperf": {"step": "1s"}
}
JSON
MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --prometheus "http://127.0.0.1:$pport" --pause 0 \
    --results "$T/r2" "$T/url.json" >"$T/out2" 2>"$T/err2"
rc=$?
expect_eq "url: exit 0" "$rc" 0
d="$T/r2/u/$(ls "$T/r2/u" 2>/dev/null)"
for m in up samples http_by_handler; do
    f="$d/$m.csv"
    first=$(sed -n 2p "$f" | awk -F, '{print $(NF-2)}')
    last=$(awk -F, 'NR>1 {t=$(NF-2); if (t>m) m=t} END {print m}' "$f")
    q=$(jq -r --arg m "$m" '.metrics[$m]' "$T/url.json")
    # flatten the direct answer the same way: labels (sorted, without
    # __name__ handling: keep all), timestamp, value
    curl -fsS "http://127.0.0.1:$pport/api/v1/query_range" --data-urlencode "query=$q" \
        --data-urlencode "start=$first" --data-urlencode "end=$last" --data-urlencode "step=1" \
        >"$T/direct.json"
    want=$(jq -r '.data.result[] | (.metric | to_entries | sort_by(.key) | map(.value) | join(",")) as $l
                 | .values[] | "\($l),\(.[0]),\(.[1])"' "$T/direct.json" | sed 's/^,//' | sort)
    got=$(tail -n +2 "$f" | awk -F, -v OFS=, '{NF=NF-1; print}' | sort)
    expect_eq "url: $m.csv equals a direct query_range" "$got" "$want"
    expect_range "url: $m.csv rows" "$(tail -n +2 "$f" | wc -l)" 3 1000
done
check "url: no serve process left" no_marked_left 5

# ---- 3. closed port
cport=$(free_port)
MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --prometheus "http://127.0.0.1:$cport" --pause 0 \
    --results "$T/r3" "$T/url.json" >"$T/out3" 2>"$T/err3"
rc=$?
expect_eq "closed port: exit 1" "$rc" 1
expect_match "closed port: message names the URL" "$(cat "$T/err3")" "prometheus http://127\.0\.0\.1:$cport: "
check "closed port: no load ran" test ! -e "$T/r3/u"
check "closed port: no serve process left" no_marked_left 5

# ---- 4. local Prometheus killed mid-test
sed 's/"t": "5s"/"t": "6s"/' "$T/local.json" >"$T/kill.json"
spawn k env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --prometheus local --pause 0 \
    --results "$T/r4" "$T/kill.json"
if wait_file_match "$T/k.log" '^\[1/1\] p: 100 qps' 40; then
    for p in $(marked_pids); do
        [ "$(cat /proc/$p/comm 2>/dev/null)" = prometheus ] && kill -KILL "$p"
    done
fi
wait_gone "$PID_k" 60
wait "$PID_k"; rc=$?
expect_eq "prometheus killed: exit 0 (metrics failed, load fine)" "$rc" 0
d="$T/r4/p/$(ls "$T/r4/p" 2>/dev/null)"
expect_eq "prometheus killed: load results intact" "$(jq -r .DurationHistogram.Count "$d/fortio.json")" 600
expect_eq "prometheus killed: every metric's failure recorded" \
    "$(jq -r '[.[] | .metric] | join(",")' "$d/errors.json")" "ingress_rate,memory_MB_by_replica_set,broken"
expect_eq "prometheus killed: as unreachable" "$(jq -r '[.[] | .kind] | unique | join(",")' "$d/errors.json")" "unreachable"
check "prometheus killed: built-in CSVs still written" test -s "$d/memory_working_set_MiB.csv"
check "prometheus killed: no process left" no_marked_left 5
done_testing

# Integration (issue #12, Show 3): the original harness's sample config
# (tests/data/config/good/original.json, byte-identical to
# reference/original/config.json) with only container=\"envoy\" changed to
# the proxy's name, run with `--sidecar <proxy>` through a local
# Prometheus. Nothing else in the file changes (checked: the substitution
# is undone exactly, and diff shows only its lines); what a local run needs
# comes from flags: --pause 0, --scale-qps 0.01 (50000 -> 500 qps for the
# config's own 10 s, 400 connections), --prometheus local.
# For haproxy and nginx: every test's memory and CPU CSVs are non-empty
# with one series per replica set, as the query's label_replace
# "(node-.*-.*)-.*" groups pods (nodes x ReplicasPerVirtualNode pods, here
# one of each: one series, node-0-<template hash>, the proxy's own pod's);
# the envoy_cluster_upstream_rq queries, which no proxy here answers, give
# header-only CSVs, not errors; no process is left.
# limit: 150
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT
orig="$(cd "$(dirname "$0")/../data/config/good" && pwd)/original.json"
command -v prometheus >/dev/null || { fail "prometheus installed" "not in PATH (Debian package prometheus)"; done_testing; exit; }
export PATH="$PATH:/usr/sbin:/sbin"

nenvoy=$(grep -o 'container=\\"envoy\\"' "$orig" | wc -l)
expect_eq "the original names container=\"envoy\" twice (memory, CPU)" "$nenvoy" 2

for proxy in haproxy nginx; do
    command -v "$proxy" >/dev/null || { fail "$proxy installed" "apt-get install $proxy"; continue; }
    cfg="$T/original-$proxy.json"
    sed "s/container=\\\\\"envoy\\\\\"/container=\\\\\"$proxy\\\\\"/g" "$orig" >"$cfg"

    # only the container name changed
    expect_eq "$proxy: the original never names container=\"$proxy\"" \
        "$(grep -c "container=\\\\\"$proxy\\\\\"" "$orig")" 0
    expect_eq "$proxy: config: every container=\"envoy\" replaced" \
        "$(grep -c 'container=\\"envoy\\"' "$cfg")" 0
    expect_eq "$proxy: config: container=\"$proxy\" as often as envoy was" \
        "$(grep -o "container=\\\\\"$proxy\\\\\"" "$cfg" | wc -l)" "$nenvoy"
    check "$proxy: config: undoing the substitution gives the original byte for byte" \
        cmp -s "$orig" <(sed "s/container=\\\\\"$proxy\\\\\"/container=\\\\\"envoy\\\\\"/g" "$cfg")
    expect_eq "$proxy: config: diff: each changed line is its original with the name changed" \
        "$(diff "$orig" "$cfg" | sed -n 's/^< //p' | sed "s/container=\\\\\"envoy\\\\\"/container=\\\\\"$proxy\\\\\"/g")" \
        "$(diff "$orig" "$cfg" | sed -n 's/^> //p')"
    expect_eq "$proxy: config: diff: two lines changed" "$(diff "$orig" "$cfg" | grep -c '^>')" "$nenvoy"

    MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --sidecar "$proxy" --prometheus local --pause 0 \
        --scale-qps 0.01 --results "$T/res-$proxy" "$cfg" >"$T/out-$proxy" 2>"$T/err-$proxy"
    rc=$?
    expect_eq "$proxy: run exits 0" "$rc" 0
    [ "$rc" -eq 0 ] || sed 's/^/# /' "$T/err-$proxy" | tail -20
    check "$proxy: no serve, $proxy or prometheus process left" no_marked_left 5
    expect_match "$proxy: a local Prometheus evaluated the metrics" "$(cat "$T/err-$proxy")" "starting prometheus"

    nodes=$(jq '.backends_map | length' "$cfg")
    reps=$(jq '.ReplicasPerVirtualNode // 1' "$cfg")
    for t in $(jq -r '.load_tests[].test_name' "$cfg"); do
        d="$T/res-$proxy/$t/$(ls "$T/res-$proxy/$t" 2>/dev/null | head -1)"
        check "$proxy $t: config.json stored as run" cmp -s "$cfg" "$d/config.json"
        # the proxy's pods, as the built-in sampler saw them (container label)
        pods=$(awk -F, -v c="$proxy" 'NR > 1 && $1 == c { print $3 }' \
            "$d/container_memory_working_set_bytes.csv" | sort -u)
        expect_eq "$proxy $t: nodes x ReplicasPerVirtualNode $proxy pods" \
            "$(echo "$pods" | grep -cE "^node-[0-9]+$POD_TAIL\$")" "$((nodes * reps))"
        # what the original's label_replace "(node-.*-.*)-.*" makes of them
        want=$(echo "$pods" | sed -E 's/-[^-]+$//' | sort -u | tr '\n' ' ')
        for m in envoy_memory_MB_by_replica_set envoy_cpu_usage_seconds_by_replica_set; do
            f="$d/$m.csv"
            expect_eq "$proxy $t: $m.csv header" "$(head -1 "$f" 2>/dev/null)" \
                "metric.replica_set,timestamp,$m,normalized_ts"
            expect_range "$proxy $t: $m.csv has rows" "$(tail -n +2 "$f" 2>/dev/null | wc -l)" 1 100000
            expect_eq "$proxy $t: $m.csv: one series per replica set of the $proxy pods" \
                "$(tail -n +2 "$f" 2>/dev/null | cut -d, -f1 | sort -u | tr '\n' ' ')" "$want"
        done
        expect_range "$proxy $t: its memory (MiB) plausible" \
            "$(awk -F, 'NR > 1 && $3 > m { m = $3 } END { print m + 0 }' "$d/envoy_memory_MB_by_replica_set.csv")" 0.5 500
        expect_range "$proxy $t: its CPU moved (s)" \
            "$(awk -F, 'NR > 1 && $3 > m { m = $3 } END { print m + 0 }' "$d/envoy_cpu_usage_seconds_by_replica_set.csv")" 0.0001 1000
        # Envoy's request counters have no equivalent here: an empty result
        # is a header-only CSV and a warning, not an error
        for m in $(jq -r '.metrics | keys[] | select(test("requests_rate|ingress_rate"))' "$cfg"); do
            expect_eq "$proxy $t: $m.csv header-only" "$(cat "$d/$m.csv" 2>/dev/null)" "timestamp,$m,normalized_ts"
        done
        expect_eq "$proxy $t: no query failed (no errors.json)" \
            "$(jq -r '[.[].metric] | join(",")' "$d/errors.json" 2>/dev/null)" ""
        expect_eq "$proxy $t: six PromQL CSVs" "$(ls "$d"/envoy_*.csv 2>/dev/null | wc -l)" 6
        expect_eq "$proxy $t: load: every request answered 200" \
            "$(jq -r '.RetCodes["200"]' "$d/fortio.json" 2>/dev/null)" \
            "$(jq -r '.DurationHistogram.Count' "$d/fortio.json" 2>/dev/null)"
    done
done
done_testing

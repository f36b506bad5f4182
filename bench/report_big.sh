#!/usr/bin/env bash
# bench/report_big.sh: `meshperf report` over two big results trees (issue
# #11, finding 6), against the binary from before the fix, in the same
# invocation:
#   rows: one run whose memory CSV has 1,000,000 rows (one noisy series):
#         drawing it was the cost (every point stroked; now downsampled per
#         half-pixel column);
#   pods: one run whose memory CSV has 200,000 distinct pods (2 samples
#         each, on 50 nodes): grouping and legends were quadratic.
# Targets (docs/BENCHMARKS.md): rows under 2 s, pods under 3 s (release).
# The baseline is stopped after BASE_TIMEOUT seconds (it took minutes).
#   MESHPERF=build/meshperf bench/report_big.sh
#   BASELINE=path/to/old/meshperf   the binary to compare with; default:
#       built from BASE_REV (default 446e709, main before the fix) with
#       `git archive` into a temporary directory
#   BASE_TIMEOUT=120 ROWS=1000000 PODS=200000
set -euo pipefail
cd "$(dirname "$0")/.."
MESHPERF=${MESHPERF:-build/meshperf}
BASE_REV=${BASE_REV:-446e709}
BASE_TIMEOUT=${BASE_TIMEOUT:-120}
ROWS=${ROWS:-1000000}
PODS=${PODS:-200000}
W=$(mktemp -d "${TMPDIR:-/tmp}/meshperf-bench-big.XXXXXX")
trap 'rm -rf "$W"' EXIT

if [ -z "${BASELINE:-}" ]; then
    mkdir "$W/base"
    git archive "$BASE_REV" | tar -x -C "$W/base"
    make -C "$W/base" -j2 build/meshperf >"$W/base.log" 2>&1 || {
        tail -20 "$W/base.log"
        exit 1
    }
    BASELINE=$W/base/build/meshperf
fi

python3 - "$W" "$ROWS" "$PODS" <<'PY'
import json, os, random, sys
w, rows, pods = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fortio = {"RequestedQPS": "100", "ActualQPS": 99.5,
          "DurationHistogram": {"Count": 1000, "Min": 0.001, "Max": 0.01,
                                "Data": [{"Start": 0.001, "End": 0.01, "Percent": 100, "Count": 1000}],
                                "Percentiles": [{"Percentile": 50, "Value": 0.002}]},
          "RetCodes": {"200": 1000}}
rnd = random.Random(1)
for name in ("rows", "pods"):
    d = os.path.join(w, name, "exp", "20240101120000")
    os.makedirs(d)
    json.dump(fortio, open(os.path.join(d, "fortio.json"), "w"))
    with open(os.path.join(d, "memory_working_set_MiB.csv"), "w") as f:
        f.write("metric.container,metric.pod,timestamp,memory_working_set_MiB,normalized_ts\n")
        if name == "rows":
            for i in range(rows):
                f.write(f"app,node-0-0,{1704110400 + i * 0.01:.2f},{20 + rnd.random() * 10:.3f},{i * 0.01:.2f}\n")
        else:
            for p in range(pods):
                for t in range(2):
                    f.write(f"app,node-{p % 50}-{p},{1704110400 + t},{1 + p % 7},{t}\n")
PY
echo "trees: rows $(du -sh "$W/rows" | cut -f1) ($ROWS rows), pods $(du -sh "$W/pods" | cut -f1) ($PODS pods x 2 samples)"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# "WALL CPU" seconds of `report TREE` by binary BIN (CPU = user + sys);
# ">LIMIT -" when it was stopped at LIMIT
timed() {
    local bin=$1 tree=$2 limit=$3 out=$W/out-$RANDOM t
    t=$({ TIMEFORMAT="%R %U %S"; time timeout "$limit" "$bin" report "$W/$tree" -o "$out" \
        >/dev/null 2>&1 || echo "rc=$?"; } 2>&1 | tr '\n' ' ')
    rm -rf "$out"
    case "$t" in
    *rc=124*) echo ">$limit -" ;;
    *rc=*) echo "exit -" ;;
    *) awk '{printf "%.3f %.3f", $1, $2 + $3}' <<<"$t" ;;
    esac
}

for tree in rows pods; do
    target=$([ "$tree" = rows ] && echo 2 || echo 3)
    read -r w1 c1 <<<"$(timed "$MESHPERF" "$tree" 60)"
    read -r w2 c2 <<<"$(timed "$MESHPERF" "$tree" 60)"
    read -r wb cb <<<"$(timed "$BASELINE" "$tree" "$BASE_TIMEOUT")"
    awk -v t="$tree" -v w1="$w1" -v w2="$w2" -v c1="$c1" -v c2="$c2" -v wb="$wb" -v cb="$cb" \
        -v tg="$target" 'BEGIN {
        n = w1 < w2 ? w1 : w2; c = w1 < w2 ? c1 : c2
        ratio = (wb ~ /^>/) ? "> " sprintf("%.0f", substr(wb, 2) / n) : sprintf("%.1f", wb / n)
        printf "%s: now %.3f s wall, %.3f s CPU (best of 2: %s, %s s), before %s s wall (CPU %s), before/now %sx; target < %d s: %s\n",
            t, n, c, w1, w2, wb, cb, ratio, tg, n < tg ? "met" : "NOT met on this run"
    }'
done
echo "machine after: load average $(cut -d' ' -f1-3 /proc/loadavg)"

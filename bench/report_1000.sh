#!/usr/bin/env bash
# bench/report_1000.sh: time `meshperf report` on a synthetic results tree
# of 1,000 runs (100 tests x 10 runs; each a Fortio-schema fortio.json with
# 20 histogram buckets and 5 percentiles, and a memory_working_set_MiB.csv
# of 3 nodes x 2 containers x 30 samples). There is no peer that does the
# same job (the original's analysis was Python + matplotlib, not shipped
# here), so this prints the wall time and the cost per run; the target
# (docs/BENCHMARKS.md) is under 2 s for the whole report.
#   MESHPERF=path/to/meshperf bench/report_1000.sh [RUNS]
set -euo pipefail
MESHPERF=${MESHPERF:-build/meshperf}
RUNS=${1:-1000}
W=$(mktemp -d "${TMPDIR:-/tmp}/meshperf-bench-report.XXXXXX")
trap 'rm -rf "$W"' EXIT
python3 - "$W/results" "$RUNS" <<'PY'
import json, os, random, sys
root, runs = sys.argv[1], int(sys.argv[2])
rnd = random.Random(1)
for r in range(runs):
    test, k = f"exp{r // 10:03d}-qps{(r // 10 + 1) * 100}", r % 10
    d = os.path.join(root, test, f"202401011{k:01d}0000")
    os.makedirs(d)
    qps = (r // 10 + 1) * 100 * rnd.uniform(0.97, 1.0)
    edges = [0.0001 * 1.5 ** i for i in range(21)]
    counts = [rnd.randint(1, 1000) for _ in range(20)]
    total, cum, data = sum(counts), 0, []
    for i, c in enumerate(counts):
        cum += c
        data.append({"Start": edges[i], "End": edges[i + 1], "Percent": 100.0 * cum / total, "Count": c})
    pct = [{"Percentile": p, "Value": edges[min(20, int(p / 5))]} for p in (50, 75, 90, 99, 99.9)]
    json.dump({"RunType": "HTTP", "RequestedQPS": str((r // 10 + 1) * 100), "ActualQPS": qps,
               "DurationHistogram": {"Count": total, "Min": edges[0], "Max": edges[20],
                                     "Sum": 1.0, "Avg": 0.001, "StdDev": 0.001,
                                     "Data": data, "Percentiles": pct},
               "RetCodes": {"200": total - 3, "503": 3}}, open(os.path.join(d, "fortio.json"), "w"))
    with open(os.path.join(d, "memory_working_set_MiB.csv"), "w") as f:
        f.write("metric.container,metric.namespace,metric.pod,timestamp,memory_working_set_MiB,normalized_ts\n")
        for node in range(3):
            for c in ("app", "sidecar"):
                for t in range(30):
                    f.write(f"{c},meshperf,node-{node}-0,{1704110400 + t},{rnd.uniform(5, 50):.3f},{t}\n")
PY
echo "tree: $RUNS runs, $(du -sh "$W/results" | cut -f1)"
# wall and CPU (user + sys) seconds of one command, via bash's time
timed() { local TIMEFORMAT="%R %U %S"; { time "$@" >/dev/null 2>&1; } 2>&1; }
read -r w1 u1 s1 <<<"$(timed "$MESHPERF" report "$W/results" -o "$W/out")"
read -r w0 u0 s0 <<<"$(timed "$MESHPERF" report "$W/results" -o "$W/out0" -run-charts 0)"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (wall time grows with load; CPU time less so)"
awk -v w1="$w1" -v c1="$(awk -v a="$u1" -v b="$s1" 'BEGIN{print a+b}')" \
    -v w0="$w0" -v c0="$(awk -v a="$u0" -v b="$s0" 'BEGIN{print a+b}')" -v n="$RUNS" -v nch="$(ls "$W/out"/*.png | wc -l)" 'BEGIN {
    printf "meshperf report, %d runs, default (per-run charts for 20 runs, %s): wall %.3f s (%.2f ms/run), CPU %.3f s\n", n, "charts: " nch, w1, w1 * 1000 / n, c1
    printf "meshperf report, %d runs, -run-charts 0 (read + summary + 2 charts): wall %.3f s (%.2f ms/run), CPU %.3f s\n", n, w0, w0 * 1000 / n, c0
    printf "target: whole report of 1000 runs under 2 s wall: %s\n", w1 < 2 ? "met" : "NOT met on this run"
}'
echo "output: $(ls "$W/out" | wc -l) files, index.html $(du -h "$W/out/index.html" | cut -f1)"

# Integration: `meshperf report` over hostile results trees (issue #11,
# finding 6) cannot be hung, led out of the tree or made to crawl:
# - a FIFO named x.csv (and one named fortio.json) is skipped, not waited on
#   (the report runs under `timeout`, so a hang fails instead of blocking);
# - a directory symlink to /proc/self and one to a results tree outside the
#   source, and a file symlink to a CSV outside, are not followed (no run
#   read through them; with strace, no open below them at all);
# - a 250,000-row CSV and 100,000 distinct pods each finish in under 30 s
#   (under ASan; the release build takes about 1 s: bench/report_big.sh),
#   which the quadratic grouping and the lines drawn point by point did not
#   (17 s and > 15 s before, release); the 250k-row chart's inline SVG is
#   small (downsampled: every point would be ~4.6 MB of path) and the pods'
#   chart says how many lines it left out.
# limit: 150
. "$(dirname "$0")/../lib.sh"

# a run with a fortio.json, a memory CSV, and the hostile entries
mkrun() {
    mkdir -p "$1"
    cat >"$1/fortio.json" <<'JSON'
{"RequestedQPS": "100", "ActualQPS": 99.5, "DurationHistogram": {"Count": 1000, "Min": 0.001,
 "Max": 0.01, "Data": [{"Start": 0.001, "End": 0.01, "Percent": 100, "Count": 1000}]},
 "RetCodes": {"200": 1000}}
JSON
    printf 'metric.pod,timestamp,memory_MiB,normalized_ts\nnode-0-0,1,5,0\nnode-0-0,2,7,1\n' \
        >"$1/memory_MiB.csv"
}

# 1. FIFOs and symlinks
R=$T/hostile
mkrun "$R/exp/20240101120000"
mkfifo "$R/exp/20240101120000/x.csv"
mkdir -p "$R/exp/20240101130000"
mkfifo "$R/exp/20240101130000/fortio.json"
printf 'metric.pod,timestamp,memory_MiB,normalized_ts\nnode-1-0,1,9,0\n' \
    >"$R/exp/20240101130000/memory_MiB.csv"
mkrun "$T/outside/secret/20240101140000"
printf 'metric.pod,timestamp,cpu_usage_seconds,normalized_ts\nnode-0-0,1,1,0\n' \
    >"$T/outside/cpu.csv"
ln -s /proc/self "$R/procdir"
ln -s /proc/self "$R/exp/20240101120000/self"
ln -s "$T/outside" "$R/outlink"
ln -s "$T/outside/cpu.csv" "$R/exp/20240101120000/cpu_usage_seconds.csv"
start=$SECONDS
timeout 30 "$MESHPERF" report "$R" -o "$T/out1" >"$T/out1.log" 2>&1; rc=$?
expect_eq "FIFOs and symlinks: report exits 0 (124 = hung on a FIFO)" "$rc" 0
expect_range "FIFOs and symlinks: finishes in seconds" $((SECONDS - start)) 0 29
expect_eq "only the two real runs are rows (nothing through the symlinks)" \
    "$(cut -d, -f2,3 "$T/out1/summary.csv" 2>/dev/null | tail -n +2 | tr '\n' ' ')" \
    "exp,20240101120000 exp,20240101130000 "
expect_match "a FIFO named fortio.json is named as not a regular file" "$(cat "$T/out1.log")" \
    "exp/20240101130000: fortio.json: not a regular file; continuing"
expect_eq "the CSV symlinked from outside is not read (no CPU figure)" \
    "$(awk -F, '$3 == "20240101120000" {print $NF}' "$T/out1/summary.csv" 2>/dev/null)" ""
# the same under strace (LeakSanitizer cannot run under ptrace: leaks off
# for this one): the symlinks and the FIFO x.csv are only ever lstat'ed (by
# the store's list), never opened, followed or walked into
if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true 2>/dev/null; then
    ASAN_OPTIONS=detect_leaks=0 timeout 30 strace -f -qq -o "$T/trace" \
        -e trace=open,openat,openat2,stat,lstat,newfstatat,statx \
        "$MESHPERF" report "$R" -o "$T/out1s" >/dev/null 2>&1
    expect_eq "strace: the report read both memory CSVs" \
        "$(grep -cE 'open.*memory_MiB\.csv.* = [0-9]+$' "$T/trace")" 2
    expect_eq "strace: symlinks and the FIFO x.csv never opened nor followed" \
        "$(grep -E "\"($R/[^\"]*)?(procdir|outlink|self|cpu_usage_seconds\.csv|x\.csv)[/\"]" \
            "$T/trace" | grep -v AT_SYMLINK_NOFOLLOW | head -3)" ""
    expect_eq "strace: nothing of the outside tree read" \
        "$(grep -E "\"($T/outside|[^\"]*secret)" "$T/trace" | head -3)" ""
else
    ok "# skip strace checks: strace not usable here"
fi

# 2. a 250,000-row CSV (one series)
python3 - "$T/rows/exp/20240101120000" 250000 <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d)
with open(os.path.join(d, "memory_MiB.csv"), "w") as f:
    f.write("metric.pod,timestamp,memory_MiB,normalized_ts\n")
    for i in range(n):
        f.write(f"node-0-0,{1704110400 + i * 0.01:.2f},{10 + (i * 7919 % 1000) / 100:.2f},{i * 0.01:.2f}\n")
PY
start=$SECONDS
timeout 60 "$MESHPERF" report "$T/rows" -o "$T/out2" >/dev/null 2>"$T/out2.log"; rc=$?
took=$((SECONDS - start))
expect_eq "250k rows: report exits 0" "$rc" 0
expect_range "250k rows: finishes within 30 s (was 120 s, release, before)" "$took" 0 30
expect_eq "250k rows: summary has its max memory" "$(cut -d, -f12 "$T/out2/summary.csv" | tail -1)" 19.99
svg=$(wc -c <"$T/out2/index.html")
expect_range "250k rows: the page (inline SVG) is small: lines downsampled" "$svg" 1 2000000

# 3. 100,000 distinct pods (2 samples each) on 50 nodes
python3 - "$T/pods/exp/20240101120000" 100000 <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d)
with open(os.path.join(d, "memory_MiB.csv"), "w") as f:
    f.write("metric.container,metric.pod,timestamp,memory_MiB,normalized_ts\n")
    for p in range(n):
        for t in range(2):
            f.write(f"app,node-{p % 50}-{p},{1704110400 + t},{1 + p % 7},{t}\n")
PY
start=$SECONDS
timeout 60 "$MESHPERF" report "$T/pods" -o "$T/out3" >/dev/null 2>"$T/out3.log"; rc=$?
took=$((SECONDS - start))
expect_eq "100k pods: report exits 0" "$rc" 0
expect_range "100k pods: finishes within 30 s (quadratic before)" "$took" 0 30
expect_eq "100k pods: 50 nodes in the summary" \
    "$(head -1 "$T/out3/summary.csv" | tr ',' '\n' | grep -c '^mem_max_mib_node-')" 50
# node-0 has pods 0, 50, ... : values 1 + p % 7 summed per timestamp
want=$(python3 -c 'print(sum(1 + p % 7 for p in range(0, 100000, 50)))')
expect_eq "100k pods: node-0's memory is the sum of its 2,000 pods" \
    "$(head -1 "$T/out3/summary.csv" | tr ',' '\n' | grep -n '^mem_max_mib_node-0$' | cut -d: -f1 |
        xargs -I{} cut -d, -f{} "$T/out3/summary.csv" | tail -1)" "$want"
expect_match "100k pods: the chart says it draws the first 100 of 100000 lines" \
    "$(cat "$T/out3/index.html")" "first 100 of 100000 series"
done_testing

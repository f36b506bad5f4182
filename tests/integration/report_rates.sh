# Integration: the report's per-run time series on the fixture
# tests/data/report/rates, checked through -chart-data (each chart's points
# as CSV next to its PNG): counters drawn as per-second rates between
# samples with known increments (a counter reset included), requests_total
# split by path class without the driver's /health and /metrics polls,
# legends keeping only the labels that differ, natural order (node-2
# before node-10), gauges unchanged, and the summary's CPU cores.
# limit: 30
. "$(dirname "$0")/../lib.sh"
DATA=$(cd "$(dirname "$0")/../data/report" && pwd)

cd "$DATA" || exit 1
"$MESHPERF" report rates -o "$T/out" -chart-data >"$T/stdout" 2>"$T/stderr"; rc=$?
expect_eq "report exits 0" "$rc" 0
expect_eq "no warnings" "$(cat "$T/stderr")" ""
ls "$T/out" >"$T/ls"

root=$(ls "$T/out"/fig-*-run0-requests_total-root.csv 2>/dev/null)
expect_eq "requests_total: a chart for path=root" "$(echo "$root" | grep -c .)" 1
expect_eq "requests_total: a chart for path=echo" "$(grep -c 'run0-requests_total-echo\.png' "$T/ls")" 1
expect_eq "no chart for the driver's health/metrics polls" \
    "$(grep -cE 'requests_total-(health|metrics)|requests_total\.png' "$T/ls")" 0
# node-10-0 counts 0,100,300,300,50 at 0,1,2,4,5 s (a reset at 5 s);
# node-2-0 counts 10,60,110,160,210: 50/s, and 25/s over the 2 s gap
cat >"$T/want-root" <<'CSV'
series,x,y
pod=node-2-0,1,50
pod=node-2-0,2,50
pod=node-2-0,4,25
pod=node-2-0,5,50
pod=node-10-0,1,100
pod=node-10-0,2,200
pod=node-10-0,4,0
pod=node-10-0,5,50
CSV
if diff -u "$T/want-root" "$root" >"$T/diff"; then ok "root: rates between samples, natural order, legend pod=... only"
else fail "root: rates between samples, natural order, legend pod=... only" "$(tr '\n' ' ' <"$T/diff")"; fi
echo_csv=$(cat "$T/out"/fig-*-run0-requests_total-echo.csv)
expect_match "echo: one series keeps its labels, 5 requests/s" "$echo_csv" \
    "code=200 container=app namespace=meshperf path=echo pod=node-2-0,1,5"

cpu=$(cat "$T/out"/fig-*-run0-cpu_usage_seconds.csv)
expect_eq "cpu_usage_seconds drawn as cores (CPU s/s)" \
    "$(echo "$cpu" | tail -n +2 | awk -F, '{print $1"="$3}' | sort -u | tr '\n' ' ')" \
    "pod=node-10-0=0.5 pod=node-2-0=0.25 "
mem=$(cat "$T/out"/fig-*-run0-memory_working_set_MiB.csv)
expect_eq "gauge drawn as is, by node naturally (node-0 first, node-29 last)" \
    "$(echo "$mem" | sed -n '2p;$p' | tr '\n' ' ')" "pod=node-0-0,0,10 pod=node-29-0,5,12.9 "
expect_eq "gauge keeps the first sample (no rate)" "$(echo "$mem" | tail -n +2 | wc -l)" 150

expect_match "titles say rate and path" "$(cat "$T/out/index.html")" \
    "requests_total rate, path=root"
cores=$(awk -F, 'NR==1{for(i=1;i<=NF;i++)h[$i]=i} NR==2{print $h["cpu_cores_node-2"], $h["cpu_cores_node-10"]}' \
    "$T/out/summary.csv")
expect_eq "summary: CPU cores per node from the counter" "$cores" "0.25 0.5"
bad=0
for p in "$T/out"/*.png; do
    [ "$(head -c 8 "$p" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || bad=$((bad + 1))
done
expect_eq "every chart has its PNG" "$bad" 0
expect_eq "one data CSV per PNG" "$(grep -c '^fig-.*\.csv$' "$T/ls")" "$(grep -c '^fig-.*\.png$' "$T/ls")"

# without -chart-data no data files
"$MESHPERF" report rates -o "$T/plain" >/dev/null 2>&1
expect_eq "no data CSV without -chart-data" "$(ls "$T/plain" | grep -c '^fig-.*\.csv$')" 0
done_testing

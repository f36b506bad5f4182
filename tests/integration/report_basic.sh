# Integration: `meshperf report` on fixture trees (tests/data/report): the
# exact values of summary.csv (numeric max memory where string max differs,
# Nighthawk-style string numbers, percentiles from the Percentiles array or
# interpolated in the histogram), one warning per run with missing files,
# PNG + inline SVG charts, no external URL in index.html, --compare, and
# the errors for bad sources and flags (s3:// without credentials, a bad bucket name);
# status and reason per run (derived from fortio.json, so old results get
# one too), and cells that a spreadsheet would run as formulas neutralised.
# limit: 60
. "$(dirname "$0")/../lib.sh"
DATA=$(cd "$(dirname "$0")/../data/report" && pwd)

cd "$DATA" || exit 1
"$MESHPERF" report basic -o "$T/out" >"$T/stdout" 2>"$T/stderr"; rc=$?
expect_eq "report exits 0 despite missing files" "$rc" 0
expect_eq "report says where it wrote" "$(cat "$T/stdout")" "meshperf report: wrote $T/out/index.html"

cat >"$T/want.csv" <<'CSV'
source,test,ts,requested_qps,actual_qps,requests,p50_ms,p90_ms,p99_ms,p99_9_ms,errors,mem_max_mib_node-0,mem_max_mib_node-1,cpu_cores_node-0,cpu_cores_node-1,status,reason
basic,exp-qps100,20240101120000,100,99.87654321,1000,2,3,10.5,46,2,10.2,21.25,0.05,0.02,ok,
basic,exp-qps200,20240101121000,200,199.5,400,3,7.75,10,19,10,7.75,6,0.75,0.1,ok,
basic,exp-qps400,20240101122000,,,,,,,,,12,,,,failed,no fortio.json
basic,exp-qps400,20240101123000,max,1234.5,50,1,2,4,8,0,,,,,degraded,no metric CSV
CSV
if diff -u "$T/want.csv" "$T/out/summary.csv" >"$T/diff"; then ok "summary.csv values exact"
else fail "summary.csv values exact" "$(tr '\n' ' ' <"$T/diff")"; fi
# The original took max() of the value column as strings: "9.5" > "10.2".
node0=$(awk -F, '$2=="exp-qps100"{print $12}' "$T/out/summary.csv")
expect_eq "max memory of node-0 is numeric (10.2, not the string max 9.5)" "$node0" "10.2"

expect_eq "one warning line per run with problems" "$(grep -c 'warning' "$T/stderr")" 2
expect_match "warning names missing fortio.json" "$(cat "$T/stderr")" \
    "warning: basic/exp-qps400/20240101122000: missing fortio.json; continuing"
expect_match "warning names the missing memory CSV" "$(cat "$T/stderr")" \
    "warning: basic/exp-qps400/20240101123000: no memory metric CSV"

npng=$(ls "$T/out"/*.png | wc -l)
expect_eq "one PNG per chart (2 across + 4 runs' metrics and spectra)" "$npng" 12
bad=0
for p in "$T/out"/*.png; do
    [ "$(head -c 8 "$p" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || bad=$((bad + 1))
done
expect_eq "every PNG is a PNG" "$bad" 0
expect_eq "every chart is inlined as SVG" "$(grep -c '^<figure><svg ' "$T/out/index.html")" "$npng"
expect_eq "every chart links its PNG" "$(grep -o 'href="fig-[0-9]*-[^"]*\.png"' "$T/out/index.html" | wc -l)" "$npng"
expect_match "page has the summary table" "$(cat "$T/out/index.html")" "<td>99.87654321</td>"
expect_match "page lists the warnings" "$(cat "$T/out/index.html")" "missing fortio.json"

ext=$(grep -noP 'https?:|src="//|href="//|url\((?!#)|@import|<script|<link' "$T/out/index.html" | head -3)
expect_eq "index.html references no external URL, no script" "$ext" ""

# one <test>/<ts> directory as the source
"$MESHPERF" report basic/exp-qps200/20240101121000 -o "$T/one" >/dev/null 2>"$T/err1"; rc=$?
expect_eq "a single run dir works" "$rc" 0
expect_eq "single run: one row with its test name" \
    "$(cut -d, -f2,3,5 "$T/one/summary.csv" | tail -n +2)" "exp-qps200,20240101121000,199.5"

# comparison of two sources; a corrupt fortio.json warns with line and column
cp -r basic "$T/side"
printf '{"ActualQPS": 150,\n "DurationHistogram": [}\n' >"$T/side/exp-qps200/20240101121000/fortio.json"
"$MESHPERF" report -compare base=basic --compare "side=$T/side" -o "$T/cmp" >/dev/null 2>"$T/err2"; rc=$?
expect_eq "compare exits 0" "$rc" 0
expect_eq "compare: two comparison charts" "$(ls "$T/cmp"/*compare*.png 2>/dev/null | wc -l)" 2
expect_eq "compare: rows per source" "$(cut -d, -f1 "$T/cmp/summary.csv" | sort | uniq -c | awk '{print $2"="$1}' | tr '\n' ' ')" "base=4 side=4 source=1 "
expect_match "corrupt fortio.json: warning with line and column" "$(cat "$T/err2")" \
    "side/exp-qps200/20240101121000: fortio.json: line 2, column 24: unexpected token near '}'"

# status from fortio.json (a rate not delivered, requests late or never
# sent, an interrupted load) and formula-like cells neutralised (OWASP):
# quoted, with a single quote in front; a negative number stays a number
mkdir -p "$T/inj"
mk_run() { # DIR REQUESTED ACTUAL EXTRA-JSON
    mkdir -p "$T/inj/$1"
    printf '{"RequestedQPS": "%s", "ActualQPS": %s, "DurationHistogram": {"Count": 1000}%s}\n' \
        "$2" "$3" "$4" >"$T/inj/$1/fortio.json"
    cp basic/exp-qps200/20240101121000/memory_working_set_MiB.csv "$T/inj/$1/"
}
mk_run '=HYPERLINK("http:evil","click")/1' 100 100 ''
mk_run 'slow/2' 100 27.5 ''
mk_run 'late/3' 100 100 ', "MeshperfUnsent": 10, "MeshperfLate": {"Count": 400, "Histogram": {"Data": [{"Start": 0.001, "End": 0.1, "Count": 100}, {"Start": 0.1, "End": 0.2, "Count": 150}]}}'
mk_run 'stopped/4' 100 20 ', "MeshperfStopped": true'
mk_run '-2+3/5' 100 95 ', "MeshperfUnsent": 0, "MeshperfLate": {"Count": 5, "Histogram": {"Data": [{"Start": 0.001, "End": 0.1, "Count": 5}]}}'
"$MESHPERF" report "$T/inj" -o "$T/injout" >/dev/null 2>"$T/errinj"
expect_eq "status: report exits 0" "$?" 0
csv=$(cat "$T/injout/summary.csv")$'\n'
expect_match "status: ok" "$csv" $'\n[^\n]*,"\'=HYPERLINK\\(""http:evil"",""click""\\)",1,[^\n]*,ok,\n'
expect_match "status: short of its rate" "$csv" $'\n[^\n]*,slow,2,[^\n]*,degraded,27\\.5 of 100 qps\n'
expect_match "status: late or unsent" "$csv" \
    $'\n[^\n]*,late,3,[^\n]*,degraded,160 of 1010 requests sent >100 ms late or not at all\n'
expect_match "status: interrupted" "$csv" $'\n[^\n]*,stopped,4,[^\n]*,interrupted,\n'
expect_match "status: within the tolerance, neutralised name" "$csv" $'\n[^\n]*,"\'-2\\+3",5,[^\n]*,ok,\n'
check "no cell starts a formula" sh -c "! grep -qE '(^|,)[=+@-][^0-9]' '$T/injout/summary.csv'"

# bad sources and flags
# s3:// goes to the S3 store: without credentials it is bad input, one line, exit 2
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_PROFILE HOME="$T/nohome" \
    AWS_SHARED_CREDENTIALS_FILE="$T/nohome/c" AWS_CONFIG_FILE="$T/nohome/c" \
    "$MESHPERF" report s3://bucket/prefix -o "$T/x" >"$T/out3" 2>"$T/err3"; rc=$?
expect_eq "s3:// without credentials exits 2" "$rc" 2
expect_match "s3:// without credentials: one line naming them" "$(cat "$T/err3")" \
    "^meshperf report: s3://bucket/prefix: no AWS credentials: set AWS_ACCESS_KEY_ID"
expect_eq "s3:// without credentials: one line on stderr" "$(wc -l <"$T/err3")" 1
expect_eq "s3:// without credentials: nothing written" "$(cat "$T/out3")$(ls "$T/x" 2>/dev/null)" ""
"$MESHPERF" report s3://b/p -o "$T/x" >"$T/out3" 2>"$T/err3b"; rc=$?
expect_eq "report s3://b/p exits 2" "$rc" 2
expect_match "report s3://b/p: bad bucket name, one line" "$(cat "$T/err3b")" "^meshperf report: s3://b/p: bad bucket name"
"$MESHPERF" report "$T/nope" -o "$T/x" 2>"$T/err4"; rc=$?
expect_eq "missing source exits 2" "$rc" 2
expect_eq "missing source message" "$(cat "$T/err4")" "meshperf report: $T/nope: No such file or directory"
mkdir -p "$T/empty/a/b"
"$MESHPERF" report "$T/empty" -o "$T/x" 2>"$T/err5"; rc=$?
expect_eq "no runs exits 1" "$rc" 1
expect_match "no runs message" "$(cat "$T/err5")" "no runs found under $T/empty"
"$MESHPERF" report -compare nolabel -o "$T/x" 2>"$T/err6"; rc=$?
expect_eq "bad -compare exits 2" "$rc" 2
expect_eq "bad -compare message" "$(cat "$T/err6")" \
    "meshperf report: flag -compare: want LABEL=SOURCE, got 'nolabel'"
"$MESHPERF" report 2>"$T/err7"; rc=$?
expect_eq "no source exits 2" "$rc" 2
done_testing

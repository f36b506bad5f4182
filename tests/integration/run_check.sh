# Integration: `meshperf run --check` on every bad config fixture
# (tests/data/config/bad/*.json): exit 2 and exactly the one line of its
# .err file on stderr; on the good fixtures: exit 0 and one OK line; flag
# errors exit 2 naming the flag.
# limit: 120
. "$(dirname "$0")/../lib.sh"
data=$(cd "$(dirname "$0")/../data/config" && pwd)
mkdir -p "$T/c"
n=0
for f in "$data"/bad/*.json; do
    name=$(basename "$f" .json)
    [ -f "$data/bad/$name.err" ] || continue
    cp "$f" "$T/c/config.json"
    (cd "$T/c" && "$MESHPERF" run --check config.json >"$T/out" 2>"$T/err")
    rc=$?
    expect_eq "bad/$name: exit 2" "$rc" 2
    expect_eq "bad/$name: message" "$(cat "$T/err")" "$(cat "$data/bad/$name.err")"
    expect_eq "bad/$name: nothing on stdout" "$(cat "$T/out")" ""
    n=$((n + 1))
done
expect_range "bad fixtures checked" "$n" 15 100000

for f in "$data"/good/*.json; do
    name=$(basename "$f" .json)
    cp "$f" "$T/c/config.json"
    (cd "$T/c" && "$MESHPERF" run --check config.json >"$T/out" 2>"$T/err")
    rc=$?
    expect_eq "good/$name: exit 0" "$rc" 0
    expect_match "good/$name: OK line" "$(cat "$T/out")" '^config.json: OK: [0-9]+ nodes?, [0-9]+ load tests?, [0-9]+ metrics?$'
done

"$MESHPERF" run --check "$T/nonexistent.json" >/dev/null 2>"$T/err"; rc=$?
expect_eq "missing file: exit 2" "$rc" 2
expect_eq "missing file: message" "$(cat "$T/err")" "$T/nonexistent.json: cannot read: No such file or directory"
cp "$data/good/diamond.json" "$T/c/config.json"
"$MESHPERF" run --scale-qps 0 "$T/c/config.json" >/dev/null 2>"$T/err"; rc=$?
expect_eq "--scale-qps 0: exit 2" "$rc" 2
expect_eq "--scale-qps 0: message" "$(cat "$T/err")" "meshperf run: flag -scale-qps: must be a number > 0, got 0"
MESHPERF_SCALE_QPS=abc "$MESHPERF" run "$T/c/config.json" >/dev/null 2>"$T/err"; rc=$?
expect_eq "bad MESHPERF_SCALE_QPS: exit 2" "$rc" 2
expect_eq "bad MESHPERF_SCALE_QPS: message" "$(cat "$T/err")" "meshperf run: env MESHPERF_SCALE_QPS: must be a number > 0, got 'abc'"
"$MESHPERF" run --pause x "$T/c/config.json" >/dev/null 2>"$T/err"; rc=$?
expect_eq "--pause x: exit 2" "$rc" 2
expect_match "--pause x: names the flag" "$(cat "$T/err")" '^meshperf run: flag -pause'
"$MESHPERF" run --serve-bin /nonexistent/meshperf "$T/c/config.json" >/dev/null 2>"$T/err"; rc=$?
expect_eq "--serve-bin missing: exit 2" "$rc" 2
expect_eq "--serve-bin missing: message" "$(cat "$T/err")" "meshperf run: flag -serve-bin: /nonexistent/meshperf: No such file or directory"
"$MESHPERF" run --help >"$T/out" 2>&1; rc=$?
expect_eq "--help exits 0" "$rc" 0
expect_match "--help lists --scale-qps" "$(cat "$T/out")" 'scale-qps'
done_testing

# Integration: the source tree's shape. scripts/check-layers.sh passes on
# src/ and fails, naming the file, line and edge, on a copy with one include
# that runs back up a layer; `make format-check` finds nothing to change.
# limit: 120
. "$(dirname "$0")/../lib.sh"

out=$(scripts/check-layers.sh src 2>&1); rc=$?
expect_eq "check-layers passes on src/" "$rc" 0
expect_match "check-layers counts the includes" "$out" "^check-layers: ok, [0-9]+ includes"

cp -r src "$T/src"
sed -i '0,/#include "base\/errbuf.h"/s//#include "base\/errbuf.h"\n#include "report\/chart.h"/' "$T/src/net/url.c"
line=$(grep -n '#include "report/chart.h"' "$T/src/net/url.c" | cut -d: -f1)
out=$(scripts/check-layers.sh "$T/src" 2>&1); rc=$?
expect_eq "check-layers fails on net -> report" "$rc" 1
expect_match "the failure names file, line and edge" "$out" "^net/url.c:$line: net -> report: \"report/chart.h\""

cp -r src "$T/src2"
echo '#include "errbuf.h"' >>"$T/src2/load/hist.c"
out=$(scripts/check-layers.sh "$T/src2" 2>&1); rc=$?
expect_eq "check-layers fails on an include without its folder" "$rc" 1
expect_match "that failure says so" "$out" "names no folder"

mkdir "$T/src2/newlayer" && touch "$T/src2/newlayer/x.c"
out=$(scripts/check-layers.sh "$T/src2" 2>&1)
expect_match "a folder outside the table is refused" "$out" "folder 'newlayer' is not in the layer table"

if command -v clang-format >/dev/null; then
    out=$(make -s format-check 2>&1); rc=$?
    expect_eq "make format-check: nothing to change" "$rc" 0
    [ "$rc" -eq 0 ] || echo "# $out"
else
    fail "make format-check" "clang-format is not installed"
fi
done_testing

# Integration: the binary's dispatch, help and exit codes.
# limit: 30
. "$(dirname "$0")/../lib.sh"

out=$("$MESHPERF" help); rc=$?
expect_eq "help exits 0" "$rc" 0
expect_match "help lists load" "$out" "load "
"$MESHPERF" nosuch 2>"$T/err"; rc=$?
expect_eq "unknown command exits 2" "$rc" 2
expect_eq "unknown command message" "$(cat "$T/err")" "meshperf: unknown command 'nosuch' (see meshperf help)"
"$MESHPERF" >/dev/null 2>&1; rc=$?
expect_eq "no command exits 2" "$rc" 2
done_testing

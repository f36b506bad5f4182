# Integration: `meshperf run` says when a test did not deliver what was
# asked (issue #11, finding 5 and the results items of 7).
#  1. a node frozen with SIGSTOP mid-test (SIGCONT before the end): that
#     test is `degraded` with the reason in the summary table and a warning,
#     the next test is `ok`, the run exits 3 (EXIT_DEGRADED); `meshperf
#     report` over the results says the same in summary.csv;
#  2. a bad --tolerance: exit 2, nothing run;
#  3. a symlink planted in the results dir pointing outside: nothing is
#     written outside, one line names the symlink, exit 1;
#  4. a results dir on a tmpfs with no inode left for the CSVs (ENOSPC):
#     the test is not `ok` but `degraded`, naming the CSV, exit 3.
# limit: 150
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT

cat >"$T/stop.json" <<'JSON'
{
  "ConnectivityCheckPerURL": 2,
  "backends_map": {"0": ["1"], "1": []},
  "load_tests": [
    {"test_name": "frozen", "url": "http://service-0:9080/", "qps": "100", "t": "8s", "c": "2"},
    {"test_name": "after", "url": "http://service-0:9080/", "qps": "50", "t": "1s", "c": "1"}
  ],
  "meshperf": {"sample_interval": "200ms"}
}
JSON
cat >"$T/one.json" <<'JSON'
{
  "ConnectivityCheckPerURL": 1,
  "backends_map": {"0": []},
  "load_tests": [
    {"test_name": "small", "url": "http://service-0:9080/", "qps": "50", "t": "1s", "c": "1"}
  ],
  "meshperf": {"sample_interval": "200ms"}
}
JSON

# ---- 1. node 0 (the target) frozen for 3 s in the middle of an 8 s test
spawn stop env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 --results "$T/r1" "$T/stop.json"
if wait_file_match "$T/stop.log" '^\[1/2\] frozen: 100 qps' 30; then
    # into the test: node-0 has served 100 requests (~1 s of it), a
    # readiness check rather than a fixed sleep
    wait_pod_requests node-0 100 20
    victim=$(pod_pid node-0)
    expect_match "found node-0's pid" "$victim" '^[0-9]+$'
    kill -STOP $victim
    sleep 3 # the freeze itself (what is measured, not a synchronisation)
    kill -CONT $victim
fi
wait_gone "$PID_stop" 60
wait "$PID_stop"; rc=$?
log=$(cat "$T/stop.log")
grep -E '^(test|frozen|after) ' "$T/stop.log" | sed 's/^/# /'
expect_eq "frozen node: exit 3 (degraded)" "$rc" 3
expect_match "frozen node: summary says degraded and why" "$log" \
    "frozen +100\.0 .* degraded: ([0-9.]+ of 100 qps|[0-9]+ of [0-9]+ requests sent >100 ms late or not at all)"
expect_match "frozen node: a warning names the test" "$log" "meshperf run: test frozen: degraded: "
expect_match "frozen node: the next test is ok" "$log" "after +50\.0 .* ok"$'\n'
ts=$(ls "$T/r1/frozen" 2>/dev/null)
f="$T/r1/frozen/$ts/fortio.json"
check "frozen node: fortio.json written" test -s "$f"
expect_range "frozen node: late requests in fortio.json" "$(jq -r '.MeshperfLate.Count' "$f")" 100 1000
check "frozen node: no serve process left" no_marked_left 5
"$MESHPERF" report "$T/r1" -o "$T/rep1" >"$T/rep1.out" 2>&1
expect_eq "report: exit 0" "$?" 0
st=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "status") c = i } NR > 1 { print $2 "=" $c }' "$T/rep1/summary.csv" | sort | tr '\n' ' ')
expect_eq "report: summary.csv status per test" "$st" "after=ok frozen=degraded "
expect_match "report: summary.csv reason" "$(grep '^[^,]*,frozen,' "$T/rep1/summary.csv")" \
    "(of 100 qps|requests sent >100 ms late or not at all)"

# ---- 2. a bad --tolerance
"$MESHPERF" run --tolerance 150 --results "$T/r2" "$T/one.json" >"$T/out2" 2>"$T/err2"
expect_eq "bad --tolerance: exit 2" "$?" 2
expect_match "bad --tolerance: named" "$(cat "$T/err2")" "flag -tolerance: must be a percentage 0\.\.100, got 150"
check "bad --tolerance: nothing run" test ! -e "$T/r2"

# ---- 3. a symlink planted in the results dir, pointing outside
mkdir -p "$T/r3" "$T/outside"
ln -s "$T/outside" "$T/r3/small"
MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --pause 0 --results "$T/r3" "$T/one.json" >"$T/out3" 2>"$T/err3"
expect_eq "planted symlink: exit 1" "$?" 1
expect_eq "planted symlink: nothing written outside" "$(find "$T/outside" -mindepth 1 | wc -l)" 0
expect_match "planted symlink: one line names it" "$(cat "$T/err3")" \
    "$T/r3/small: a symlink or file where a directory should be; not writing through it"
check "planted symlink: no serve process left" no_marked_left 5

# ---- 4. ENOSPC: a tmpfs whose inodes hold the root, the two directories,
# config.json and fortio.json, and nothing more (a real ENOSPC, from the
# file system, for every CSV)
mkdir -p "$T/full"
if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
    ok "# SKIP ENOSPC: needs root and unshare -m to mount a small tmpfs"
else
    MESHPERF_IT_MARK=$RUN_MARK unshare -m sh -c '
        mount -t tmpfs -o size=4m,nr_inodes=5 tmpfs "$1" || exit 99
        "$2" run --pause 0 --results "$1" "$3" >"$4/out4" 2>"$4/err4"
        rc=$?
        (cd "$1" && find . -type f | sort) >"$4/files4"
        exit $rc' sh "$T/full" "$MESHPERF" "$T/one.json" "$T"
    rc=$?
    if [ "$rc" -eq 99 ]; then
        ok "# SKIP ENOSPC: mount -t tmpfs failed"
    else
        out=$(cat "$T/out4")
        grep -E '^(test|small) ' "$T/out4" | sed 's/^/# /'
        expect_eq "ENOSPC: exit 3 (degraded)" "$rc" 3
        expect_match "ENOSPC: fortio.json written" "$(cat "$T/files4")" "small/[0-9]+/fortio\.json"
        expect_eq "ENOSPC: no CSV written" "$(grep -c '\.csv$' "$T/files4")" 0
        expect_match "ENOSPC: the write error is said" "$(cat "$T/err4")" "No space left on device"
        expect_match "ENOSPC: the test is degraded, naming a CSV" "$out" \
            "small +50\.0 .* degraded: [a-z_A-Z]+\.csv not written"
        if [[ "$out" =~ small\ .*\ ok$'\n' ]]; then fail "ENOSPC: not ok" "$out"; else ok "ENOSPC: not ok"; fi
    fi
    check "ENOSPC: no serve process left" no_marked_left 5
fi
done_testing

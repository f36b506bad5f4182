#!/usr/bin/env bash
# tests/run.sh: the whole suite. Runs every cmocka binary in $UNIT_DIR and
# every tests/integration/*.sh, each in its own process group under a time
# limit, counts the cases, and ends with the line "N passed, N failed".
#   MESHPERF   path of the meshperf binary under test (required)
#   UNIT_DIR   directory of built unit tests (required)
#   FUZZ_DIR   directory of built fuzz targets (optional; smoke-run on the corpus)
#   $1         optional substring: run only tests whose name contains it
set -uo pipefail
cd "$(dirname "$0")/.."
: "${MESHPERF:?set MESHPERF to the binary under test}" "${UNIT_DIR:?set UNIT_DIR}"
export MESHPERF UNIT_DIR FUZZ_DIR="${FUZZ_DIR:-}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
filter=${1:-}
passed=0 failed=0 failed_names=()
logdir=$(mktemp -d "${TMPDIR:-/tmp}/meshperf-tests.XXXXXX")

# run_one NAME LIMIT CMD...: run in a new session, killed (whole group) at LIMIT.
run_one() {
    local name=$1 limit=$2; shift 2
    local log="$logdir/${name//\//_}.log" start=$SECONDS
    setsid timeout -k 5 "$limit" "$@" >"$log" 2>&1 </dev/null
    local rc=$?
    local p f
    p=$(grep -cE '^ok ' "$log" || true)
    f=$(grep -cE '^not ok ' "$log" || true)
    # cmocka: "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)"
    local cp cf
    cp=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -1)
    cf=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed.*/\1/p' "$log" | tail -1)
    p=$((p + ${cp:-0})); f=$((f + ${cf:-0}))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    if [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ] && grep -q '^Done [0-9]* runs' "$log"; then p=1; fi
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then echo "# $name: timed out after ${limit}s" >>"$log"; fi
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$f" -gt 0 ]; then
        failed_names+=("$name")
        printf 'FAIL %-40s %3d passed %3d failed (%ds)\n' "$name" "$p" "$f" $((SECONDS - start))
        sed 's/^/    | /' "$log" | tail -60
    else
        printf 'ok   %-40s %3d passed (%ds)\n' "$name" "$p" $((SECONDS - start))
    fi
}

for t in "$UNIT_DIR"/test_*; do
    [ -x "$t" ] || continue
    n=unit/$(basename "$t")
    [[ -z "$filter" || "$n" == *"$filter"* ]] || continue
    run_one "$n" 300 "$t"
done
for t in tests/integration/*.sh; do
    [ -f "$t" ] || continue
    n=integration/$(basename "$t" .sh)
    [[ -z "$filter" || "$n" == *"$filter"* ]] || continue
    limit=$(sed -n 's/^# limit: \([0-9]*\).*/\1/p' "$t" | head -1)
    run_one "$n" "${limit:-300}" bash "$t"
done

# Fuzz smoke: every libFuzzer target runs briefly on its seed corpus (a
# regression check; long runs are `make fuzz` + the target by hand).
if [ -n "$FUZZ_DIR" ]; then
    for t in "$FUZZ_DIR"/fuzz_*; do
        [ -x "$t" ] && [[ "$t" != *.d ]] || continue
        n=fuzz/$(basename "$t")
        [[ -z "$filter" || "$n" == *"$filter"* ]] || continue
        corpus=fuzz/corpus/$(basename "$t" | sed 's/^fuzz_//')
        work=$(mktemp -d "$logdir/corpus.XXXXXX")
        [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
        run_one "$n" 120 "$t" -max_total_time=15 -timeout=5 "$work"
    done
fi

echo "logs: $logdir"
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

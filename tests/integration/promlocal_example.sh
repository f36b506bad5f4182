# Integration: examples/config-prometheus.json run end to end with a local
# Prometheus (`"prometheus": "local"` in the file): every metric of its
# `metrics` gives a non-empty CSV with the original's columns for each
# test, no errors.json, and nothing is left behind (no process started
# from this test's temp dir, no Prometheus temp dir).
# limit: 90
. "$(dirname "$0")/../lib.sh"

if ! command -v prometheus >/dev/null; then
    echo "ok - # SKIP prometheus not installed"; done_testing; exit
fi
export TMPDIR=$T
cfg=$(cd "$(dirname "$0")/../.." && pwd)/examples/config-prometheus.json

"$MESHPERF" run --pause 0 --results "$T/r" "$cfg" >"$T/out" 2>"$T/err"
rc=$?
expect_eq "run exits 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/err" | tail -20
metrics=$(jq -r '.metrics | keys[]' "$cfg")
for test in $(jq -r '.load_tests[].test_name' "$cfg"); do
    d=$(ls -d "$T/r/$test"/*/ 2>/dev/null | head -1)
    for m in $metrics; do
        f="$d$m.csv"
        rows=$(($(wc -l <"$f" 2>/dev/null || echo 1) - 1))
        expect_range "$test: $m.csv has rows" "$rows" 3 100000
        expect_match "$test: $m.csv columns" "$(head -1 "$f" 2>/dev/null)" \
            "^metric\.(pod|replica_set),timestamp,$m,normalized_ts\$"
    done
    check "$test: no errors.json" test ! -e "${d}errors.json"
done
left=0 # processes whose command line names this test's temp dir (prometheus, meshperf serve logs)
for f in /proc/[0-9]*/cmdline; do
    c=$(tr '\0' ' ' <"$f" 2>/dev/null) || continue
    [[ "$c" == *"$T/"* ]] && { left=$((left + 1)); echo "# left: $c"; }
done
expect_eq "no process of this run left" "$left" 0
expect_eq "no Prometheus temp dir left" "$(find "$T" -maxdepth 1 -name 'meshperf-prom.*' | wc -l)" 0
done_testing

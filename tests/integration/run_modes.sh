# Integration: `meshperf run --modes baseline,both --sidecar haproxy` on a
# short copy of examples/config.json (the diamond, two tests, pause 0):
# each mode's results under <results>/<mode>/<test>/<ts>/ with the usual
# files (baseline without a sidecar series, both with haproxy's), nothing
# left running; with a local S3 (../shared/tools/s3-test-server, when it
# can run) the upload's keys carry the mode. `meshperf report` over the
# tree (and over the S3 copy, through the store): summary.csv keeps its
# columns and gains the overhead ones (traversals 9 for the diamond in
# mode both, sidecar CPU > 0, vCPU and MiB per 1000 rps, added latency as
# numbers), compare.csv has the mode's headline row, and the page, rendered
# by headless Chromium (--dump-dom), has the overhead table, the latency by
# mode and the four overhead charts. SIGINT during the first mode: exit
# 130, the next mode skipped. Bad input: --modes bogus, a mode needing a
# sidecar without one, a bad meshperf.modes (its JSON path): one line,
# exit 2.
# limit: 150
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
. "$(dirname "$0")/s3_common.inc"
export PATH="$PATH:/usr/sbin:/sbin"

cat >"$T/config.json" <<'JSON'
{
  "IsTLSEnabled": false,
  "IsmTLSEnabled": false,
  "ReplicasPerVirtualNode": 1,
  "ConnectivityCheckPerURL": 2,
  "backends_map": {
    "0": ["1", "2"],
    "1": ["3"],
    "2": ["3"]
  },
  "load_tests": [
    {"test_name": "diamond-qps100-t2s-c2", "url": "http://service-0.tls-e2e.svc.cluster.local:9080/", "qps": "100", "t": "2s", "c": "2"},
    {"test_name": "diamond-qps400-t2s-c4", "url": "http://service-0.tls-e2e.svc.cluster.local:9080/", "qps": "400", "t": "2s", "c": "4"}
  ],
  "meshperf": {"pause": "0s", "sample_interval": "250ms"}
}
JSON
TESTS="diamond-qps100-t2s-c2 diamond-qps400-t2s-c4"

# ---- bad input first (cheap): one line naming the flag or key, exit 2
"$MESHPERF" run --modes bogus --results "$T/bad1" "$T/config.json" >/dev/null 2>"$T/bad1.err"
expect_eq "--modes bogus: exit 2" "$?" 2
expect_eq "--modes bogus: one line naming the flag" "$(cat "$T/bad1.err")" \
    'meshperf run: flag -modes: unknown mode "bogus" (known: baseline, both, serveronly, clientonly)'
check "--modes bogus: nothing written" test ! -e "$T/bad1"
"$MESHPERF" run --modes baseline,both --results "$T/bad2" "$T/config.json" >/dev/null 2>"$T/bad2.err"
expect_eq "mode both without a sidecar: exit 2" "$?" 2
expect_eq "mode both without a sidecar: one line" "$(wc -l <"$T/bad2.err")" 1
expect_match "mode both without a sidecar: says what to give" "$(cat "$T/bad2.err")" \
    '^meshperf run: flag -modes: mode both needs a sidecar \(give -sidecar haproxy\|nginx'
check "mode both without a sidecar: nothing written" test ! -e "$T/bad2"
sed 's/"pause": "0s"/"pause": "0s", "modes": ["baseline", "sideways"]/' "$T/config.json" >"$T/badkey.json"
"$MESHPERF" run --check "$T/badkey.json" >/dev/null 2>"$T/badkey.err"
expect_eq "meshperf.modes with an unknown mode: exit 2" "$?" 2
expect_match "meshperf.modes with an unknown mode: the JSON path" "$(cat "$T/badkey.err")" \
    'meshperf\.modes\[1\]: must be a mode \(baseline, both, serveronly, clientonly\), got "sideways"'
sed 's/"pause": "0s"/"pause": "0s", "modes": ["serveronly"]/' "$T/config.json" >"$T/nosc.json"
"$MESHPERF" run --check "$T/nosc.json" >/dev/null 2>"$T/nosc.err"
expect_eq "meshperf.modes serveronly, no sidecar: exit 2" "$?" 2
expect_match "meshperf.modes serveronly, no sidecar: names the key" "$(cat "$T/nosc.err")" \
    '^meshperf run: meshperf\.modes: mode serveronly needs a sidecar'
sed 's/"pause": "0s"/"pause": "0s", "modes": ["baseline", "both"], "sidecar": "haproxy"/' \
    "$T/config.json" >"$T/okkey.json"
"$MESHPERF" run --check "$T/okkey.json" >"$T/okkey.out" 2>&1
expect_eq "meshperf.modes baseline, both with a sidecar: --check exit 0" "$?" 0
expect_match "--check names the modes" "$(cat "$T/okkey.out")" ': OK: 4 nodes, 2 load tests, 0 metrics, modes baseline,both$'
"$MESHPERF" run --check --modes both,baseline "$T/okkey.json" >"$T/okflag.out" 2>&1
expect_match "--modes overrides meshperf.modes, in its order" "$(cat "$T/okflag.out")" ', modes both,baseline$'

if ! command -v haproxy >/dev/null; then
    fail "haproxy installed" "apt-get install haproxy"
    done_testing
    exit
fi

# ---- the run, uploaded to a local S3 when the test server can run here
STORE=()
s3_ok=0
if [ -x "$S3_TOOL" ] && command -v node >/dev/null && command -v npm >/dev/null; then
    # as s3_start, without its skip of the whole test when npm is offline
    port=$(free_port)
    if out=$("$S3_TOOL" start --dir "$T/s3-main" --port "$port" --ttl 300 --secret-key "$S3_SECRET" \
        --pidfile "$T/s3-main.pid" 2>"$T/s3-main.start.err"); then
        S3_PIDFILES+=("$T/s3-main.pid")
        eval "$out"
        S3_ENDPOINT=$endpoint S3_KEY=$access_key s3_ok=1
        STORE=(--store s3://modes-bucket/team)
    fi
fi
s3_env MESHPERF_IT_MARK="$RUN_MARK" timeout 120 "$MESHPERF" run --modes baseline,both \
    --sidecar haproxy --prometheus off --results "$T/res" "${STORE[@]}" "$T/config.json" \
    >"$T/run.out" 2>"$T/run.err"
rc=$?
expect_match "run: exit 0 (or 3 when a test fell short on a busy machine)" "$rc" '^(0|3)$'
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || sed 's/^/# /' "$T/run.err" | tail -20
check "run: no serve or haproxy process left" no_marked_left 5
expect_match "run: each mode announced in order" "$(grep '^mode ' "$T/run.err" | tr '\n' '|')" \
    '^mode 1/2: baseline \(no sidecar\)\|mode 2/2: both \(sidecar haproxy, placement both\)\|$'
expect_eq "run: one results line per mode" "$(grep -c '^results: ' "$T/run.out")" 2
check "run: no test directory at the top (the layout is per mode)" test ! -e "$T/res/diamond-qps100-t2s-c2"
for mode in baseline both; do
    bad=""
    for t in $TESTS; do
        ts=$(ls "$T/res/$mode/$t" 2>/dev/null | head -1)
        for f in config.json fortio.json memory_working_set_MiB.csv cpu_usage_seconds.csv requests_total.csv; do
            [ -n "$ts" ] && [ -s "$T/res/$mode/$t/$ts/$f" ] || bad="$bad $t/$f"
        done
    done
    if [ -z "$bad" ]; then ok "$mode: the usual files under $mode/<test>/<ts>/"; else fail "$mode: the usual files" "missing:$bad"; fi
done
bmem=$(ls "$T"/res/baseline/diamond-qps400-t2s-c4/*/memory_working_set_MiB.csv | head -1)
wmem=$(ls "$T"/res/both/diamond-qps400-t2s-c4/*/memory_working_set_MiB.csv | head -1)
expect_eq "baseline: no haproxy series" "$(awk -F, '$1 == "haproxy"' "$bmem" | wc -l)" 0
expect_eq "both: a haproxy series for each of the 4 pods" \
    "$(awk -F, '$1 == "haproxy" { print $3 }' "$wmem" | sort -u | wc -l)" 4
if [ "$s3_ok" = 1 ]; then
    s3_env "$MESHPERF" results ls s3://modes-bucket/team >"$T/ls.out" 2>&1
    expect_eq "--store: every key under the mode's prefix" \
        "$(grep -cE '(^| )(baseline|both)/diamond-qps[0-9]+-t2s-c[24]/[0-9]{14}/' "$T/ls.out")" \
        "$(find "$T/res" -type f | wc -l)"
else
    echo "ok - # SKIP --store: s3-test-server cannot run here"
fi

# ---- the report over the mode tree
col() { # col FILE NAME: the 1-based index of column NAME in FILE's header
    head -1 "$1" | tr ',' '\n' | grep -nx "$2" | cut -d: -f1
}
"$MESHPERF" report "$T/res" -o "$T/rep" --run-charts 0 >"$T/rep.out" 2>"$T/rep.err"
expect_eq "report: exit 0" "$?" 0
S=$T/rep/summary.csv
expect_match "summary.csv: the columns before are unchanged, the overhead ones appended" \
    "$(head -1 "$S")" \
    '^source,test,ts,requested_qps,actual_qps,requests,p50_ms,p90_ms,p99_ms,p99_9_ms,errors,.*,status,reason,mode,sidecar_traversals,proxied_rps,app_cpu_cores,sidecar_cpu_cores,app_mem_mib,sidecar_mem_mib,sidecar_vcpu_per_1k_rps,sidecar_mib_per_1k_rps,added_p50_ms,added_p90_ms,added_p99_ms,added_p99_9_ms,added_p50_ms_per_hop,added_p90_ms_per_hop,added_p99_ms_per_hop,added_p99_9_ms_per_hop$'
expect_eq "summary.csv: 4 runs" "$(tail -n +2 "$S" | wc -l)" 4
m=$(col "$S" mode)
both_rows() { awk -F, -v m="$m" 'NR > 1 && $m == "both"' "$S"; }
field() { both_rows | cut -d, -f"$(col "$S" "$1")" | tr '\n' ' '; }
expect_eq "summary.csv: 2 runs in mode both" "$(both_rows | wc -l)" 2
expect_eq "both: 9 sidecar traversals per request (diamond: 5 served, 4 calls)" \
    "$(field sidecar_traversals)" "9 9 "
for c in sidecar_cpu_cores sidecar_vcpu_per_1k_rps sidecar_mem_mib sidecar_mib_per_1k_rps app_cpu_cores; do
    expect_match "both: $c > 0" "$(field $c)" '^(0\.0*[1-9][0-9.e-]*|[1-9][0-9.e+-]*) (0\.0*[1-9][0-9.e-]*|[1-9][0-9.e+-]*) $'
done
for c in added_p50_ms added_p90_ms added_p99_ms added_p99_9_ms; do
    expect_match "both: $c is a number" "$(field $c)" '^-?[0-9][0-9.e+-]* -?[0-9][0-9.e+-]* $'
done
expect_eq "both: no per-hop figure (the diamond is not a chain)" "$(field added_p50_ms_per_hop)" "  "
expect_eq "baseline: no sidecar traversal" \
    "$(awk -F, -v m="$m" -v c="$(col "$S" sidecar_traversals)" 'NR > 1 && $m == "baseline" { print $c }' "$S" | tr '\n' ' ')" "0 0 "
C=$T/rep/compare.csv
expect_eq "compare.csv: header" "$(head -1 "$C")" \
    'source,mode,sidecar,runs,sidecar_traversals,sidecar_vcpu_per_1k_rps,sidecar_mib_per_1k_rps,added_p50_ms,added_p90_ms,added_p99_ms,added_p99_9_ms,added_p50_ms_per_hop,added_p90_ms_per_hop,added_p99_ms_per_hop,added_p99_9_ms_per_hop,at_1000_rps'
expect_match "compare.csv: mode both's headline row (at 1000 rps: the nearest run, 400 rps)" \
    "$(tail -n +2 "$C")" \
    '^[^,]*,both,haproxy,2,9,[0-9][0-9.e-]*,[0-9][0-9.e+-]*,-?[0-9][0-9.e+-]*,-?[0-9][0-9.e+-]*,-?[0-9][0-9.e+-]*,-?[0-9][0-9.e+-]*,,,,,nearest run: [34][0-9][0-9](\.[0-9]+)? rps$'

# the modes as -compare labels give the same figures
"$MESHPERF" report --compare baseline="$T/res/baseline" --compare both="$T/res/both" -o "$T/rep-cmp" \
    --run-charts 0 >/dev/null 2>&1
expect_eq "report -compare baseline=... both=...: exit 0" "$?" 0
expect_eq "report -compare baseline=... both=...: the same overhead figures" \
    "$(tail -n +2 "$T/rep-cmp/compare.csv" 2>/dev/null)" "$(tail -n +2 "$C" | sed 's|^[^,]*,|,|')"

# the same tree read back from S3 through the store
if [ "$s3_ok" = 1 ]; then
    s3_env "$MESHPERF" report s3://modes-bucket/team -o "$T/rep-s3" --run-charts 0 >/dev/null 2>&1
    expect_eq "report s3://: exit 0" "$?" 0
    expect_eq "report s3://: the same overhead figures" \
        "$(tail -n +2 "$T/rep-s3/compare.csv")" "$(tail -n +2 "$C" | sed "s|^[^,]*,|s3://modes-bucket/team,|")"
fi

# ---- the page in headless Chromium: overhead table, latency by mode, charts
if command -v chromium >/dev/null; then
    setsid timeout -k 5 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$T/profile" --dump-dom "file://$T/rep/index.html" >"$T/dom.html" 2>"$T/chromium.log" </dev/null
    expect_eq "chromium exits 0" "$?" 0
    dom=$(python3 - "$T/dom.html" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []; self.rows = {}; self.svgs = 0; self.cells = []; self.cur = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.stack.append(a.get('id'))
        if tag == 'tr':
            for i in reversed(self.stack):
                if i in ('overhead-table', 'latency-by-mode'):
                    self.rows[i] = self.rows.get(i, 0) + 1; self.cur = i; break
        if tag == 'svg' and 'overhead-charts' in self.stack: self.svgs += 1
    def handle_endtag(self, tag):
        if self.stack: self.stack.pop()
    def handle_data(self, d):
        if self.cur == 'overhead-table' and d.strip(): self.cells.append(d.strip())
p = P(); p.feed(open(sys.argv[1]).read())
print(p.rows.get('overhead-table', 0), p.rows.get('latency-by-mode', 0), p.svgs,
      'both' in p.cells and 'haproxy' in p.cells)
PY
)
    read -r orows lrows svgs hasboth <<<"$dom"
    expect_eq "page: the overhead table has a header and mode both's row" "$orows" 2
    expect_eq "page: the row names mode both and haproxy" "$hasboth" True
    expect_eq "page: latency by mode, a header and one row per test" "$lrows" 3
    expect_eq "page: the four overhead charts (latency, added, memory, CPU)" "$svgs" 4
    expect_match "page: the charts' titles" "$(grep -o 'Latency added to the baseline vs actual QPS\|CPU per container vs actual QPS\|Memory per container vs actual QPS' "$T/dom.html" | sort -u | tr '\n' '|')" \
        '^CPU per container vs actual QPS\|Latency added to the baseline vs actual QPS\|Memory per container vs actual QPS\|$'
else
    fail "chromium installed" "not found (Debian package chromium)"
fi

# ---- SIGINT during the first mode: 130, the rest skipped, nothing left
sed 's/"t": "2s"/"t": "60s"/' "$T/config.json" >"$T/long.json"
spawn int env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --modes baseline,both --sidecar haproxy \
    --prometheus off --results "$T/int" "$T/long.json"
if wait_file_match "$T/int.log" '^\[1/2\] diamond-qps100-t2s-c2: 100 qps' 40; then
    kill -INT "$PID_int"
fi
wait_gone "$PID_int" 30
wait "$PID_int"; rc=$?
expect_eq "SIGINT: exit 130" "$rc" 130
check "SIGINT: mode both skipped (no results)" test ! -e "$T/int/both"
expect_match "SIGINT: says the remaining modes are skipped" "$(cat "$T/int.log")" \
    'mode baseline interrupted; skipping the remaining modes'
check "SIGINT: no serve or haproxy process left" no_marked_left 5
done_testing

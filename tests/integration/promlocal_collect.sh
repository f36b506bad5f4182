# Integration: promlocal + exporter + promcollect against a real Prometheus
# (Debian `prometheus`) and a real `meshperf serve` target.
# Starts `meshperf serve` on a free loopback port, then runs the
# test_promlocal unit binary with MESHPERF_PROMLOCAL_IT=1 so that its live
# tests run (see tests/unit/test_promlocal.c): Prometheus started by
# promlocal with the serve process as a file_sd target and the
# cAdvisor-style exporter; every CSV equal to a direct query_range; an
# empty result; a PromQL syntax error; Prometheus killed mid-collection; a
# lost port race. Then: the test binary SIGKILLed while it holds a
# Prometheus -> Prometheus dies with it (PR_SET_PDEATHSIG).
# limit: 90
. "$(dirname "$0")/../lib.sh"

if ! command -v prometheus >/dev/null; then
    echo "ok - # SKIP prometheus not installed"; done_testing; exit
fi
export TMPDIR=$T

spawn serve "$MESHPERF" serve -port 0 -listen 127.0.0.1 -name node-0-0
addr=
for _ in $(seq 100); do
    addr=$(sed -n 's/^listening on //p' "$T/serve.log" | head -1)
    [ -n "$addr" ] && break
    sleep 0.05
done
check "meshperf serve listening" wait_http "http://$addr/health" 10

MESHPERF_PROMLOCAL_IT=1 MESHPERF_SERVE_ADDR=$addr MESHPERF_SERVE_PID=$PID_serve \
    "$UNIT_DIR/test_promlocal" >"$T/unit.out" 2>&1
rc=$?
expect_eq "test_promlocal exits 0 with live tests on" "$rc" 0
for t in test_live_collect test_live_port_race; do
    if grep -q "^\[       OK \] $t\$" "$T/unit.out"; then ok "$t ran and passed"
    else fail "$t" "$(grep -A4 "RUN      \] $t" "$T/unit.out" | tr '\n' ' ')"; fi
done
expect_match "PromQL error names the metric, with Prometheus's text" \
    "$(grep '^# PromQL error' "$T/unit.out")" "metric bad_promql: bad_data: 1:[0-9]+: parse error"
expect_match "killed Prometheus: collection returned" \
    "$(grep '^# killed mid-collection' "$T/unit.out")" "returned after [0-9.]+s"
left=$(find "$T" -maxdepth 1 -name 'meshperf-prom.*' | wc -l)
expect_eq "no Prometheus temp dir left behind" "$left" 0
sed 's/^/# /' "$T/unit.out" | grep -E '^# # |FAILED|ERROR' || true

# SIGKILL of the owner: Prometheus must not outlive it.
spawn hold env MESHPERF_PROMLOCAL_HOLD="$T/hold" "$UNIT_DIR/test_promlocal"
for _ in $(seq 200); do [ -s "$T/hold" ] && break; sleep 0.05; done
read -r ppid pdir <"$T/hold" || true
if [ -n "${ppid:-}" ] && kill -0 "$ppid" 2>/dev/null; then
    expect_eq "held process is prometheus" "$(cat /proc/$ppid/comm 2>/dev/null)" prometheus
    kill -KILL "$PID_hold"; wait "$PID_hold" 2>/dev/null
    if wait_gone "$ppid" 3; then ok "prometheus gone within 3s of its owner's SIGKILL"
    else fail "prometheus outlived its owner" "pid $ppid still alive"; kill -KILL "$ppid"; fi
else
    fail "hold: prometheus started" "$(tail -5 "$T/hold.log" | tr '\n' ' ')"
fi
done_testing

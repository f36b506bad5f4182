# Integration: `meshperf run` measures each container in a cgroup of its
# own (metrics/cgroup.h) where the machine allows it:
#  1. while a test runs, every serve process sits in
#     <own>/meshperf-<driver pid>/<pod>/app (from its first instruction:
#     it joined between fork and exec); the memory and CPU CSVs have every
#     pod; sources.json says cgroup-v1/-v2 for each; the groups are gone
#     after the run;
#  2. SIGINT during a test: exit 130, and the groups are gone too;
#  3. where no cgroup can be made (here: /sys/fs/cgroup hidden by a tmpfs
#     in a private mount namespace), one note line, the run passes and
#     sources.json says proc.
# On a machine without writable cgroups, 1 and 2 check the /proc fallback.
# limit: 90
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT

cat >"$T/config.json" <<'JSON'
{
  "ReplicasPerVirtualNode": 2,
  "ConnectivityCheckPerURL": 2,
  "backends_map": {"0": ["1"], "1": []},
  "load_tests": [
    {"test_name": "cg", "url": "http://node-0:9080/", "qps": "50", "t": "3s", "c": "2"}
  ],
  "meshperf": {"sample_interval": "250ms"}
}
JSON
cat >"$T/long.json" <<'JSON'
{
  "ReplicasPerVirtualNode": 1,
  "backends_map": {"0": ["1"], "1": []},
  "load_tests": [{"test_name": "long", "url": "http://node-0:9080/", "qps": "50", "t": "60s", "c": "2"}]
}
JSON

# groups DRIVER_PID: the directories of that run's cgroup tree still there
groups() { find /sys/fs/cgroup -maxdepth 8 -type d -name "meshperf-$1" 2>/dev/null; }

# ---- 1. a run
spawn run env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 --results "$T/r1" "$T/config.json"
wait_file_match "$T/run.log" '^\[1/1\] cg: 50 qps' 20
cg=1
grep -q '^note: cgroups' "$T/run.log" && cg=0
if [ $cg = 1 ]; then
    expect_match "note names the cgroup version" "$(grep '^memory and CPU' "$T/run.log")" \
        'one cgroup per container \(cgroup v[12]'
    n=0
    for pid in $(marked_pids); do
        grep -qsza -x "MESHPERF_CONTAINER=app" "/proc/$pid/environ" || continue
        pod=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | sed -n 's/^MESHPERF_POD=//p')
        expect_match "$pod: its process is in its own group" \
            "$(grep -E '(memory|^0:):' "/proc/$pid/cgroup" 2>/dev/null | head -1)" \
            "/meshperf-$PID_run/$pod/app\$"
        n=$((n + 1))
    done
    expect_eq "4 app containers found" "$n" 4
    check "groups exist while running" test -n "$(groups "$PID_run")"
fi
wait_gone "$PID_run" 40
wait "$PID_run"; rc=$?
expect_eq "run exits 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/run.log"
ts=$(ls "$T/r1/cg" 2>/dev/null)
d="$T/r1/cg/$ts"
want=cgroup-v; [ $cg = 1 ] || want=proc
expect_eq "sources.json: 4 containers" "$(jq length "$d/sources.json" 2>/dev/null)" 4
expect_eq "sources.json: every source $want*" \
    "$(jq -r '.[].source' "$d/sources.json" 2>/dev/null | grep -c "^$want")" 4
for m in memory_working_set_MiB cpu_usage_seconds; do
    expect_eq "$m.csv has the 4 pods (2 of node-0, 2 of node-1)" \
        "$(tail -n +2 "$d/$m.csv" | cut -d, -f3 | sort -u | grep -Ec "^node-[01]$POD_TAIL\$")" 4
done
# node-0's first pod (by name): a serve's working set is more than nothing,
# less than 64 MiB
p0=$(tail -n +2 "$d/memory_working_set_MiB.csv" | cut -d, -f3 | sort -u | grep '^node-0-' | head -1)
expect_range "$p0 working set MiB" \
    "$(awk -F, -v p="$p0" '$3==p {v=$5} END {print v+0}' "$d/memory_working_set_MiB.csv")" 0.05 64
expect_range "$p0 CPU seconds > 0 after 150 requests" \
    "$(awk -F, -v p="$p0" '$3==p {v=$5} END {print v+0}' "$d/cpu_usage_seconds.csv")" 0.0001 30
expect_eq "groups gone after the run" "$(groups "$PID_run")" ""
check "no serve process left" no_marked_left 5

# ---- 2. SIGINT during a test
spawn int env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 --results "$T/r2" "$T/long.json"
if wait_file_match "$T/int.log" '^\[1/1\] long: 50 qps' 20; then
    wait_pod_requests node-0 10 20
    [ $cg = 1 ] && check "SIGINT: groups exist before" test -n "$(groups "$PID_int")"
    kill -INT "$PID_int"
fi
wait_gone "$PID_int" 20
wait "$PID_int"; rc=$?
expect_eq "SIGINT: exit 130" "$rc" 130
expect_eq "SIGINT: groups gone" "$(groups "$PID_int")" ""
check "SIGINT: no serve process left" no_marked_left 5

# ---- 3. no cgroups to be had: /proc, with one note line
if unshare -m true 2>/dev/null; then
    MESHPERF_IT_MARK="$RUN_MARK" unshare -m sh -c 'mount -t tmpfs none /sys/fs/cgroup && exec "$@"' \
        sh "$MESHPERF" run --pause 0 --results "$T/r3" "$T/config.json" >"$T/r3.out" 2>&1
    rc=$?
    expect_eq "no cgroups: run exits 0" "$rc" 0
    expect_eq "no cgroups: one note line" \
        "$(grep -c '^note: cgroups: .*; memory and CPU from /proc$' "$T/r3.out")" 1
    ts=$(ls "$T/r3/cg" 2>/dev/null)
    expect_eq "no cgroups: sources.json says proc" \
        "$(jq -r '.[].source' "$T/r3/cg/$ts/sources.json" 2>/dev/null | sort -u)" proc
    expect_eq "no cgroups: memory CSV has the 4 pods" \
        "$(tail -n +2 "$T/r3/cg/$ts/memory_working_set_MiB.csv" | cut -d, -f3 | sort -u | wc -l)" 4
else
    ok "# SKIP no cgroups: unshare -m not permitted"
fi
done_testing

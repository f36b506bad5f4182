# Integration: one 500 ms server stall (SIGSTOP/SIGCONT of the server) in a
# 5 s run at 500 QPS. Latency from the due time (corrected) must show it at
# p99; latency from the actual send (uncorrected) must not, since only the
# few requests in flight at the stall waited on the wire.
# limit: 60
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../helpers/lg_lib.sh"
lg_build
lg_start srv 0 ok

"$MESHPERF" load -qps 500 -t 5s -c 4 -threads 1 -json "$T/s.json" "http://127.0.0.1:$LG_PORT/" >"$T/s.out" 2>&1 &
load=$!
sleep 2 # into the run (the stall is what is measured, not a synchronisation)
kill -STOP "$PID_srv"
sleep 0.5 # the stall itself
kill -CONT "$PID_srv"
wait "$load"
expect_eq "stall run exits 0" "$?" 0
p99c=$(jq '.DurationHistogram.Percentiles[] | select(.Percentile == 99) | .Value * 1000' "$T/s.json")
p99u=$(jq '.MeshperfUncorrectedHistogram.Percentiles[] | select(.Percentile == 99) | .Value * 1000' "$T/s.json")
expect_range "corrected p99 shows the stall (ms)" "$p99c" 250 700
expect_range "uncorrected p99 hides it (ms)" "$p99u" 0 50
expect_range "late requests counted" "$(jq .MeshperfLate.Count "$T/s.json")" 150 2500
expect_eq "every scheduled request sent" "$(jq '.RetCodes["200"]' "$T/s.json")" 2500
done_testing

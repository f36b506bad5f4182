# Integration: the scheduling policy of the generator's threads. Max mode
# (-qps 0) runs them SCHED_BATCH (policy 3 in /proc/PID/task/TID/stat) unless
# -batch-sched=false; rate mode never does. Read while the run is going.
# limit: 60
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../helpers/lg_lib.sh"
lg_build
lg_start fast 0 ok
url="http://127.0.0.1:$LG_PORT/"

# policies NAME ARGS...: run `meshperf load ARGS` for 3 s, and while it is
# past warm-up (the target has seen requests) print the policy of every
# thread, sorted, one line ("0 3 3" = main thread normal, two batch).
policies() {
    local name=$1; shift
    local before; before=$(lg_count "$LG_PORT")
    spawn "$name" "$MESHPERF" load -t 3s -c 4 -threads 2 "$@" "$url"
    local pid; pid=$(eval echo "\$PID_$name")
    local end=$((SECONDS + 10))
    while [ $SECONDS -lt $end ] && [ "$(lg_count "$LG_PORT")" -le $((before + 5)) ]; do sleep 0.05; done
    local p=""
    for f in /proc/"$pid"/task/*/stat; do
        # field 41 (policy), counted after the ")" that ends the comm field
        p="$p $(sed 's/.*) //' "$f" 2>/dev/null | awk '{print $39}')"
    done
    wait "$pid" 2>/dev/null
    echo "$p" | tr ' ' '\n' | grep . | sort -n | tr '\n' ' ' | sed 's/ $//'
}

got=$(policies max -qps 0)
expect_match "max mode: worker threads SCHED_BATCH (3), main thread normal (0)" "$got" "^0 3 3$"
got=$(policies maxoff -qps 0 -batch-sched=false)
expect_match "max mode with -batch-sched=false: all normal" "$got" "^0 0 0$"
got=$(policies rate -qps 200)
expect_match "rate mode: all normal, timestamps on wake-up" "$got" "^0 0 0$"
done_testing

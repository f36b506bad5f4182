# Integration: Fortio's REST API on `meshperf serve`: the original driver's
# request shape (POST {"url","qps","t","c"} as strings) held at 200 qps
# within 2 %, RetCodes with string keys; Fortio's error shape for a missing
# URL and bad JSON; async=on + status + stop?wait=true; a URL's
# credentials never in a reply; on a -threads 2 node, stop?wait=true waits
# also for a run an earlier stop already stopped, for every run when no
# runid is given, and for two waiters at once.
# limit: 90
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_lib.bash"
U=http://127.0.0.1

start_node target || exit 1
start_node gen -rest || exit 1
G="$U:$PORT_gen/fortio/rest"

# Held within 2 % (the tight 1 % figure is bench/serve_bench.sh's): up to
# 3 attempts, the first that passes counts, since a run whose end a busy
# machine delays by 60 ms already reads 196. The window still fails a
# generator that drifts (a per-request sleep of the interval loses several
# %) or bursts (over 202 is faster than asked); counts stay exact.
body=$(printf '{"url": "%s/", "qps": "200", "t": "3s", "c": "4"}' "$U:$PORT_target")
for attempt in 1 2 3; do
    curl -s --max-time 20 -X POST -H 'Content-Type: application/json' -d "$body" "$G/run" >"$T/run.json"
    qps=$(jq -r '.ActualQPS' "$T/run.json" 2>/dev/null || echo 0)
    echo "# attempt $attempt: ActualQPS $qps"
    awk -v x="$qps" 'BEGIN{exit !(x>=196 && x<=202)}' && break
done
expect_range "ActualQPS within 2 % of 200" "$qps" 196 202
expect_eq "RetCodes has string keys and 600 x 200" "$(jq -c '.RetCodes' "$T/run.json")" '{"200":600}'
expect_eq "RequestedQPS is a string" "$(jq -r '.RequestedQPS|type' "$T/run.json")" string
expect_eq "RunID is set" "$(jq -r '.RunID' "$T/run.json")" "$attempt"
expect_eq "the target saw every request" \
    "$(metric "$PORT_target" 'requests_total.*path="root"')" $((600 * attempt))

out=$(curl -s -w ' %{http_code}' -X POST -d '{"qps": "10"}' "$G/run")
expect_eq "no url -> 400 with Fortio's error JSON" "$out" '{"error":true,"message":"URL is required"} 400'
out=$(curl -s -w ' %{http_code}' -X POST -d '{"url": ' "$G/run")
expect_match "bad JSON -> 400 naming line and column" "$out" \
    '^\{"error":true,"message":"body json deserialization error","exception":"line 1 column [0-9]+: .*\} 400$'
out=$(curl -s -w ' %{http_code}' -X POST -d '{"url": "http://127.0.0.1:1/", "t": "xyz"}' "$G/run")
expect_match "bad duration -> 400" "$out" '"message":"parsing duration".* 400$'

# query args win over the body; async run until stopped
out=$(curl -s -X POST -d '{"url": "http://127.0.0.1:1/", "qps": "5"}' \
    "$G/run?url=$U:$PORT_target/&t=on&qps=50&async=on")
r2=$((attempt + 1))
expect_match "async=on answers started with a RunID" "$out" "\"message\":\"started\",\"RunID\":$r2"
st=$(curl -s "$G/status")
expect_match "status lists the run with the query's URL" "$st" "\"$r2\":\\{\"RunID\":$r2,\"State\":2,\"URL\":\"$U:$PORT_target/\""
out=$(curl -s --max-time 10 "$G/stop?runid=$r2&wait=true")
expect_match "stop wait=true answers stopped once the run ended" "$out" "\"message\":\"stopped\",\"RunID\":$r2,\"Count\":1"
expect_eq "no run left" "$(curl -s "$G/status")" '{"Statuses":{}}'
# a URL with credentials: they never come back (status, start and error replies)
out=$(curl -s -X POST -d "{\"url\": \"http://alice:s3cret@127.0.0.1:$PORT_target/\", \"t\": \"on\", \"qps\": \"20\", \"async\": \"on\"}" "$G/run")
rid=$(jq -r '.RunID' <<<"$out")
st=$(curl -s "$G/status")
expect_match "status shows the run's URL with ***@ for the credentials" "$st" \
    "\"URL\":\"http://\\*\\*\\*@127.0.0.1:$PORT_target/\""
expect_eq "status and start replies never show the password" "$(grep -c s3cret <<<"$out$st")" 0
curl -s --max-time 10 "$G/stop?runid=$rid&wait=true" >/dev/null
out=$(curl -s -X POST -d '{"url": "http://alice:s3cret@127.0.0.1:99999/"}' "$G/run")
expect_match "a bad URL with credentials: 400 naming it without them" "$out" 'http://\*\*\*@127.0.0.1:99999/'
expect_eq "nor does that error reply show the password" "$(grep -c s3cret <<<"$out")" 0
expect_eq "no run left after the credentials run" "$(curl -s "$G/status")" '{"Statuses":{}}'
expect_eq "unknown REST call -> 404" "$(curl -s -o /dev/null -w '%{http_code}' "$G/nope")" 404

# stop?wait=true on a -threads 2 node (each curl is its own connection, so
# start, stop and wait land on either worker). The runs' requests take
# 400 ms each, so a run ends a while after it is told to stop.
start_node gen2 -rest -threads 2 || exit 1
G2="$U:$PORT_gen2/fortio/rest"
start_async() { # start_async -> RunID
    curl -s -X POST "$G2/run?url=$U:$PORT_target/echo%3Fdelay%3D400ms&t=on&qps=20&c=4&async=on" |
        jq -r '.RunID'
}
# wait_requests ID: until run ID has sent a request (bounded)
wait_requests() {
    local end=$((SECONDS + 5))
    while [ $SECONDS -lt $end ]; do
        [ "$(curl -s "$G2/status?runid=$1" | jq -r ".Statuses[\"$1\"].MeshperfRequests // 0")" -gt 0 ] && return
        sleep 0.05
    done
}
r1=$(start_async)
wait_requests "$r1"
out=$(curl -s "$G2/stop?runid=$r1")
expect_match "stop without wait answers stopping at once" "$out" "\"message\":\"stopping\",\"RunID\":$r1,\"Count\":1"
out=$(curl -s --max-time 10 "$G2/stop?runid=$r1&wait=true")
expect_match "stop?wait=true after an earlier stop still waits for the end" "$out" \
    "\"message\":\"stopped\",\"RunID\":$r1,\"Count\":1"
expect_eq "and the run is gone when it answers" "$(curl -s "$G2/status")" '{"Statuses":{}}'

r2=$(start_async)
r3=$(start_async)
wait_requests "$r2"
wait_requests "$r3"
curl -s --max-time 10 "$G2/stop?runid=$r2&wait=true" >"$T/w1" &
w1=$!
curl -s --max-time 10 "$G2/stop?runid=$r2&wait=true" >"$T/w2" &
w2=$!
wait "$w1" "$w2"
expect_eq "two waiters on one run both get stopped" \
    "$(jq -r '.message' "$T/w1") $(jq -r '.message' "$T/w2")" "stopped stopped"
out=$(curl -s --max-time 10 "$G2/stop?wait=true")
expect_match "stop?wait=true without runid waits for every run left" "$out" \
    '"message":"stopped","RunID":'"$r3"',"Count":1'
r4=$(start_async)
r5=$(start_async)
wait_requests "$r4"
wait_requests "$r5"
out=$(curl -s --max-time 10 "$G2/stop?wait=true")
expect_match "stop?wait=true on two runs waits for both" "$out" '"message":"stopped","RunID":0,"Count":2'
expect_eq "no run left after the waits" "$(curl -s "$G2/status")" '{"Statuses":{}}'
done_testing

# Integration: Fortio's REST API on `meshperf serve`: the original driver's
# request shape (POST {"url","qps","t","c"} as strings) held at 200 qps
# within 1 %, RetCodes with string keys; Fortio's error shape for a missing
# URL and bad JSON; async=on + status + stop?wait=true.
# limit: 60
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_lib.bash"
U=http://127.0.0.1

start_node target || exit 1
start_node gen || exit 1
G="$U:$PORT_gen/fortio/rest"

body=$(printf '{"url": "%s/", "qps": "200", "t": "3s", "c": "4"}' "$U:$PORT_target")
curl -s --max-time 20 -X POST -H 'Content-Type: application/json' -d "$body" "$G/run" >"$T/run.json"
qps=$(jq -r '.ActualQPS' "$T/run.json")
expect_range "ActualQPS within 1 % of 200" "$qps" 198 202
expect_eq "RetCodes has string keys and 600 x 200" "$(jq -c '.RetCodes' "$T/run.json")" '{"200":600}'
expect_eq "RequestedQPS is a string" "$(jq -r '.RequestedQPS|type' "$T/run.json")" string
expect_eq "RunID is set" "$(jq -r '.RunID' "$T/run.json")" 1
expect_eq "the target saw every request" \
    "$(metric "$PORT_target" 'requests_total.*path="root"')" 600

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
expect_match "async=on answers started with a RunID" "$out" '"message":"started","RunID":2'
st=$(curl -s "$G/status")
expect_match "status lists run 2 with the query's URL" "$st" "\"2\":\\{\"RunID\":2,\"State\":2,\"URL\":\"$U:$PORT_target/\""
out=$(curl -s --max-time 10 "$G/stop?runid=2&wait=true")
expect_match "stop wait=true answers stopped once the run ended" "$out" '"message":"stopped","RunID":2,"Count":1'
expect_eq "no run left" "$(curl -s "$G/status")" '{"Statuses":{}}'
expect_eq "unknown REST call -> 404" "$(curl -s -o /dev/null -w '%{http_code}' "$G/nope")" 404
done_testing

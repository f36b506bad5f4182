# Integration: `meshperf load` on bad input and misbehaving targets: one
# clear line and the documented exit code, or errors counted as "-1" in a
# run that still ends on time; -json output has Fortio's JSON types.
# limit: 90
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../helpers/lg_lib.sh"
lg_build

# run_err NAME WANT_RC REGEX ARGS...: exit code, and stderr is one line matching REGEX.
run_err() {
    local name=$1 want=$2 re=$3; shift 3
    timeout 30 "$MESHPERF" load "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    expect_eq "$name: exit code" "$rc" "$want"
    expect_eq "$name: one line" "$(wc -l <"$T/err" | tr -d ' ')" 1
    expect_match "$name: message" "$(cat "$T/err")" "$re"
}
dead=$(free_port)
run_err "bad URL" 2 "bad URL 'htp://x/'" -t 1s "htp://x/"
run_err "unknown flag" 2 "unknown flag -bogus" -bogus 1 "http://127.0.0.1:$dead/"
run_err "negative rate" 2 "flag -qps: must be >= 0" -qps -5 "http://127.0.0.1:$dead/"
# below 0.001 req/s the schedule (i / qps, in us) would overflow int64
run_err "tiny rate" 2 "^meshperf load: flag -qps: must be 0 \\(max\\) or at least 0\\.001 .*got 1e-300$" \
    -qps 1e-300 -n 3 "http://127.0.0.1:$dead/"
run_err "zero connections" 2 "flag -c: connections must be" -c 0 "http://127.0.0.1:$dead/"
run_err "bad header" 2 "flag -H: 'nocolon'" -H nocolon "http://127.0.0.1:$dead/"
run_err "missing URL" 2 "missing URL" -qps 1
run_err "refused" 1 "connect 127.0.0.1:$dead: Connection refused" -t 1s "http://127.0.0.1:$dead/"
run_err "DNS failure" 1 "resolve nosuch.invalid:80: " -t 1s "http://nosuch.invalid/"

# -c beyond the file descriptor limit: one line naming -c, the limit and
# ulimit, exit 2, before any connection (the port is closed: a run would
# have ended in "Connection refused", exit 1). With only the soft limit
# low, it is raised to the hard one and the run goes ahead.
bash -c 'ulimit -n 256 && exec "$@"' sh "$MESHPERF" load -c 1000 -t 1s "http://127.0.0.1:$dead/" \
    >"$T/out" 2>"$T/err"
expect_eq "-c beyond ulimit -n: exit 2" "$?" 2
expect_eq "-c beyond ulimit -n: one line" "$(wc -l <"$T/err" | tr -d ' ')" 1
expect_match "-c beyond ulimit -n: names -c, the limit and ulimit" "$(cat "$T/err")" \
    "^meshperf load: flag -c: 1000 connections need about 1064 file descriptors, more than this process may open \\(ulimit -n: 256, raised to the hard limit\\); lower -c to 192 or less"
if [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 1064 ]; then
    bash -c 'ulimit -Sn 256 && exec "$@"' sh "$MESHPERF" load -c 1000 -t 1s "http://127.0.0.1:$dead/" \
        >"$T/out" 2>"$T/err"
    expect_eq "soft limit raised to the hard one: the run went ahead (refused, exit 1)" "$?" 1
    expect_match "soft limit raised: refused, not the limit" "$(cat "$T/err")" "Connection refused"
else
    ok "# SKIP soft limit raised: the hard limit $(ulimit -Hn) is below 1064"
fi

# TLS: a self-signed server fails verification before any request; -k runs.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" -out "$T/cert.pem" -days 1 \
    -subj /CN=localhost >/dev/null 2>&1
tport=$(free_port)
spawn tls openssl s_server -quiet -accept "$tport" -cert "$T/cert.pem" -key "$T/key.pem" -www
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$tport") 2>/dev/null && break; sleep 0.05; done
run_err "TLS verify failure" 1 "TLS handshake with 127.0.0.1:$tport: .*(certificate|verify)" -t 1s "https://127.0.0.1:$tport/"
timeout 30 "$MESHPERF" load -k -qps 20 -t 1s -c 1 -json "$T/tls.json" "https://127.0.0.1:$tport/" >"$T/tls.out" 2>&1
expect_eq "TLS -k: exit 0" "$?" 0
expect_range "TLS -k: 200 responses" "$(jq '.RetCodes["200"] // 0' "$T/tls.json")" 15 20

# Misbehaving servers: every request is a counted -1; the run ends on time.
for mode in closemid garbage; do
    lg_start "$mode" 0 "$mode"
    start=$SECONDS
    timeout 30 "$MESHPERF" load -qps 100 -t 2s -c 2 -json "$T/$mode.json" "http://127.0.0.1:$LG_PORT/" >"$T/$mode.out" 2>&1
    expect_eq "$mode: exit 0" "$?" 0
    expect_eq "$mode: all 200 requests are -1" "$(jq '.RetCodes["-1"]' "$T/$mode.json")" 200
    expect_eq "$mode: counted as errors" "$(jq '.ErrorsDurationHistogram.Count' "$T/$mode.json")" 200
    expect_range "$mode: ended on time (s)" "$((SECONDS - start))" 0 5
done

# A server that never answers: timeouts are -1 and the run still ends
# within duration + timeout.
lg_start mute 100000000 ok
start=$SECONDS
timeout 30 "$MESHPERF" load -qps 50 -t 1s -c 2 -timeout 500ms -json "$T/mute.json" "http://127.0.0.1:$LG_PORT/" >"$T/mute.out" 2>&1
expect_eq "mute: exit 0" "$?" 0
# $SECONDS counts whole seconds, so the 1.5 s a correct run takes reads 1-2;
# 4 (not 3) leaves an ASan start on a busy machine room and still fails a
# run that waits out the server (100 s) or a default timeout.
expect_range "mute: ended within duration + timeout (s)" "$((SECONDS - start))" 0 4
# Each connection holds one request for 500 ms: ~3 time out per connection,
# the rest of the 50 scheduled were never sent and are counted as such.
expect_range "mute: timeouts counted as -1" "$(jq '.RetCodes["-1"] // 0' "$T/mute.json")" 4 8
expect_eq "mute: timeouts + unsent = schedule" "$(jq '.RetCodes["-1"] + .MeshperfUnsent' "$T/mute.json")" 50
expect_match "mute: says the asked rate was not delivered" "$(cat "$T/mute.out")" \
    "meshperf load: the asked rate was not delivered: .*of 50 (qps|requests sent >100 ms late or not at all)"

# Chunked bodies are decoded and the connection reused.
lg_start chunked 0 chunked
timeout 30 "$MESHPERF" load -qps 200 -t 1s -c 2 -json "$T/ch.json" "http://127.0.0.1:$LG_PORT/" >"$T/ch.out" 2>&1
expect_eq "chunked: all 200" "$(jq '.RetCodes["200"]' "$T/ch.json")" 200
expect_eq "chunked: keep-alive (2 sockets)" "$(jq .SocketCount "$T/ch.json")" 2
check "chunked: the rate was delivered (no such line)" sh -c "! grep -q 'rate was not delivered' '$T/ch.out'"

# SIGINT: partial results, exit 130, JSON says stopped.
lg_start ok 0 ok
"$MESHPERF" load -qps 100 -t 0 -c 2 -json "$T/int.json" "http://127.0.0.1:$LG_PORT/" >"$T/int.out" 2>&1 &
pid=$!
for _ in $(seq 100); do [ "$(lg_count "$LG_PORT")" -gt 20 ] 2>/dev/null && break; sleep 0.05; done
kill -INT "$pid"
wait "$pid"
expect_eq "SIGINT: exit 130" "$?" 130
expect_eq "SIGINT: MeshperfStopped" "$(jq .MeshperfStopped "$T/int.json")" true
expect_eq "SIGINT: RequestedDuration" "$(jq -r .RequestedDuration "$T/int.json")" "until stop"

# Credentials in the URL (never used for auth) are shown as ***@, in the
# summary and in the JSON.
timeout 30 "$MESHPERF" load -n 1 -json "$T/cred.json" "http://u:secret@127.0.0.1:$LG_PORT/" >"$T/cred.out" 2>&1
expect_eq "credentials: exit 0" "$?" 0
expect_eq "credentials: the request was made" "$(jq '.RetCodes["200"]' "$T/cred.json")" 1
expect_match "credentials: Target redacted" "$(cat "$T/cred.out")" "Target: http://\*\*\*@127\.0\.0\.1:$LG_PORT/"
expect_eq "credentials: JSON URL redacted" "$(jq -r .URL "$T/cred.json")" "http://***@127.0.0.1:$LG_PORT/"
check "credentials: no password in output or JSON" test -z "$(grep -l secret "$T/cred.out" "$T/cred.json")"

# Fortio's JSON types, field by field.
"$MESHPERF" load -qps 200 -t 1s -c 2 -labels "it test" -json - "http://127.0.0.1:$LG_PORT/" >"$T/t.json" 2>"$T/t.err"
expect_eq "-json -: exit 0" "$?" 0
j="$T/t.json"
ty() { jq -r "$1 | type" "$j"; }
for f in RunType Labels StartTime RequestedQPS RequestedDuration URL Version ID; do
    expect_eq "type $f" "$(ty ".$f")" string
done
for f in ActualQPS ActualDuration NumThreads NumConnections SocketCount Exactly HTTPReqTimeOut; do
    expect_eq "type $f" "$(ty ".$f")" number
done
expect_eq "ActualDuration is integer ns" "$(jq '.ActualDuration | (. == floor and . > 900000000)' "$j")" true
expect_match "StartTime is RFC 3339" "$(jq -r .StartTime "$j")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$'
expect_eq "RequestedQPS" "$(jq -r .RequestedQPS "$j")" 200
expect_eq "RequestedDuration" "$(jq -r .RequestedDuration "$j")" 1s
expect_eq "Labels" "$(jq -r .Labels "$j")" "it test"
for h in DurationHistogram ErrorsDurationHistogram Sizes HeaderSizes MeshperfUncorrectedHistogram; do
    expect_eq "type $h" "$(ty ".$h")" object
    for f in Count Min Max Sum Avg StdDev; do expect_eq "type $h.$f" "$(ty ".$h.$f")" number; done
done
expect_eq "type RetCodes" "$(ty .RetCodes)" object
expect_eq "RetCodes values" "$(jq '[.RetCodes[] | type] | unique' -c "$j")" '["number"]'
expect_eq "Data entries" "$(jq -c '[.DurationHistogram.Data[] | [(.Start|type),(.End|type),(.Percent|type),(.Count|type)]] | unique' "$j")" '[["number","number","number","number"]]'
expect_eq "Data last Percent is 100" "$(jq '.DurationHistogram.Data[-1].Percent' "$j")" 100
expect_eq "Data counts add up" "$(jq '([.DurationHistogram.Data[].Count] | add) == .DurationHistogram.Count' "$j")" true
expect_eq "Percentiles" "$(jq -c '[.DurationHistogram.Percentiles[].Percentile]' "$j")" '[50,75,90,99,99.9]'
expect_eq "empty ErrorsDurationHistogram.Data is null" "$(ty .ErrorsDurationHistogram.Data)" null
expect_eq "MeshperfLate.Count type" "$(ty .MeshperfLate.Count)" number
done_testing

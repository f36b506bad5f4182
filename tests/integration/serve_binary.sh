# Integration: the lean serve binary. `meshperf serve` execs meshperf-serve
# from its own folder (same pid, so the local platform's sampler measures
# it), which maps neither libcurl nor cairo; meshperf-serve takes serve's
# flags with or without a leading "serve"; without meshperf-serve beside
# it, `meshperf serve` serves in-process.
# limit: 60
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_lib.bash"

LEAN=$(dirname "$MESHPERF")/meshperf-serve
check "meshperf-serve is built beside meshperf" test -x "$LEAN"

start_node a || fail "start a" "no listening line"
wait_http "http://127.0.0.1:$PORT_a/health" 10
exe=$(readlink "/proc/$PID_a/exe")
expect_eq "meshperf serve execs meshperf-serve (same pid)" "$exe" "$(readlink -f "$LEAN")"
maps=$(cat "/proc/$PID_a/maps")
expect_match "serve maps OpenSSL (https backends)" "$maps" "libssl"
if [[ "$maps" == *libcurl* || "$maps" == *libcairo* ]]; then
    fail "serve maps neither libcurl nor cairo" "$(grep -oE 'lib(curl|cairo)[^ ]*' "/proc/$PID_a/maps" | sort -u | tr '\n' ' ')"
else
    ok "serve maps neither libcurl nor cairo"
fi
expect_eq "GET / on meshperf serve" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT_a/")" 200

for form in "serve -port 0" "-port 0"; do
    # shellcheck disable=SC2086
    spawn lean "$LEAN" $form -listen 127.0.0.1
    port=""
    for _ in $(seq 500); do
        port=$(sed -n '1s/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/lean.log" 2>/dev/null)
        [ -n "$port" ] && break
        sleep 0.02
    done
    expect_match "meshperf-serve $form listens" "$port" "^[0-9]+$"
    [ -n "$port" ] && expect_eq "meshperf-serve $form answers /health" \
        "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/health")" 200
    kill -TERM "$PID_lean"
    wait_gone "$PID_lean" 10 || fail "meshperf-serve $form stops on SIGTERM" "still running"
done

out=$("$LEAN" -port nope 2>&1); rc=$?
expect_eq "meshperf-serve: bad flag exits 2" "$rc" 2
expect_match "meshperf-serve: bad flag named" "$out" "port"

mkdir "$T/alone" && cp "$MESHPERF" "$T/alone/meshperf"
MESHPERF="$T/alone/meshperf" start_node alone || fail "start alone" "no listening line"
expect_eq "without meshperf-serve beside it, serve runs in-process" \
    "$(readlink "/proc/$PID_alone/exe")" "$T/alone/meshperf"
expect_eq "in-process serve answers" \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$PORT_alone/health")" 200
done_testing

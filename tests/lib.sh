# tests/lib.sh: shared helpers for integration tests (source it first).
#
# Each test script is one file; it reports cases as TAP-style lines
# ("ok - name", "not ok - name: why") that tests/run.sh counts. Processes
# started with `spawn` are killed on every exit path (their whole process
# group), and $T is a private temp dir removed at exit.
#   spawn NAME CMD...      start CMD in the background; its pid is in PID_<NAME>
#   free_port              print a free loopback TCP port
#   wait_http URL [SECS]   poll until URL answers 2xx (readiness, not a sleep)
#   wait_gone PID [SECS]   poll until PID has exited
#   ok NAME / fail NAME WHY / check NAME CMD...  report one case
#   expect_eq NAME GOT WANT, expect_match NAME GOT REGEX, expect_range NAME X LO HI
set -u
: "${MESHPERF:?MESHPERF must name the binary under test}"
T=$(mktemp -d "${TMPDIR:-/tmp}/meshperf-it.XXXXXX")
_PIDS=()
_NFAIL=0

_cleanup() {
    local p
    for p in "${_PIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null; done
    for p in "${_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null
    done
    rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

spawn() {
    local name=$1; shift
    setsid "$@" >"$T/$name.log" 2>&1 &
    local pid=$!
    _PIDS+=("$pid")
    printf -v "PID_$name" '%s' "$pid"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_http() {
    local url=$1 secs=${2:-10} end=$((SECONDS + ${2:-10}))
    while [ $SECONDS -lt $end ]; do
        curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "# wait_http: $url not ready after ${secs}s" >&2
    return 1
}

wait_gone() {
    local pid=$1 end=$((SECONDS + ${2:-10}))
    while [ $SECONDS -lt $end ]; do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
    return 1
}

ok() { echo "ok - $1"; }
fail() { echo "not ok - $1: $2"; _NFAIL=$((_NFAIL + 1)); }
check() {
    local name=$1; shift
    if "$@" >"$T/check.out" 2>&1; then ok "$name"; else fail "$name" "command failed: $* ($(tail -3 "$T/check.out" | tr '\n' ' '))"; fi
}
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "got '$2', want '$3'"; fi; }
expect_match() { if [[ "$2" =~ $3 ]]; then ok "$1"; else fail "$1" "got '$2', want match of /$3/"; fi; }
expect_range() {
    if awk -v x="$2" -v lo="$3" -v hi="$4" 'BEGIN{exit !(x>=lo && x<=hi)}'; then ok "$1 ($2 in [$3,$4])"
    else fail "$1" "got $2, want in [$3, $4]"; fi
}
# done_testing: call last; exit status reflects the cases.
done_testing() { [ "$_NFAIL" -eq 0 ]; }

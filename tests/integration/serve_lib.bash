# tests/integration/serve_lib.bash: helpers for the serve_*.sh tests (not *.sh, so run.sh does not run it).
# Source after ../lib.sh.
#   start_node NAME ARGS...   spawn `meshperf serve -port 0 ARGS`, wait for
#                             its "listening on" line; port in PORT_<NAME>
#   metric PORT REGEX         sum of the /metrics samples whose line matches
start_node() {
    local name=$1; shift
    spawn "$name" "$MESHPERF" serve -port 0 -listen 127.0.0.1 "$@"
    local end=$((SECONDS + 10)) port=""
    while [ $SECONDS -lt $end ]; do
        port=$(sed -n '1s/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$T/$name.log" 2>/dev/null)
        [ -n "$port" ] && break
        sleep 0.02
    done
    if [ -z "$port" ]; then
        echo "# start_node $name: no 'listening on' line: $(head -3 "$T/$name.log")" >&2
        return 1
    fi
    printf -v "PORT_$name" '%s' "$port"
}

metric() {
    curl -s --max-time 5 "http://127.0.0.1:$1/metrics" |
        awk -v re="$2" '$0 !~ /^#/ && $0 ~ re { s += $NF } END { printf "%d\n", s }'
}

# tests/helpers/lg_lib.sh: helpers for the load generator's integration
# tests (source after tests/lib.sh).
#   lg_build             compile tests/helpers/lg_server.c into $T/lg_server
#   lg_start NAME DELAY_US MODE   start it on a free port; sets LG_PORT
#   lg_count PORT        requests the server has answered (GET /count)
lg_build() {
    "${CC:-cc}" -O2 -o "$T/lg_server" "$(dirname "${BASH_SOURCE[0]}")/lg_server.c" 2>"$T/cc.log" || {
        echo "not ok - build lg_server: $(head -3 "$T/cc.log")"; exit 1; }
}
lg_start() {
    LG_PORT=$(free_port)
    spawn "$1" "$T/lg_server" "$LG_PORT" "$2" "$3"
    wait_http "http://127.0.0.1:$LG_PORT/count" 10 || { echo "not ok - $1 did not start"; exit 1; }
}
lg_count() { curl -fsS --max-time 2 "http://127.0.0.1:$1/count" | tr -d '\n'; }

# Integration: libcurl, cairo, OpenSSL and jansson are loaded only when used
# (see src/lazy.h). An idle `serve` maps none of them, and one that has run
# a plain-http load through its REST API maps only jansson (the REST API
# speaks JSON); `report` (cairo) works and a
# cairo that cannot be loaded is one line naming the soname and the Debian
# package, exit 1. VmRSS of the idle serve is printed (a benchmark, not an
# assertion: bench/serve_bench.sh).
# limit: 40
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_lib.bash"
DATA=$(cd "$(dirname "$0")/../data/report" && pwd)
LAZY='/lib(curl|cairo|ssl|crypto|jansson)\.so'

mapped() { grep -oE "$LAZY[.0-9]*" "/proc/$1/maps" | sort -u | tr '\n' ' '; }

expect_eq "the binary does not link libcurl, cairo, OpenSSL or jansson" \
    "$(ldd "$MESHPERF" | grep -cE "$LAZY")" 0

start_node target || exit 1
start_node gen || exit 1
wait_http "http://127.0.0.1:$PORT_target/health" || exit 1
echo "# idle serve: $(grep -E '^VmRSS' "/proc/$PID_target/status" | tr -s ' \t' ' ')"
expect_eq "idle serve maps none of them" "$(mapped "$PID_target")" ""

out=$(curl -s --max-time 20 -X POST \
    -d "{\"url\": \"http://127.0.0.1:$PORT_target/\", \"qps\": \"100\", \"t\": \"1s\", \"c\": \"2\"}" \
    "http://127.0.0.1:$PORT_gen/fortio/rest/run")
expect_eq "a plain-http REST load ran" "$(jq -c '.RetCodes' <<<"$out")" '{"200":100}'
expect_match "after an http load, serve maps only jansson" "$(mapped "$PID_gen")" '^/libjansson\.so[.0-9]* $'

cd "$DATA" || exit 1
"$MESHPERF" report basic -o "$T/out" >/dev/null 2>&1
expect_eq "report (cairo loaded on first use) exits 0" "$?" 0
expect_range "report wrote PNG charts" "$(find "$T/out" -name '*.png' | wc -l)" 1 1000

# An unloadable libcairo.so.2 first on the search path: dlopen fails.
mkdir -p "$T/badlib" && echo 'not an ELF file' >"$T/badlib/libcairo.so.2"
LD_LIBRARY_PATH="$T/badlib" "$MESHPERF" report basic -o "$T/out2" >"$T/bad.out" 2>"$T/bad.err"
rc=$?
expect_eq "unloadable cairo: exit 1" "$rc" 1
# (the fixture's own warnings come first)
expect_match "unloadable cairo: last line names soname, dlerror and package" "$(tail -1 "$T/bad.err")" \
    '^meshperf: cannot load libcairo\.so\.2: .*libcairo\.so\.2: .* \(install the Debian package libcairo2\)$'
expect_eq "unloadable cairo: said once" "$(grep -c 'cannot load' "$T/bad.err")" 1

done_testing

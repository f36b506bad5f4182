# Integration: `meshperf run --sidecar haproxy|nginx` on a diamond (0 -> 1,
# 2 -> 3, 2 replicas each). While the test runs: every app's -backends
# point at its own proxy's listeners only, and the proxies carry the
# traffic (their own counters move). After it: the fan-out counts are exact
# (every node's request counter), the proxies were sampled (their series in
# the memory and CPU CSVs under container="<proxy>" for every pod), and no
# process is left, also after SIGINT. With a local Prometheus, every proxy
# is a target that is up, and the original's label_replace groups its pods
# by replica set; nginx's /metrics carries its request counter
# (nginx_http_requests_total). A proxy missing from PATH: one line
# naming the Debian package, exit 2, nothing started.
# limit: 300
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT

cat >"$T/config.json" <<'JSON'
{
  "ReplicasPerVirtualNode": 2,
  "ConnectivityCheckPerURL": 3,
  "backends_map": {"0": ["1", "2"], "1": ["3"], "2": ["3"]},
  "load_tests": [
    {"test_name": "mesh", "url": "http://service-0.tls-e2e.svc.cluster.local:9080/", "qps": "50", "t": "4s", "c": "2"}
  ],
  "meshperf": {"sample_interval": "250ms"}
}
JSON
sed 's/"t": "4s"/"t": "60s"/' "$T/config.json" >"$T/long.json"
cat >"$T/prom.json" <<'JSON'
{
  "ReplicasPerVirtualNode": 1,
  "backends_map": {"0": ["1"], "1": []},
  "load_tests": [{"test_name": "p", "url": "http://service-0:9080/", "qps": "50", "t": "3s", "c": "1"}],
  "metrics": {
    "sidecar_mem": "sum(label_replace(container_memory_working_set_bytes{container=\"PROXY\",pod=~\"node-.*\"}, \"replica_set\", \"$1\", \"pod\", \"(node-.*-.*)-.*\")) by (replica_set)",
    "proxy_up": "up{container=\"PROXY\"}"
  },
  "meshperf": {"step": "1s", "sample_interval": "500ms"}
}
JSON

# listen_ports PID: the TCP ports PID listens on, one a line.
listen_ports() {
    ss -Hltnp 2>/dev/null | awk -v p="pid=$1," 'index($0, p) { sub(/.*:/, "", $4); print $4 }'
}

# env_of PID KEY: the value of KEY in PID's environment.
env_of() {
    tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | sed -n "s/^$2=//p"
}

# proxy_requests PROXY PID: requests its inbound listener has taken so far
# (HAProxy's exporter; nginx's stub_status, which counts every listener).
proxy_requests() {
    local port out
    for port in $(listen_ports "$2"); do
        if [ "$1" = haproxy ]; then
            out=$(curl -s --max-time 2 "http://127.0.0.1:$port/metrics" |
                awk '/^haproxy_frontend_http_requests_total\{proxy="inbound"\}/ { print $2 }')
        else
            out=$(curl -s --max-time 2 "http://127.0.0.1:$port/stub_status" |
                awk 'f { print $3; exit } /^server accepts handled requests/ { f = 1 }')
        fi
        [ -n "$out" ] && { echo "${out%%.*}"; return 0; }
    done
    echo 0
}

# wiring_ok PROXY: every app of our run calls its backends through
# listeners of its own pod's PROXY, and nothing else.
wiring_ok() {
    local pid pod side ports want p n=0
    for pid in $(marked_pids); do
        [ "$(env_of "$pid" MESHPERF_CONTAINER)" = app ] || continue
        pod=$(env_of "$pid" MESHPERF_POD)
        side=""
        for p in $(marked_pids); do
            [ "$(env_of "$p" MESHPERF_POD)" = "$pod" ] && [ "$(env_of "$p" MESHPERF_CONTAINER)" = "$1" ] && side=$p
        done
        [ -n "$side" ] || { echo "# $pod: no $1 container" >&2; return 1; }
        want=" $(listen_ports "$side" | tr '\n' ' ')"
        ports=$(tr '\0' '\n' <"/proc/$pid/cmdline" | sed -n '/^-backends$/{n;p}' |
            grep -oE '127\.0\.0\.1:[0-9]+' | cut -d: -f2)
        for p in $ports; do
            [[ "$want" == *" $p "* ]] || { echo "# $pod: backend port $p is not its $1's" >&2; return 1; }
        done
        n=$((n + 1))
    done
    [ "$n" -eq 8 ] || { echo "# $n apps found, want 8" >&2; return 1; }
}

for proxy in haproxy nginx; do
    if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$proxy" >/dev/null; then
        fail "$proxy installed" "apt-get install $proxy"
        continue
    fi
    export PATH="$PATH:/usr/sbin:/sbin"

    # ---- 1. a test through the sidecars
    spawn "run_$proxy" env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 --sidecar "$proxy" \
        --results "$T/res-$proxy" "$T/config.json"
    log="$T/run_$proxy.log"
    eval "pid=\$PID_run_$proxy"
    wait_gone "$pid" 60
    wait "$pid"; rc=$?
    expect_eq "$proxy: run exits 0" "$rc" 0
    [ "$rc" -eq 0 ] || sed 's/^/# /' "$log" | tail -20
    check "$proxy: no serve or $proxy process left" no_marked_left 5
    expect_match "$proxy: progress names the sidecar" "$(cat "$log")" "sidecar $proxy\)"

    d="$T/res-$proxy/mesh/$(ls "$T/res-$proxy/mesh" 2>/dev/null | head -1)"
    served() {
        awk -F, -v node="$1" 'index($5, node "-") == 1 && $2 == "app" && $4=="root" && $1=="200" {
                if (!($5 in f)) f[$5]=$7; l[$5]=$7 }
            END { s=0; for (p in f) s += l[p]-f[p]; print s }' "$d/requests_total.csv"
    }
    count=$(jq '.DurationHistogram.Count' "$d/fortio.json" 2>/dev/null)
    expect_range "$proxy: load ran" "${count:-0}" 150 201
    expect_eq "$proxy: every request answered 200" "$(jq -r '.RetCodes["200"]' "$d/fortio.json" 2>/dev/null)" "$count"
    expect_eq "$proxy: node 0 served what the load sent" "$(served node-0)" "$count"
    expect_eq "$proxy: node 1 served as node 0" "$(served node-1)" "$count"
    expect_eq "$proxy: node 2 served as node 0" "$(served node-2)" "$count"
    expect_eq "$proxy: node 3 served twice node 0" "$(served node-3)" "$((2 * ${count:-0}))"
    for m in memory_working_set_MiB cpu_usage_seconds container_memory_working_set_bytes; do
        expect_match "$proxy: $m.csv has a $proxy series for each of the 8 pods" \
            "$(awk -F, -v c="$proxy" '$1 == c { print $3 }' "$d/$m.csv" | sort -u | tr '\n' ' ')" \
            "^(node-0$POD_TAIL ){2}(node-1$POD_TAIL ){2}(node-2$POD_TAIL ){2}(node-3$POD_TAIL ){2}\$"
    done
    expect_range "$proxy: its memory sampled (MiB)" \
        "$(awk -F, -v c="$proxy" '$1 == c && $5 > m { m = $5 } END { print m + 0 }' "$d/memory_working_set_MiB.csv")" 0.5 500

    # ---- 1b. a local Prometheus scrapes every proxy's metrics, and the
    # original's label_replace groups pods by replica set
    if command -v prometheus >/dev/null; then
        sed "s/PROXY/$proxy/g" "$T/prom.json" >"$T/prom-$proxy.json"
        MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --prometheus local --pause 0 --sidecar "$proxy" \
            --results "$T/prom-$proxy" "$T/prom-$proxy.json" >"$T/prom.out" 2>"$T/prom.err"
        rc=$?
        expect_eq "$proxy + prometheus: exit 0" "$rc" 0
        [ "$rc" -eq 0 ] || sed 's/^/# /' "$T/prom.err" | tail -5
        pd="$T/prom-$proxy/p/$(ls "$T/prom-$proxy/p" 2>/dev/null | head -1)"
        expect_match "$proxy + prometheus: up{container=\"$proxy\"} for both pods" \
            "$(awk -F, -v c="$proxy" '$2 == c && $9 == 1 { print $7 }' "$pd/proxy_up.csv" | sort -u | tr '\n' ' ')" \
            "^node-0$POD_TAIL node-1$POD_TAIL \$"
        expect_match "$proxy + prometheus: its memory by replica set" \
            "$(tail -n +2 "$pd/sidecar_mem.csv" | cut -d, -f1 | sort -u | tr '\n' ' ')" \
            '^node-0-[bcdfghjklmnpqrstvwxz2456789]{10} node-1-[bcdfghjklmnpqrstvwxz2456789]{10} $'
        check "$proxy + prometheus: no process left" no_marked_left 5
    fi

    # ---- 2. while a long test runs: the wiring and the proxies' own
    # counters; then SIGINT
    spawn "int_$proxy" env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 --sidecar "$proxy" \
        --results "$T/int-$proxy" "$T/long.json"
    eval "pid=\$PID_int_$proxy"
    if wait_file_match "$T/int_$proxy.log" '^\[1/1\] mesh: 50 qps' 40; then
        check "$proxy: apps call backends through their own sidecar only" wiring_ok "$proxy"
        leaf=$(pod_pid node-3 "$proxy")
        expect_match "$proxy: node-3's sidecar found" "$leaf" '^[0-9]+$'
        end=$((SECONDS + 20))
        while [ $SECONDS -lt $end ] && [ "$(proxy_requests "$proxy" "$leaf")" -le 10 ]; do sleep 0.1; done
        expect_range "$proxy: node-3's sidecar carries its traffic" "$(proxy_requests "$proxy" "$leaf")" 11 100000
        if [ "$proxy" = nginx ]; then
            mport=""
            for p in $(listen_ports "$leaf"); do
                curl -s --max-time 2 "http://127.0.0.1:$p/metrics" | grep -q '^nginx_connections_active ' && mport=$p
            done
            expect_match "nginx: /metrics is Prometheus text" "$(curl -s "http://127.0.0.1:$mport/metrics")" \
                '# TYPE nginx_connections_active gauge'
            # stub_status' request count as a counter (never below what its page said before)
            seen=$(proxy_requests nginx "$leaf")
            expect_match "nginx: /metrics has the request counter" "$(curl -s "http://127.0.0.1:$mport/metrics")" \
                "# TYPE nginx_http_requests_total counter"$'\n'"nginx_http_requests_total [0-9]+"$'\n'
            expect_range "nginx: nginx_http_requests_total >= stub_status' requests ($seen)" \
                "$(curl -s "http://127.0.0.1:$mport/metrics" | awk '$1 == "nginx_http_requests_total" { print $2 }')" \
                "$seen" 100000000
        fi
        kill -INT "$pid"
    fi
    wait_gone "$pid" 30
    wait "$pid"; rc=$?
    expect_eq "$proxy: SIGINT: exit 130" "$rc" 130
    check "$proxy: SIGINT: no serve or $proxy process left" no_marked_left 5
done

# ---- 3. a proxy missing from PATH: one line, exit 2, nothing started
mkdir -p "$T/nobin"
for proxy in haproxy nginx; do
    PATH="$T/nobin" MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --pause 0 --sidecar "$proxy" \
        --results "$T/miss-$proxy" "$T/config.json" >"$T/miss.out" 2>"$T/miss.err"
    rc=$?
    expect_eq "missing $proxy: exit 2" "$rc" 2
    expect_eq "missing $proxy: one line" "$(wc -l <"$T/miss.err")" 1
    expect_match "missing $proxy: names the package" "$(cat "$T/miss.err")" \
        "^meshperf run: sidecar $proxy: $proxy not found in PATH \(install the Debian package $proxy: apt-get install $proxy\)"
    check "missing $proxy: nothing started (no results)" test ! -e "$T/miss-$proxy"
    check "missing $proxy: no process left" no_marked_left 1
done
# the config's key, and an unknown name
sed 's/"sample_interval": "250ms"/"sample_interval": "250ms", "sidecar": "nginx"/' "$T/config.json" >"$T/key.json"
PATH="$T/nobin" "$MESHPERF" run --results "$T/miss-key" "$T/key.json" >/dev/null 2>"$T/key.err"
expect_eq "meshperf.sidecar nginx, missing: exit 2" "$?" 2
expect_match "meshperf.sidecar nginx, missing: the package" "$(cat "$T/key.err")" "install the Debian package nginx"
"$MESHPERF" run --sidecar envoy "$T/config.json" >/dev/null 2>"$T/unk.err"
expect_eq "unknown sidecar: exit 2" "$?" 2
expect_eq "unknown sidecar: one line" "$(cat "$T/unk.err")" \
    'meshperf run: flag -sidecar: unknown sidecar "envoy" (known: none, haproxy, nginx)'
sed 's/"sidecar": "nginx"/"sidecar": "Envoy"/' "$T/key.json" >"$T/bad.json"
"$MESHPERF" run --check "$T/bad.json" >/dev/null 2>"$T/bad.err"
expect_eq "bad meshperf.sidecar: exit 2" "$?" 2
expect_match "bad meshperf.sidecar: the JSON path" "$(cat "$T/bad.err")" 'meshperf\.sidecar: must be a sidecar name'
done_testing

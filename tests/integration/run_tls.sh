# Integration: `meshperf run` with IsTLSEnabled and IsmTLSEnabled on a
# diamond (0 -> 1, 2 -> 3), with haproxy, nginx and no sidecar. While the
# test runs: the run's certificates sit in a private dir (0700) under
# TMPDIR; node-0's and node-3's inbound listeners (sidecar, or the app
# without one) speak TLS only: a plain-HTTP request fails while the run
# goes on, curl --cacert gets 200; with mTLS a client without a
# certificate is refused and one with the run's client certificate gets
# 200; a sidecar's metrics listener stays plain. After it: exit 0, the
# fan-out counts are exact (every node's request counter), no "PRIVATE
# KEY" under the results, no process left, the private dir gone. TLS with
# --load-generator: one line, exit 2.
# limit: 150
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT
export PATH="$PATH:/usr/sbin:/sbin"

cat >"$T/tls.json" <<'JSON'
{
  "ReplicasPerVirtualNode": 1,
  "ConnectivityCheckPerURL": 2,
  "IsTLSEnabled": true,
  "backends_map": {"0": ["1", "2"], "1": ["3"], "2": ["3"]},
  "load_tests": [
    {"test_name": "mesh", "url": "http://service-0.tls-e2e.svc.cluster.local:9080/", "qps": "25", "t": "4s", "c": "2"}
  ],
  "meshperf": {"sample_interval": "250ms"}
}
JSON
sed 's/"IsTLSEnabled": true/"IsTLSEnabled": true, "IsmTLSEnabled": true/; s/tls-e2e/mtls-e2e/' \
    "$T/tls.json" >"$T/mtls.json"

# listen_ports PID: the TCP ports PID listens on, one a line.
listen_ports() {
    ss -Hltnp 2>/dev/null | awk -v p="pid=$1," 'index($0, p) { sub(/.*:/, "", $4); print $4 }'
}

# code ARGS...: curl's HTTP code for ARGS ("000" when no HTTP answer).
code() {
    curl -s --max-time 3 -o /dev/null -w '%{http_code}' "$@" 2>/dev/null
    return 0
}

# inbound_port NODE CONTAINER CURLARGS...: the one port of NODE's
# CONTAINER that answers https /health 200 with CURLARGS.
inbound_port() {
    local node=$1 ctr=$2 pid p found=""
    shift 2
    pid=$(pod_pid "$node" "$ctr")
    [ -n "$pid" ] || return 1
    for p in $(listen_ports "$pid"); do
        [ "$(code "$@" "https://127.0.0.1:$p/health")" = 200 ] && found="$found $p"
    done
    [ "$(echo $found | wc -w)" -eq 1 ] || { echo "# $node/$ctr: https ports '$found'" >&2; return 1; }
    echo $found
}

for sc in haproxy nginx none; do
    if [ "$sc" != none ] && ! command -v "$sc" >/dev/null; then
        fail "$sc installed" "apt-get install $sc"
        continue
    fi
    ctr=$sc
    [ "$sc" = none ] && ctr=app
    for sec in tls mtls; do
        name="$sc/$sec"
        rm -rf "$T"/meshperf-pki.*
        spawn "run_${sc}_$sec" env MESHPERF_IT_MARK="$RUN_MARK" "$MESHPERF" run --pause 0 \
            --sidecar "$sc" --results "$T/res-$sc-$sec" "$T/$sec.json"
        log="$T/run_${sc}_$sec.log"
        eval "pid=\$PID_run_${sc}_$sec"
        if wait_file_match "$log" '^\[1/1\] mesh: ' 40; then
            pki=$(ls -d "$T"/meshperf-pki.* 2>/dev/null)
            expect_eq "$name: one private cert dir, 0700" "$(stat -c %a $pki 2>&1)" 700
            CA=(--cacert "$pki/ca.crt")
            CL=(--cert "$pki/client.crt" --key "$pki/client.key")
            [ "$sec" = mtls ] || CL=()
            in0=$(inbound_port node-0 "$ctr" "${CA[@]}" "${CL[@]}")
            expect_match "$name: node-0's inbound serves https, verified by the CA" "$in0" '^[0-9]+$'
            in3=$(inbound_port node-3 "$ctr" "${CA[@]}" "${CL[@]}")
            expect_match "$name: node-3's inbound serves https, verified by the CA" "$in3" '^[0-9]+$'
            if [ "$sec" = tls ]; then
                for p in ${in0:-0} ${in3:-0}; do
                    c=$(code "http://127.0.0.1:$p/health")
                    if [ -n "$c" ] && [ "$c" != 200 ]; then
                        ok "$name: plain HTTP to TLS port $p fails (code $c)"
                    else
                        fail "$name: plain HTTP to TLS port $p fails" "code $c"
                    fi
                done
            else
                c=$(code "${CA[@]}" "https://127.0.0.1:${in0:-0}/health")
                if [ "$c" != 200 ]; then ok "$name: no client certificate: refused (code $c)"
                else fail "$name: no client certificate: refused" "code $c"; fi
                expect_eq "$name: the run's client certificate: 200" \
                    "$(code "${CA[@]}" "${CL[@]}" "https://127.0.0.1:${in0:-0}/health")" 200
            fi
            if [ "$sc" != none ]; then
                plain=""
                for p in $(listen_ports "$(pod_pid node-0 "$sc")"); do
                    [ "$(code "http://127.0.0.1:$p/metrics")" = 200 ] && plain=$p
                done
                expect_match "$name: the sidecar's metrics stay plain HTTP" "$plain" '^[0-9]+$'
            fi
        else
            fail "$name: the test started" "$(tail -3 "$log" | tr '\n' ' ')"
        fi
        wait_gone "$pid" 60
        wait "$pid"; rc=$?
        expect_eq "$name: run exits 0" "$rc" 0
        [ "$rc" -eq 0 ] || sed 's/^/# /' "$log" | tail -20
        check "$name: no process left" no_marked_left 5
        check "$name: the private cert dir is gone" test -z "$(ls -d "$T"/meshperf-pki.* 2>/dev/null)"
        expect_eq "$name: no private key under the results or in the output" \
            "$(grep -rl 'PRIVATE KEY' "$T/res-$sc-$sec" "$log" | wc -l)" 0

        d="$T/res-$sc-$sec/mesh/$(ls "$T/res-$sc-$sec/mesh" 2>/dev/null | head -1)"
        served() {
            awk -F, -v node="$1" 'index($5, node "-") == 1 && $2 == "app" && $4=="root" && $1=="200" {
                    if (!($5 in f)) f[$5]=$7; l[$5]=$7 }
                END { s=0; for (p in f) s += l[p]-f[p]; print s }' "$d/requests_total.csv"
        }
        count=$(jq '.DurationHistogram.Count' "$d/fortio.json" 2>/dev/null)
        expect_range "$name: load ran" "${count:-0}" 75 101
        expect_eq "$name: every request answered 200" \
            "$(jq -r '.RetCodes["200"]' "$d/fortio.json" 2>/dev/null)" "$count"
        expect_eq "$name: node 0 served what the load sent" "$(served node-0)" "$count"
        expect_eq "$name: node 1 served as node 0" "$(served node-1)" "$count"
        expect_eq "$name: node 2 served as node 0" "$(served node-2)" "$count"
        expect_eq "$name: node 3 served twice node 0" "$(served node-3)" "$((2 * ${count:-0}))"
    done
done

# ---- a remote load generator cannot take the run's certificates
MESHPERF_IT_MARK=$RUN_MARK "$MESHPERF" run --load-generator http://127.0.0.1:9/ \
    --results "$T/remote" "$T/tls.json" >"$T/remote.out" 2>"$T/remote.err"
expect_eq "TLS + --load-generator: exit 2" "$?" 2
expect_eq "TLS + --load-generator: one line" "$(cat "$T/remote.err")" \
    "meshperf run: flag -load-generator: a TLS mesh (IsTLSEnabled, IsmTLSEnabled) needs the in-process load (a remote load generator cannot read the run's certificates)"
check "TLS + --load-generator: nothing started" no_marked_left 1
"$MESHPERF" run --check --load-generator http://127.0.0.1:9/ "$T/tls.json" >/dev/null 2>"$T/remote-check.err"
expect_eq "TLS + --load-generator: --check says so too (exit 2)" "$?" 2
expect_match "TLS + --load-generator: --check names the flag" "$(cat "$T/remote-check.err")" \
    '^meshperf run: flag -load-generator: a TLS mesh'
done_testing

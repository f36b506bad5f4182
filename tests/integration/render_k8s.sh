# Integration: `meshperf render` (issue #13, "Show" 1). Every flavour
# (appmesh, istio, istio-ambient with and without a waypoint, linkerd,
# none), rendered from the original's sample config (TLS on; a copy is
# tests/data/config/good/original.json) and from a 10-node graph (mTLS on,
# 2 replicas; tests/golden/render/config-10.json), with the certificates of
# tests/golden/render/certs/: the same bytes as the golden files under
# tests/golden/render/, the same bytes twice, and every document valid for
# ../shared/tools/validate-k8s (Kubernetes schemas plus the App Mesh, Istio
# and Gateway API CRDs; like kubectl apply --validate=strict, YAML 1.1).
# -o DIR writes the same documents one per file in apply order, Secrets
# 0600, stale files of an earlier render removed and nothing else touched.
# Without --certs, appmesh's Secrets are new each time and nothing else
# changes. Bad input is one line on stderr and exit 2; a failed write
# exit 1.
# Regenerate the goldens after an intended change:
#   RENDER_GOLDEN_UPDATE=1 MESHPERF=build/meshperf bash tests/integration/render_k8s.sh
# limit: 300
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
G=$ROOT/tests/golden/render
VALIDATE=${MESHPERF_TEST_TOOLS:-$ROOT/../shared/tools}/validate-k8s
ORIG=$ROOT/tests/data/config/good/original.json
TEN=$G/config-10.json

# render NAME CONFIG CERTS FLAGS...: $T/NAME.yaml, compared with the golden.
render() {
    local name=$1 cfg=$2 certs=$3
    shift 3
    "$MESHPERF" render "$cfg" --certs "$certs" "$@" >"$T/$name.yaml" 2>"$T/$name.err"
    local rc=$?
    expect_eq "$name: exit 0" "$rc" 0
    expect_eq "$name: nothing on stderr" "$(cat "$T/$name.err")" ""
    if [ "${RENDER_GOLDEN_UPDATE:-}" = 1 ]; then
        cp "$T/$name.yaml" "$G/$name.yaml"
        ok "$name: golden written"
    elif cmp -s "$T/$name.yaml" "$G/$name.yaml"; then
        ok "$name: same as the golden"
    else
        fail "$name: same as the golden" "$(diff -u "$G/$name.yaml" "$T/$name.yaml" | head -20 | tr '\n' '|')"
    fi
    "$MESHPERF" render "$cfg" --certs "$certs" "$@" >"$T/$name.again" 2>/dev/null
    check "$name: deterministic (same bytes twice)" cmp "$T/$name.yaml" "$T/$name.again"
}

files=()
for m in appmesh istio istio-ambient linkerd none; do
    render "original-$m" "$ORIG" "$G/certs/tls-e2e" --mesh "$m"
    render "ten-$m" "$TEN" "$G/certs/mtls-e2e" --mesh "$m"
    files+=("$T/original-$m.yaml" "$T/ten-$m.yaml")
done
render original-istio-ambient-waypoint "$ORIG" "$G/certs/tls-e2e" --mesh istio-ambient --waypoint
render ten-istio-ambient-waypoint "$TEN" "$G/certs/mtls-e2e" --mesh istio-ambient --waypoint
files+=("$T/original-istio-ambient-waypoint.yaml" "$T/ten-istio-ambient-waypoint.yaml")

# What the goldens must hold, so that a wrong golden cannot be "updated" in.
g=$T/ten-appmesh.yaml
expect_eq "ten-appmesh: documents" "$(grep -c '^kind: ' "$g")" \
    "$((1 + 1 + 11 + 11 + 10 + 21 + 11))" # Namespace, Mesh, Secrets, VNs, VSs, Services, Deployments
expect_eq "ten-appmesh: every object labelled meshperf.io/run" \
    "$(grep -c '^    meshperf.io/run: meshperf$' "$g")" "$(grep -c '^kind: ' "$g")"
expect_eq "ten-appmesh: node-4's BACKENDS" \
    "$(grep -A1 'name: BACKENDS' "$g" | grep -c 'value: http://service-6.mtls-e2e.svc.cluster.local:9080,http://service-7.mtls-e2e.svc.cluster.local:9080$')" 1
expect_eq "ten-appmesh: mTLS listeners validate clients" "$(grep -c 'mode: STRICT' "$g")" 10
expect_eq "ten-appmesh: mTLS probes are TCP (the kubelet has no client certificate)" \
    "$(grep -c 'tcpSocket:' "$g")" 10
expect_eq "original-appmesh: TLS probe over HTTPS" "$(grep -c 'scheme: HTTPS' "$T/original-appmesh.yaml")" 1
expect_eq "original-appmesh: secret mount annotation" \
    "$(grep -c 'appmesh.k8s.aws/secretMounts: node-0-tls:/certs/$' "$T/original-appmesh.yaml")" 1
expect_eq "ten-istio: PeerAuthentication STRICT" "$(grep -c '^kind: PeerAuthentication' "$T/ten-istio.yaml")" 1
expect_eq "ten-istio-ambient-waypoint: Gateway" \
    "$(grep -c 'gatewayClassName: istio-waypoint' "$T/ten-istio-ambient-waypoint.yaml")" 1
expect_eq "ten-none: no mesh objects" "$(grep '^kind: ' "$T/ten-none.yaml" | sort -u | tr '\n' ' ')" \
    "kind: Deployment kind: Namespace kind: Service "

# Every document passes the offline validator (first use installs its npm
# packages into a cache; where that cannot happen, one skipped case).
ndocs=0
for f in "${files[@]}"; do ndocs=$((ndocs + $(grep -c '^kind: ' "$f"))); done
if ! command -v node >/dev/null 2>&1; then
    ok "validate-k8s # SKIP node is not installed"
else
    "$VALIDATE" "${files[@]}" >"$T/validate.out" 2>"$T/validate.err"
    vrc=$?
    last=$(tail -1 "$T/validate.out")
    if [[ "$last" != validated* ]]; then
        ok "validate-k8s # SKIP the validator could not run: $(tail -1 "$T/validate.err")"
    else
        expect_eq "validate-k8s: every document valid" "$last" "validated $ndocs documents, 0 invalid"
        expect_eq "validate-k8s: exit 0" "$vrc" 0
        grep INVALID "$T/validate.out" | head -5
    fi
fi

# -o DIR: one file per object, in apply order; stale files of ours go.
mkdir -p "$T/dir"
echo keep >"$T/dir/notes.txt"
echo "kind: Deployment" >"$T/dir/99-deployment-node-77.yaml"
"$MESHPERF" render "$TEN" --certs "$G/certs/mtls-e2e" --mesh appmesh -o "$T/dir" >"$T/dir.out"
expect_eq "-o: exit 0" "$?" 0
expect_eq "-o: one file per object" "$(ls "$T/dir"/*.yaml | wc -l)" "$(grep -c '^kind: ' "$T/ten-appmesh.yaml")"
expect_eq "-o: the paths printed" "$(wc -l <"$T/dir.out")" "$(grep -c '^kind: ' "$T/ten-appmesh.yaml")"
expect_eq "-o: names" "$(ls "$T/dir" | head -3 | tr '\n' ' ')" \
    "00-namespace-mtls-e2e.yaml 01-mesh-mtls-e2e.yaml 02-secret-node-0-tls.yaml "
first=1
for f in "$T/dir"/*.yaml; do
    [ $first = 1 ] || echo ---
    first=0
    cat "$f"
done >"$T/dir.cat"
check "-o: the files in order are the stream" cmp "$T/dir.cat" "$T/ten-appmesh.yaml"
expect_eq "-o: a Secret's file is 0600" "$(stat -c %a "$T/dir/02-secret-node-0-tls.yaml")" 600
expect_eq "-o: a stale file of an earlier render removed" \
    "$([ -e "$T/dir/99-deployment-node-77.yaml" ] && echo there || echo gone)" gone
expect_eq "-o: other files kept" "$(cat "$T/dir/notes.txt")" keep

# Without --certs: new certificates each time, and only the Secrets differ.
"$MESHPERF" render "$ORIG" --mesh appmesh >"$T/fresh1.yaml" && "$MESHPERF" render "$ORIG" --mesh appmesh >"$T/fresh2.yaml"
expect_eq "fresh certs: exit 0" "$?" 0
check "fresh certs: Secrets differ" bash -c "! cmp -s '$T/fresh1.yaml' '$T/fresh2.yaml'"
strip_secrets() { awk 'BEGIN{RS="\n---\n"; ORS="\n---\n"} !/\nkind: Secret\n/' "$1"; }
check "fresh certs: nothing else differs" cmp <(strip_secrets "$T/fresh1.yaml") <(strip_secrets "$T/fresh2.yaml")
check "fresh certs: the same as with --certs but for the Secrets" \
    cmp <(strip_secrets "$T/fresh1.yaml") <(strip_secrets "$T/original-appmesh.yaml")

# Bad input: one line, exit 2, nothing on stdout.
bad() {
    local name=$1 want=$2
    shift 2
    "$MESHPERF" render "$@" >"$T/bad.out" 2>"$T/bad.err"
    local rc=$?
    expect_eq "$name: exit 2" "$rc" 2
    expect_eq "$name: nothing on stdout" "$(wc -c <"$T/bad.out")" 0
    expect_eq "$name: one line" "$(wc -l <"$T/bad.err")" 1
    expect_match "$name: message" "$(cat "$T/bad.err")" "$want"
}
bad "unknown mesh" '^meshperf render: flag -mesh: unknown mesh "consul" \(known: appmesh, istio, istio-ambient, linkerd, none\)$' \
    "$ORIG" --mesh consul
bad "no mesh" '^meshperf render: flag -mesh: missing' "$ORIG"
bad "waypoint without ambient" 'waypoint: only with mesh istio-ambient' "$ORIG" --mesh istio --waypoint
bad "bad namespace" 'namespace "Bad_NS": not a Kubernetes namespace name' "$ORIG" --mesh none --namespace Bad_NS
bad "certs dir missing a file" "certs/tls-e2e/node-1.crt: cannot read: No such file or directory" \
    "$TEN" --mesh appmesh --certs "$G/certs/tls-e2e"
printf '{"backends_map": {"0": ["1"], "1": ["0"]}, "load_tests": [{"test_name": "x"}]}' >"$T/cycle.json"
bad "config with a cycle" 'backends_map: cycle 0 -> 1 -> 0' "$T/cycle.json" --mesh none
bad "unknown flag" 'unknown flag' "$ORIG" --mesh none --nosuch

# A failed write: exit 1, one line.
if [ -w /dev/full ]; then
    "$MESHPERF" render "$ORIG" --mesh none >/dev/full 2>"$T/full.err"
    expect_eq "write error: exit 1" "$?" 1
    expect_match "write error: one line" "$(cat "$T/full.err")" '^meshperf render: writing the manifests: No space left on device$'
fi
done_testing

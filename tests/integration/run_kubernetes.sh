# Integration: `meshperf run --platform kubernetes` against a STAND-IN
# `kubectl` (no cluster can run on this machine): a bash script this
# test writes into $T/bin, first on PATH. It records every call (argv, and
# stdin for apply) in $T/k/calls.log and answers as kubectl would:
# version, get crd (missing when $T/k/no-crds exists), get namespace (not
# found), apply -f - (keeps the manifests), rollout status (never ready for
# the Deployment named in $T/k/hang: waits for its --timeout, then kubectl's
# timeout line), wait, get pods -o json (one Running pod per applied
# Deployment), port-forward (execs a real `meshperf serve -rest` on the
# local port, as the in-cluster load generator would answer, and writes its
# pid to $T/k/pf-<svc>.pid), delete. The load tests target a real
# `meshperf serve` this test starts, named by a node called "localhost"
# (so the load generator, outside any cluster, reaches it).
# Cases: the normal sequence (exit 0, fortio.json per test, the calls in
# order: preflight, apply, rollout per Deployment, App Mesh waits, pods,
# port-forward, delete); a rollout that never becomes ready (one line
# naming the Deployment and the timeout, exit 1, delete still called, no
# port-forward); SIGINT during a test (exit 130, delete called, no child
# left; also while waiting for a rollout); missing CRDs (the fix named, exit 2, nothing applied or deleted);
# a port-forward killed between tests is restarted (exit 0); a Prometheus
# Service port-forwarded and queried (a python stand-in answering an empty
# matrix), and --keep deleting nothing.
# limit: 150
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/run_common.inc"
trap 'kill_marked; _cleanup' EXIT

K="$T/k"
mkdir -p "$T/bin" "$K"
cat >"$T/bin/kubectl" <<'SH'
#!/bin/bash
# STAND-IN for kubectl (tests/integration/run_kubernetes.sh): no cluster here.
export LC_ALL=C
K=$KSTUB_DIR
orig="$*"
[ "${1:-}" = --context ] && shift 2
data=""
[ "$*" = "apply -f -" ] && data=$(cat; echo x) && data=${data%x}
{ echo "$orig"; [ -n "$data" ] && echo "  stdin: ${#data} bytes"; } >>"$K/calls.log"
flag() { # flag NAME: the value of --NAME=V or --NAME V
    local prev="" a
    for a in "${ARGS[@]}"; do
        [ "$prev" = "$1" ] && { echo "$a"; return; }
        case $a in "$1="*) echo "${a#*=}"; return ;; esac
        prev=$a
    done
}
deployments() { # the names of the applied Deployments
    [ -f "$K/applied.yaml" ] || return 0
    awk 'function flush() { if (kind == "Deployment" && name != "") print name; kind = name = ""; meta = 0 }
         /^---$/ { flush(); next }
         /^kind: / { kind = $2; next }
         /^metadata:/ { meta = 1; next }
         meta && /^  name: / && name == "" { name = $2; gsub(/["\047]/, "", name); next }
         /^[^ ]/ { meta = 0 }
         END { flush() }' "$K/applied.yaml"
}
ARGS=("$@")
case "$1 ${2:-}" in
"version "*)
    if [ -e "$K/unreachable" ]; then
        echo "The connection to the server localhost:8080 was refused - did you specify the right host or port?" >&2
        exit 1
    fi
    echo '{"clientVersion":{"gitVersion":"v1.31.0"},"serverVersion":{"gitVersion":"v1.31.0"}}' ;;
"get crd")
    if [ -e "$K/forbidden" ]; then
        echo "Error from server (Forbidden): customresourcedefinitions.apiextensions.k8s.io \"$3\" is forbidden: User \"dev\" cannot get resource" >&2
        exit 1
    fi
    if [ -e "$K/no-gateway" ] && [ "$3" = gateways.gateway.networking.k8s.io ]; then
        echo "Error from server (NotFound): customresourcedefinitions.apiextensions.k8s.io \"$3\" not found" >&2
        exit 1
    fi
    if [ -e "$K/no-crds" ]; then
        echo "Error from server (NotFound): customresourcedefinitions.apiextensions.k8s.io \"$3\" not found" >&2
        exit 1
    fi
    echo "customresourcedefinition.apiextensions.k8s.io/$3" ;;
"get namespace") echo "Error from server (NotFound): namespaces \"$3\" not found" >&2; exit 1 ;;
"apply -f")
    printf '%s' "$data" >"$K/applied.yaml"
    for d in $(deployments); do echo "deployment.apps/$d created"; done ;;
"rollout status")
    name=${3#*/}
    if [ -e "$K/hang" ] && [ "$(cat "$K/hang")" = "$name" ]; then
        t=$(flag --timeout); sleep "${t%s}"
        echo "error: timed out waiting for the condition" >&2
        exit 1
    fi
    echo "deployment \"$name\" successfully rolled out" ;;
"wait "*) echo "condition met" ;;
"get pods")
    # with $K/restart-later, every listing after the first shows one restart
    n=$(($(cat "$K/getpods.n" 2>/dev/null || echo 0) + 1)); echo "$n" >"$K/getpods.n"
    restarts=0; [ -e "$K/restart-later" ] && [ "$n" -gt 1 ] && restarts=1
    sep=""; printf '{"apiVersion":"v1","kind":"List","items":['
    for d in $(deployments); do
        printf '%s{"metadata":{"name":"%s-7d4b9c6f5d-x2k4q","labels":{"app":"%s"}},"status":{"phase":"Running","containerStatuses":[{"name":"app","restartCount":%d}]}}' "$sep" "$d" "$d" "$restarts"
        sep=,
    done
    echo ']}' ;;
"port-forward "*)
    svc=${4#*/}; local_port=${5%%:*}
    echo $$ >"$K/pf-$svc.pid"
    case $svc in prometheus*) exec python3 "$K/fakeprom.py" "$local_port" ;; esac
    exec "$MESHPERF" serve -port "$local_port" -listen 127.0.0.1 -rest ;;
"delete "*) echo "deleted" ;;
*) echo "stand-in kubectl: unexpected call: $*" >&2; exit 1 ;;
esac
SH
chmod +x "$T/bin/kubectl"
# what a port-forwarded Prometheus answers: ready, and an empty matrix
cat >"$K/fakeprom.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def reply(self, body):
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def do_GET(self): self.reply(b"Prometheus Server is Ready.")
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.reply(b'{"status":"success","data":{"resultType":"matrix","result":[]}}')
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
s.daemon_threads = True
s.serve_forever()
PY
export PATH="$T/bin:$PATH" KSTUB_DIR="$K" MESHPERF

# the service the load tests reach (node "localhost" of the graph)
NPORT=$(free_port)
spawn node "$MESHPERF" serve -port "$NPORT" -listen 127.0.0.1
wait_http "http://127.0.0.1:$NPORT/health" 10 || { fail "node ready" "no /health"; exit 1; }

cat >"$T/config.json" <<JSON
{
  "ReplicasPerVirtualNode": 1,
  "ConnectivityCheckPerURL": 3,
  "backends_map": {"localhost": ["1"], "1": []},
  "load_tests": [
    {"test_name": "a", "url": "http://localhost:$NPORT/", "qps": "50", "t": "1s", "c": "1"},
    {"test_name": "b", "url": "http://localhost:$NPORT/", "qps": "50", "t": "1s", "c": "1"}
  ]
}
JSON

kube() { # kube NAME ARGS...: one bounded `meshperf run --platform kubernetes`
    local name=$1; shift
    rm -f "$K"/calls.log "$K"/applied.yaml "$K"/pf-*.pid
    MESHPERF_IT_MARK=$RUN_MARK timeout -s KILL 60 "$MESHPERF" run --platform kubernetes \
        --namespace mp-test --results "$T/$name" "$@" "$T/config.json" \
        >"$T/$name.out" 2>"$T/$name.err"
}
# with_file FILE NAME ARGS...: kube NAME ARGS... while the stand-in sees $K/FILE; rc gets its exit
with_file() {
    local f=$1; shift
    touch "$K/$f"
    kube "$@"
    rc=$?
    rm -f "$K/$f"
}
# the calls' verbs in order, one word each
verbs() {
    sed -n '/^  stdin/d; s/^\(--context [^ ]* \)\{0,1\}\(get [a-z]*\|[a-z-]*\).*/\2/p' "$K/calls.log" |
        tr ' ' '_' | tr '\n' ' '
}

# 1. the normal sequence (appmesh: its CRDs and waits), with --context
kube normal --mesh appmesh --context kind-test --pause 0
rc=$?
expect_eq "normal: exit 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/normal.err"
expect_match "normal: the calls in order" "$(verbs)" \
    '^version (get_crd )+get_namespace apply (rollout ){3}wait wait get_pods port-forward (get_pods ){2}delete delete $'
expect_eq "normal: every call has --context" "$(grep -vc '^--context kind-test \|^  stdin' "$K/calls.log")" 0
expect_eq "normal: rollout per Deployment" \
    "$(grep -o 'rollout status deployment/[a-z0-9-]*' "$K/calls.log" | sort | tr '\n' ' ')" \
    "rollout status deployment/fortio rollout status deployment/node-1 rollout status deployment/node-localhost "
expect_match "normal: the manifests went on stdin" "$(grep -A1 ' apply -f -$' "$K/calls.log" | tail -1)" \
    '^  stdin: [1-9][0-9]* bytes$'
expect_match "normal: delete by the run label" "$(grep ' delete ' "$K/calls.log" | head -1)" \
    'delete [a-z0-9.,]*deployment.apps[a-z0-9.,]* -n mp-test -l meshperf.io/run=meshperf-[0-9]+-[0-9]+ --ignore-not-found'
expect_match "normal: the namespace it created is deleted" "$(grep ' delete namespace' "$K/calls.log")" \
    'delete namespace mp-test'
ts=$(ls "$T/normal/a" 2>/dev/null)
for t in a b; do
    check "normal: $t/fortio.json stored" jq -e '.ActualQPS > 0' "$T/normal/$t/$ts/fortio.json"
    check "normal: $t/config.json stored" cmp "$T/config.json" "$T/normal/$t/$ts/config.json"
done
expect_match "normal: connectivity checked from the load generator" "$(cat "$T/normal.err")" \
    "connectivity check: 3 requests per load-test URL, from the load generator"
expect_match "normal: the load targets the cluster URL" \
    "$(jq -r .URL "$T/normal/a/$ts/fortio.json" 2>&1)" "^http://localhost:$NPORT/\$"
check "normal: no child left" no_marked_left 5

# 2. a rollout that never becomes ready
echo node-localhost >"$K/hang"
kube hang --rollout-timeout 2s --pause 0
rc=$?
rm -f "$K/hang"
expect_eq "rollout never ready: exit 1" "$rc" 1
expect_match "rollout never ready: one line naming the Deployment and the timeout" "$(cat "$T/hang.err")" \
    'Deployment node-localhost \(namespace mp-test\) not ready within 2s \(kubectl rollout status: error: timed out waiting for the condition\)'
expect_match "rollout never ready: everything deleted" "$(verbs)" 'apply (rollout )+delete delete $'
expect_eq "rollout never ready: no port-forward" "$(grep -c port-forward "$K/calls.log")" 0

# 3. SIGINT during a test
jq '.load_tests[0].t = "30s"' "$T/config.json" >"$T/long.json"
rm -f "$K"/calls.log "$K"/pf-*.pid
MESHPERF_IT_MARK=$RUN_MARK timeout -s KILL 60 "$MESHPERF" run --platform kubernetes \
    --namespace mp-test --results "$T/int" --pause 0 "$T/long.json" >"$T/int.out" 2>"$T/int.err" &
RPID=$!
for _ in $(seq 300); do grep -q '^\[1/2\] a:' "$T/int.err" 2>/dev/null && break; sleep 0.1; done
expect_match "SIGINT: the test was running" "$(cat "$T/int.err")" '\[1/2\] a:'
kill -INT "$RPID"
wait "$RPID"
rc=$?
expect_eq "SIGINT: exit 130" "$rc" 130
expect_match "SIGINT: everything deleted" "$(verbs)" 'port-forward (get_pods )?delete delete $'
check "SIGINT: no child left (port-forward ended)" no_marked_left 5

# 3b. SIGINT while waiting for a rollout: the waiting kubectl is stopped,
# everything deleted
echo node-1 >"$K/hang"
rm -f "$K"/calls.log
MESHPERF_IT_MARK=$RUN_MARK timeout -s KILL 60 "$MESHPERF" run --platform kubernetes \
    --namespace mp-test --results "$T/intr" --rollout-timeout 60s "$T/config.json" \
    >"$T/intr.out" 2>"$T/intr.err" &
RPID=$!
for _ in $(seq 300); do grep -q '^rollout' "$K/calls.log" 2>/dev/null && break; sleep 0.1; done
kill -INT "$RPID"
SECONDS_AT=$SECONDS
wait "$RPID"
rc=$?
rm -f "$K/hang"
expect_eq "SIGINT during rollout: exit 130" "$rc" 130
expect_range "SIGINT during rollout: ends at once (s)" $((SECONDS - SECONDS_AT)) 0 20
expect_match "SIGINT during rollout: everything deleted" "$(verbs)" 'apply (rollout )+delete delete $'
check "SIGINT during rollout: no child left" no_marked_left 5

# 4. missing CRDs
with_file no-crds nocrd --mesh appmesh
expect_eq "missing CRDs: exit 2" "$rc" 2
expect_match "missing CRDs: the fix named" "$(cat "$T/nocrd.err")" \
    'missing CRDs? [a-z]+\.appmesh\.k8s\.aws(, [a-z]+\.appmesh\.k8s\.aws)*: App Mesh controller not installed: helm .*install appmesh-controller .*docs/KUBERNETES.md'
expect_eq "missing CRDs: nothing applied or deleted" "$(grep -cE '^(apply|delete)' "$K/calls.log")" 0
with_file no-crds nolinkerd --mesh linkerd
expect_eq "linkerd not installed: exit 2" "$rc" 2
expect_match "linkerd not installed: the fix named" "$(cat "$T/nolinkerd.err")" \
    'mesh linkerd: missing CRD serviceprofiles\.linkerd\.io: Linkerd not installed: linkerd install --crds'
expect_eq "linkerd not installed: nothing applied or deleted" "$(grep -cE '^(apply|delete)' "$K/calls.log")" 0
with_file forbidden forbidden --mesh appmesh
expect_eq "CRDs not readable: exit 2" "$rc" 2
expect_match "CRDs not readable: kubectl's error, not a missing CRD" "$(cat "$T/forbidden.err")" \
    'preflight: kubectl get crd [a-z]+\.appmesh\.k8s\.aws: Error from server \(Forbidden\)'

# --waypoint: only with istio-ambient; its Gateway API CRD checked before anything is created
with_file no-gateway nogw --mesh istio-ambient --waypoint
expect_eq "waypoint without the Gateway API CRD: exit 2" "$rc" 2
expect_match "waypoint without the Gateway API CRD: named" "$(cat "$T/nogw.err")" \
    'waypoint: missing CRD gateways\.gateway\.networking\.k8s\.io: install the Gateway API CRDs'
expect_eq "waypoint without the Gateway API CRD: nothing applied" "$(grep -cE '^(apply|delete)' "$K/calls.log")" 0
kube wpistio --mesh istio --waypoint
expect_eq "waypoint with mesh istio: exit 2" "$?" 2
expect_eq "waypoint with mesh istio: one line" "$(cat "$T/wpistio.err")" \
    "meshperf run: flag -waypoint: only with --mesh istio-ambient"

# a pod that restarts after up(): named before the next test, the run ends (exit 1), all deleted
rm -f "$K/getpods.n"
with_file restart-later restarted --pause 0
rm -f "$K/getpods.n"
expect_eq "pod restarted: exit 1" "$rc" 1
expect_match "pod restarted: the pod named, and how to see why" "$(cat "$T/restarted.err")" \
    'pod [a-z0-9-]+-7d4b9c6f5d-x2k4q: a container restarted \(1 restart since the run began; `kubectl logs --previous'
expect_eq "pod restarted: no test ran" "$(find "$T/restarted" -name fortio.json 2>/dev/null | wc -l)" 0
expect_eq "pod restarted: everything deleted" "$(grep -c '^delete' "$K/calls.log")" 2

# 5. a dropped port-forward is restarted
kube restart --pause 4s &
RPID=$!
for _ in $(seq 300); do grep -q 'pause 4s' "$T/restart.err" 2>/dev/null && break; sleep 0.1; done
PF=$(cat "$K/pf-fortio.pid" 2>/dev/null)
expect_match "restart: the port-forward ran" "$PF" '^[0-9]+$'
[ -n "$PF" ] && kill -TERM "$PF"
wait "$RPID"
rc=$?
expect_eq "restart: exit 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/restart.err"
expect_eq "restart: port-forward started twice" "$(grep -c port-forward "$K/calls.log")" 2
expect_match "restart: said so" "$(cat "$T/restart.err")" 'port-forward svc/fortio \(namespace mp-test\) .*; restarted \(1 of 5\)'
ts=$(ls "$T/restart/b" 2>/dev/null)
check "restart: the second test ran" jq -e '.ActualQPS > 0' "$T/restart/b/$ts/fortio.json"
check "restart: no child left" no_marked_left 5

# 6. --prometheus-service is port-forwarded and queried; --keep deletes nothing
jq '.load_tests |= .[:1] | .metrics = {"m1": "up"}' "$T/config.json" >"$T/prom.json"
rm -f "$K"/calls.log
MESHPERF_IT_MARK=$RUN_MARK timeout -s KILL 60 "$MESHPERF" run --platform kubernetes \
    --namespace mp-test --results "$T/prom" --prometheus-service monitoring/prometheus-k8s --keep \
    "$T/prom.json" >"$T/prom.out" 2>"$T/prom.err"
rc=$?
expect_eq "prometheus-service: exit 0" "$rc" 0
[ "$rc" -eq 0 ] || sed 's/^/# /' "$T/prom.err"
expect_match "prometheus-service: port-forwarded" "$(grep port-forward "$K/calls.log" | tail -1)" \
    '^port-forward -n monitoring svc/prometheus-k8s [0-9]+:9090 --address 127.0.0.1$'
expect_match "prometheus-service: queried" "$(cat "$T/prom.err")" 'prometheus: http://127\.0\.0\.1:[0-9]+'
ts=$(ls "$T/prom/a" 2>/dev/null)
check "prometheus-service: m1.csv written" test -f "$T/prom/a/$ts/m1.csv"
expect_eq "--keep: nothing deleted" "$(grep -c '^delete' "$K/calls.log")" 0
expect_match "--keep: says how to delete" "$(cat "$T/prom.err")" 'kubectl delete [a-z.,]*deployment\.apps[a-z.,]* -n mp-test -l meshperf\.io/run='
check "prometheus-service: no child left" no_marked_left 5

# 7. flags: checked before anything runs (exit 2, one line)
: >"$K/calls.log"
bad() { # bad NAME WANT ARGS...: exit 2 and stderr matching WANT
    local name=$1 want=$2; shift 2
    timeout -s KILL 30 "$MESHPERF" run --results "$T/bad" "$@" "$T/config.json" >/dev/null 2>"$T/bad.err"
    expect_eq "$name: exit 2" "$?" 2
    expect_match "$name: said" "$(cat "$T/bad.err")" "$want"
}
bad "unknown mesh" 'flag -mesh: unknown mesh "consul" \(known: appmesh, istio, istio-ambient, linkerd, none\)' \
    --platform kubernetes --mesh consul
bad "--mesh without kubernetes" 'flag -mesh: only with --platform kubernetes' --mesh istio
bad "unknown platform" 'flag -platform: must be local or kubernetes' --platform nomad
bad "local prometheus on kubernetes" 'not with prometheus local' --platform kubernetes --prometheus local
expect_eq "flags: kubectl never called" "$(wc -l <"$K/calls.log")" 0
touch "$K/unreachable"
bad "cluster unreachable" 'cluster not reachable \(kubectl version -o json: The connection to the server localhost:8080 was refused' \
    --platform kubernetes
rm -f "$K/unreachable"
expect_eq "cluster unreachable: nothing applied" "$(grep -c '^apply' "$K/calls.log")" 0
timeout -s KILL 30 env PATH="$T/nobin" "$MESHPERF" run --platform kubernetes --results "$T/nok" \
    "$T/config.json" >/dev/null 2>"$T/nok.err"
expect_eq "no kubectl: exit 2" "$?" 2
expect_match "no kubectl: says how to install it" "$(cat "$T/nok.err")" \
    'kubectl not found in PATH: install kubectl \(https://kubernetes.io/docs/tasks/tools/'

done_testing

# Integration: the container image (issue #13). scripts/image-rootfs.sh
# assembles a rootfs from the binaries under test ($MESHPERF's folder: in
# the suite the ASan build, whose runtime ldd brings along like any other
# library), podman builds the Dockerfile FROM scratch in a network namespace
# with no network, and `meshperf serve` run from the image (host network,
# listening on loopback only) answers /health as the non-root user. The
# image's name is unique to this run and it is removed on every exit path.
# Where podman cannot run containers on this machine (each configuration
# below refused), one line says why and the run checks are skipped; the
# assembly and the build are checked regardless.
# limit: 240
. "$(dirname "$0")/../lib.sh"

if ! command -v podman >/dev/null; then
    ok "# SKIP podman not installed (apt-get install podman)"
    done_testing
    exit
fi
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(dirname "$MESHPERF")
IMG=localhost/meshperf-test:it$$
NAME=meshperf-it$$
podman_cleanup() {
    local c
    for c in "$NAME" "$NAME-probe1" "$NAME-probe2" "$NAME-probe3" "$NAME-probe4"; do
        timeout 30 podman rm -f -t 2 "$c" >/dev/null 2>&1
    done
    timeout 30 podman rmi -f "$IMG" >/dev/null 2>&1
}
trap 'podman_cleanup; _cleanup' EXIT

# The rootfs: the binaries, every library ldd names at the same path, the
# non-root user.
check "image-rootfs.sh assembles the context" "$REPO/scripts/image-rootfs.sh" "$BIN" "$T/ctx"
root=$T/ctx/rootfs
missing=""
for p in $(ldd "$BIN/meshperf" "$BIN/meshperf-serve" | sed -n 's/^[^/]*\(\/[^ ]*\) (0x[0-9a-f]*)$/\1/p' | sort -u); do
    cmp -s "$p" "$root$p" || missing="$missing $p"
done
expect_eq "every library ldd names is in the rootfs, the same bytes" "$missing" ""
check "the rootfs has both binaries" test -x "$root/usr/local/bin/meshperf" -a -x "$root/usr/local/bin/meshperf-serve"
expect_match "/etc/passwd names the non-root user" "$(cat "$root/etc/passwd")" "meshperf:x:65532:65532:"

# The build, with no network at all when a network namespace can be made.
nonet=()
unshare -n true 2>/dev/null && nonet=(unshare -n)
if "${nonet[@]}" timeout 120 podman build -q -t "$IMG" -f "$REPO/Dockerfile" "$T/ctx" >"$T/build.log" 2>&1; then
    ok "podman build FROM scratch${nonet:+ with no network}"
else
    fail "podman build FROM scratch" "$(tail -3 "$T/build.log" | tr '\n' ' ')"
    done_testing
    exit
fi
size=$(podman image inspect --format '{{.Size}}' "$IMG")
echo "# image size: $((size / 1024)) KiB (from $BIN)"
expect_range "image size in bytes, under 100 MB" "$size" 1000000 100000000
expect_eq "the image runs as the non-root user (numeric, for runAsNonRoot)" \
    "$(podman image inspect --format '{{.Config.User}}' "$IMG")" "65532:65532"
expect_eq "entrypoint meshperf, default command serve" \
    "$(podman image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$IMG")" \
    '["/usr/local/bin/meshperf"] ["serve"]'

# A configuration podman can run here: its defaults first; then limits no
# higher than this process's (podman asks for more than a container without
# CAP_SYS_RESOURCE may set); then runc (crun refuses hybrid cgroups).
lim=(--ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit nproc=4096:4096)
configs=("" "${lim[*]}")
command -v runc >/dev/null && configs+=("--runtime runc" "--runtime runc ${lim[*]}")
flags="" works=0 why="" i=0
for c in "${configs[@]}"; do
    i=$((i + 1))
    # shellcheck disable=SC2086
    out=$(timeout 30 podman run --rm --pull=never --name "$NAME-probe$i" --network host $c "$IMG" --version 2>&1)
    if [[ "$out" == meshperf* ]]; then flags=$c works=1; break; fi
    why=$(tail -1 <<<"$out")
done
if [ "$works" -eq 0 ]; then
    ok "# SKIP podman cannot run containers on this machine: $why"
    done_testing
    exit
fi
echo "# podman runs containers here with: ${flags:-its defaults}"

port=$(free_port)
# shellcheck disable=SC2086
if ! timeout 60 podman run -d --pull=never --name "$NAME" --network host $flags "$IMG" \
    serve -port "$port" -listen 127.0.0.1 >"$T/run.log" 2>&1; then
    fail "podman run meshperf serve" "$(tail -2 "$T/run.log" | tr '\n' ' ')"
    done_testing
    exit
fi
wait_http "http://127.0.0.1:$port/health" 60 || echo "# podman logs: $(podman logs "$NAME" 2>&1 | tail -3 | tr '\n' ' ')"
expect_eq "meshperf serve in the image answers /health" \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/health")" 200
expect_eq "GET / (no backends) answers 200" \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/")" 200
pid=$(podman inspect --format '{{.State.Pid}}' "$NAME")
expect_eq "the container's process runs as uid 65532" "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)" 65532
expect_match "meshperf serve exec'd meshperf-serve beside it in the image" "$(readlink "/proc/$pid/exe" 2>/dev/null)" \
    "/usr/local/bin/meshperf-serve$"
check "the container stops" timeout 60 podman stop -t 10 "$NAME"
# The working directory is the user's (run writes ./results there), and
# OpenSSL works in the image: `meshperf certs` writes a CA and a node key.
# shellcheck disable=SC2086
check "meshperf certs writes into the home directory as the user" \
    timeout 60 podman run --rm --pull=never --name "$NAME-probe1" --network none $flags "$IMG" certs -o pki -nodes 1
done_testing

#!/usr/bin/env bash
# image-rootfs.sh: assemble the build context of the meshperf container image
# from what `make` built, without network (issue #13).
#
#   scripts/image-rootfs.sh BUILD_DIR OUT_DIR
#
# OUT_DIR/rootfs gets BUILD_DIR/meshperf and BUILD_DIR/meshperf-serve in
# /usr/local/bin (stripped copies when `strip` is there), every shared
# library they load as `ldd` names it (at the same path, symlinks resolved;
# the dynamic loader at its PT_INTERP path) plus libgcc_s (glibc loads it at
# run time for thread cancellation), the CA bundle libcurl and OpenSSL read
# (S3 and https Prometheus), and a minimal /etc: passwd and group with the
# non-root user meshperf (uid/gid MESHPERF_UID, 65532), nsswitch.conf
# (files, then DNS: glibc >= 2.34 has both built in) and hosts.
# OUT_DIR/home/meshperf is the user's (empty) home, copied with --chown by
# the Dockerfile, since COPY does not keep owners. The Dockerfile (FROM
# scratch) turns OUT_DIR into the image; `make image` runs both. OUT_DIR is
# emptied first. Exit 0, or 1 with one line naming what is missing.
set -euo pipefail

die() { echo "image-rootfs: $*" >&2; exit 1; }
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR OUT_DIR" >&2; exit 2; }
build=$1 out=$2
uid=${MESHPERF_UID:-65532}
bins=("$build/meshperf" "$build/meshperf-serve")
for b in "${bins[@]}"; do [ -x "$b" ] || die "$b is not built (run make first)"; done
command -v ldd >/dev/null || die "ldd not found (Debian package libc-bin)"

rm -rf "$out"
root=$out/rootfs
mkdir -p "$root/usr/local/bin" "$root/etc" "$root/tmp" "$out/home/meshperf"
chmod 1777 "$root/tmp"

for b in "${bins[@]}"; do
    dst=$root/usr/local/bin/$(basename "$b")
    cp "$b" "$dst"
    if command -v strip >/dev/null; then strip --strip-unneeded "$dst"; fi
done

# copy_file SRC: SRC (symlinks resolved) at the same path under the rootfs.
copy_file() {
    mkdir -p "$root$(dirname "$1")"
    cp -L "$1" "$root$1"
}

# Every library `ldd` names: "name => /path (addr)", the loader "/path
# (addr)"; the vDSO has no path. A "not found" stops the build.
libs=$(ldd "${bins[@]}") || die "ldd failed on ${bins[*]}"
if grep -q 'not found' <<<"$libs"; then die "$(grep 'not found' <<<"$libs" | head -1 | tr -s '\t ' ' ')"; fi
libc=""
while read -r path; do
    copy_file "$path"
    case "$path" in */libc.so.*) libc=$path ;; esac
done < <(sed -n 's/^[^/]*\(\/[^ ]*\) (0x[0-9a-f]*)$/\1/p' <<<"$libs" | sort -u)
[ -n "$libc" ] || die "ldd named no libc for ${bins[*]}"
[ -e "$(dirname "$libc")/libgcc_s.so.1" ] && copy_file "$(dirname "$libc")/libgcc_s.so.1"

# CA certificates: Debian's bundle, where libcurl (curl-config --ca) and
# OpenSSL (its OPENSSLDIR's cert.pem and certs/) look for it.
ca=$(curl-config --ca 2>/dev/null || true)
ca=${ca:-/etc/ssl/certs/ca-certificates.crt}
if [ -f "$ca" ]; then
    copy_file "$ca"
    ssldir=/usr/lib/ssl
    if command -v openssl >/dev/null; then
        ssldir=$(openssl version -d | sed -n 's/^OPENSSLDIR: "\(.*\)"$/\1/p')
    fi
    mkdir -p "$root$ssldir"
    ln -sfn "$ca" "$root$ssldir/cert.pem"
    ln -sfn "$(dirname "$ca")" "$root$ssldir/certs"
else
    echo "image-rootfs: no CA bundle at $ca (apt-get install ca-certificates); https to S3 will not verify" >&2
fi

cat >"$root/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
meshperf:x:$uid:$uid:meshperf:/home/meshperf:/sbin/nologin
EOF
cat >"$root/etc/group" <<EOF
root:x:0:
meshperf:x:$uid:
EOF
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"

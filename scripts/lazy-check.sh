#!/bin/bash
# scripts/lazy-check.sh: which libcurl / cairo / OpenSSL / jansson functions
# does the code call that src/lazy_*.c does not define yet?
#
# meshperf does not link those libraries (see src/lazy.h): every function of
# theirs that the code calls must be in one of the lists in src/lazy_curl.c,
# src/lazy_cairo.c, src/lazy_ssl.c or src/lazy_jansson.c, or the link fails
# with "undefined reference". This script says which ones before the link does, and in which
# library and file each lives, so the list entry is quick to write
# (with src/lazy_m.c present, libm.so.6 is checked too):
#   1. builds the objects (make BUILD=DIR DIR/libmeshperf.a) and compiles
#      tests/unit/test_*.c and fuzz/fuzz_*.c to objects (they link the same
#      way), into DIR/lazy-check/;
#   2. takes every symbol those objects leave undefined (nm -u) that a real
#      library exports (nm -D of libcurl.so.4, libcairo.so.2, libssl.so.3,
#      libcrypto.so.3, libjansson.so.4) or that looks like one of theirs
#      (curl_ cairo_ SSL_ ERR_ X509 EVP_ PEM_ BIO_ OPENSSL_ TLS_ json_ ...),
#      and is not defined by
#      DIR/obj/lazy*.o;
#   3. prints one line per missing function and exits 1; exits 0 if none.
# It also lists wrappers nobody calls any more (informational).
#
# usage: scripts/lazy-check.sh [BUILD_DIR]    (default build/lazy-check)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build/lazy-check}
CC=${CC:-cc}
LIBS="libcurl.so.4 libcairo.so.2 libssl.so.3 libcrypto.so.3 libjansson.so.4"
# libm too, where it is loaded lazily instead of linked (src/lazy_m.c)
[ -e src/lazy_m.c ] && LIBS="$LIBS libm.so.6"
PATTERN='^(curl_|cairo_|SSL_|ERR_|X509|EVP_|PEM_|BIO_|OPENSSL_|TLS_|DTLS_|CRYPTO_|OSSL_|ASN1_|BN_|RAND_|d2i_|i2d_|json_)'

make -s -j2 BUILD="$B" "$B/libmeshperf.a" >/dev/null
W=$B/lazy-check
mkdir -p "$W"
CFLAGS="-std=c11 -D_GNU_SOURCE -pthread -Isrc -Itests/unit $(pkg-config --cflags libcurl jansson openssl cairo cmocka)"
for f in tests/unit/test_*.c fuzz/fuzz_*.c; do
    [ -e "$f" ] || continue
    o=$W/$(basename "$f" .c).o
    if [ ! "$o" -nt "$f" ]; then
        # shellcheck disable=SC2086
        $CC $CFLAGS -w -c -o "$o" "$f" || { echo "lazy-check: cannot compile $f" >&2; exit 2; }
    fi
done

# symbol -> library, from the real libraries' dynamic symbol tables
: >"$W/exports"
for so in $LIBS; do
    path=$($CC -print-file-name="$so")
    [ -e "$path" ] || { echo "lazy-check: $so not found (install its -dev package)" >&2; exit 2; }
    nm -D --defined-only "$path" | awk -v so="$so" '{sub(/@.*/, "", $3); print $3, so}' >>"$W/exports"
done
sort -u -k1,1 "$W/exports" -o "$W/exports"

objs=$(ls "$B"/obj/*.o "$W"/*.o | grep -v '/obj/lazy[^/]*\.o$')
nm --defined-only -g "$B"/obj/lazy*.o | awk 'NF == 3 {print $3}' | sort -u >"$W/defined"
# "symbol file" for every undefined reference
for o in $objs; do nm -u "$o" | awk -v f="$(basename "$o")" '{sub(/@.*/, "", $2); print $2, f}'; done |
    sort -u >"$W/refs"

missing=$(awk 'NR == FNR {lib[$1] = $2; next}
               FILENAME == ARGV[2] {def[$1] = 1; next}
               ($1 in lib || $1 ~ /'"$PATTERN"'/) && !($1 in def) {
                   where[$1] = where[$1] " " $2; l[$1] = ($1 in lib) ? lib[$1] : "?"
               }
               END {for (s in where) printf "  %-40s %-16s used in%s\n", s, l[s], where[s]}' \
    "$W/exports" "$W/defined" "$W/refs" | sort)
unused=$(awk '{print $1}' "$W/refs" | sort -u | comm -13 - "$W/defined" |
    grep -E "$PATTERN" | grep -vE '^lazy_' || true)

if [ -n "$unused" ]; then
    echo "lazy-check: wrappers no code calls (may be removed):"
    echo "$unused" | sed 's/^/  /'
fi
if [ -n "$missing" ]; then
    echo "lazy-check: called but not defined by src/lazy_*.c (add each to the list in"
    echo "lazy_curl.c / lazy_cairo.c / lazy_ssl.c / lazy_jansson.c / lazy_m.c for"
    echo "libcurl / cairo / OpenSSL / jansson / libm):"
    echo "$missing"
    exit 1
fi
echo "lazy-check: ok, every libcurl/cairo/OpenSSL/jansson function called is defined by src/lazy_*.c ($(grep -cE "$PATTERN" "$W/defined") wrappers)"

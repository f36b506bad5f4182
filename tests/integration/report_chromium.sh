# Integration: index.html renders in headless Chromium (no network, no
# script) to a screenshot that is not blank: many distinct colours and a
# real share of non-white pixels (decoded here with python3's zlib).
# limit: 90
. "$(dirname "$0")/../lib.sh"
DATA=$(cd "$(dirname "$0")/../data/report" && pwd)
if ! command -v chromium >/dev/null; then fail "chromium installed" "not found (Debian package chromium)"; done_testing; exit; fi

"$MESHPERF" report "$DATA/basic" -o "$T/out" >/dev/null 2>&1; rc=$?
expect_eq "report exits 0" "$rc" 0
setsid timeout -k 5 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$T/profile" --screenshot="$T/shot.png" --window-size=1200,900 \
    "file://$T/out/index.html" >"$T/chromium.log" 2>&1 </dev/null; rc=$?
expect_eq "chromium exits 0" "$rc" 0
check "screenshot written" test -s "$T/shot.png"
stats=$(python3 - "$T/shot.png" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n'
pos, idat, w = 8, b'', 0
while pos < len(data):
    n, typ = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if typ == b'IHDR':
        w, h, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
        assert depth == 8 and interlace == 0 and ctype in (2, 6)
        bpp = 3 if ctype == 2 else 4
    elif typ == b'IDAT':
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours, nonwhite, total, i = set(), 0, 0, 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp):
        px = bytes(line[x:x + 3]); colours.add(px); total += 1
        if px != b'\xff\xff\xff': nonwhite += 1
    prev = line
print(w, h, len(colours), round(100.0 * nonwhite / total, 2))
PY
)
read -r sw sh ncol pct <<<"$stats"
expect_eq "screenshot is 1200 wide" "$sw" 1200
expect_range "screenshot has many colours (text, table, chart series)" "${ncol:-0}" 50 16777216
expect_range "screenshot is not blank (% non-white pixels)" "${pct:-0}" 3 100
done_testing

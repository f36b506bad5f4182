# Integration: the S3 store retries what S3 says may be retried (5xx, 429)
# with backoff, and gives up after 4 attempts with S3's error in one line.
# The server is a small stand-in (it does not check signatures; the SigV4
# paths are s3_roundtrip's): it answers each PUT of an object with the next
# status of the script its bucket names, logs bucket creations with their
# body, and answers GET with an empty ListObjectsV2 page.
#  1. 503, 429, then 200: `results push` succeeds; the server saw 3 PUTs;
#  2. always 500: exit 1 after exactly 4 PUTs, the line names InternalError;
#  3. 403 AccessDenied is not retried: one PUT;
#  4. NoSuchBucket: the bucket is created with the region's
#     LocationConstraint (none in us-east-1), then the PUT is sent again.
# limit: 120
. "$(dirname "$0")/../lib.sh"
mkdir -p "$T/home"
export HOME="$T/home"

cat >"$T/fake_s3.py" <<'PY'
import http.server, sys, collections
SCRIPTS = {"flaky": [503, 429, 200], "down": [500] * 100, "denied": [403] * 100,
           "new-eu": [404, 200], "new-us": [404, 200]}
CODES = {500: "InternalError", 503: "SlowDown", 429: "TooManyRequests", 403: "AccessDenied",
         404: "NoSuchBucket"}
seen = collections.Counter()
log = open(sys.argv[2], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def reply(self, status, body=b"", etag=None):
        self.send_response(status)
        if etag: self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def do_PUT(self):
        n = int(self.headers.get("Content-Length", 0)); body = self.rfile.read(n)
        bucket = self.path.split("/")[1]
        log.write("PUT %s\n" % self.path)
        if self.path.count("/") == 1:
            log.write("BUCKET %s [%s]\n" % (bucket, body.decode()))
            return self.reply(200)
        script = SCRIPTS.get(bucket, [200]); i = seen[self.path]; seen[self.path] += 1
        st = script[min(i, len(script) - 1)]
        if st == 200: return self.reply(200, etag='"x"')
        self.reply(st, ("<Error><Code>%s</Code><Message>try %d</Message></Error>" % (CODES[st], i + 1)).encode())
    def do_GET(self):
        log.write("GET %s\n" % self.path)
        self.reply(200, b"<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>")
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
port=$(free_port)
spawn fake python3 "$T/fake_s3.py" "$port" "$T/req.log"
for _ in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/b")" = 200 ] && break
    sleep 0.1
done
mkdir -p "$T/r/t/1"
echo data >"$T/r/t/1/fortio.json"
s3() {
    env AWS_ACCESS_KEY_ID=k AWS_SECRET_ACCESS_KEY=not-printed AWS_REGION="${REGION:-us-east-1}" \
        AWS_ENDPOINT_URL="http://127.0.0.1:$port" timeout 60 "$MESHPERF" results "$@"
}
puts() { grep -c "^PUT /$1/" "$T/req.log" || true; }

s3 push "$T/r" s3://flaky/p >"$T/o1" 2>&1
expect_eq "503, 429, 200: push exit 0" "$?" 0
expect_eq "503, 429, 200: three PUTs" "$(puts flaky)" 3

s3 push "$T/r" s3://down/p >"$T/o2" 2>&1
expect_eq "always 500: exit 1" "$?" 1
expect_eq "always 500: four PUTs" "$(puts down)" 4
expect_match "always 500: one line with S3's code" "$(head -1 "$T/o2")" \
    "^meshperf results push: s3://down/p/t/1/fortio.json: PUT: 500 InternalError: try 4$"

s3 push "$T/r" s3://denied/p >"$T/o3" 2>&1
expect_eq "403: exit 1" "$?" 1
expect_eq "403: not retried" "$(puts denied)" 1
expect_match "403: AccessDenied named" "$(head -1 "$T/o3")" "PUT: 403 AccessDenied"
REGION=eu-west-1 s3 push "$T/r" s3://new-eu/p >"$T/o4" 2>&1
expect_eq "NoSuchBucket (eu-west-1): push exit 0" "$?" 0
expect_eq "NoSuchBucket (eu-west-1): created with its LocationConstraint" \
    "$(sed -n 's/^BUCKET new-eu //p' "$T/req.log")" \
    '[<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>]'
expect_eq "NoSuchBucket (eu-west-1): object PUT, bucket PUT, object PUT" "$(grep -c '^PUT /new-eu' "$T/req.log")" 3
s3 push "$T/r" s3://new-us/p >"$T/o5" 2>&1
expect_eq "NoSuchBucket (us-east-1): created without a body" "$(sed -n 's/^BUCKET new-us //p' "$T/req.log")" "[]"
check "no secret in any output" bash -c "! grep -q not-printed '$T/o1' '$T/o2' '$T/o3' '$T/o4' '$T/o5'"
done_testing

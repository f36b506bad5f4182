# Integration: x-request-id through a chain of real `meshperf serve` nodes:
# c0 -> c1 -> nginx -> c2. nginx's access log records the id c1 sent
# ($http_x_request_id) and the id c2 answered with ($upstream_http_x_request_id),
# so the test sees what the last node received; every node echoes the id
# back in its response (also on /echo, /health, errors), and a request
# without one gets none.
# limit: 40
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/serve_lib.bash"
U=http://127.0.0.1

if ! command -v nginx >/dev/null; then
    fail "nginx available" "nginx not installed (apt-get install nginx)"
    done_testing
    exit
fi

start_node c2 -name c2 || exit 1
NP=$(free_port)
mkdir -p "$T/ng"
cat >"$T/ng/nginx.conf" <<NG
worker_processes 1;
daemon off;
pid $T/ng/nginx.pid;
error_log $T/ng/error.log;
events { worker_connections 64; }
http {
    log_format rid '\$http_x_request_id \$upstream_http_x_request_id \$status';
    server {
        listen 127.0.0.1:$NP;
        location = /ready { access_log off; return 200 "ready"; }
        location / {
            access_log $T/ng/access.log rid;
            proxy_pass $U:$PORT_c2;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
NG
spawn nginx nginx -c "$T/ng/nginx.conf" -p "$T/ng"
wait_http "$U:$NP/ready" 10 || { fail "nginx started" "$(cat "$T/ng/error.log" "$T/nginx.log")"; done_testing; exit; }
start_node c1 -backends "$U:$NP" || exit 1
start_node c0 -backends "$U:$PORT_c1" || exit 1

# last_log: the access log's last line, once it has N lines (bounded poll)
last_log() {
    local n=$1 end=$((SECONDS + 5))
    while [ $SECONDS -lt $end ]; do
        [ "$(wc -l <"$T/ng/access.log" 2>/dev/null || echo 0)" -ge "$n" ] && break
        sleep 0.02
    done
    tail -1 "$T/ng/access.log" 2>/dev/null
}

hdrs=$(curl -s -D - -o "$T/body" -H 'x-request-id: rid-4711' "$U:$PORT_c0/")
expect_match "chain answers 200" "$hdrs" '^HTTP/1.1 200'
expect_match "c0 echoes the id back" "$hdrs" $'\r\nx-request-id: rid-4711\r\n'
expect_eq "c1 sent it to nginx, and c2 received it and echoed it back" "$(last_log 1)" \
    "rid-4711 rid-4711 200"

# an id with spaces and punctuation goes through unchanged
curl -s -o /dev/null -H 'x-request-id: a b/c=d;e' "$U:$PORT_c0/"
expect_eq "an id with spaces and punctuation arrives intact" "$(last_log 2)" \
    "a b/c=d;e a b/c=d;e 200"

# no id: none forwarded, none answered
hdrs=$(curl -s -D - -o /dev/null "$U:$PORT_c0/")
if [[ "$hdrs" == *x-request-id* ]]; then fail "no id in, no id out" "$hdrs"; else ok "no id in, no id out"; fi
expect_eq "no id: none forwarded to the last node" "$(last_log 3)" "- - 200"

# every kind of answer carries it back: echo (delayed too), health, errors
expect_match "/echo?delay echoes the id" \
    "$(curl -s -D - -o /dev/null -H 'X-Request-Id: e1' "$U:$PORT_c2/echo?delay=10ms")" $'\r\nx-request-id: e1\r\n'
expect_match "/health echoes the id" \
    "$(curl -s -D - -o /dev/null -H 'x-request-id: h1' "$U:$PORT_c0/health")" $'\r\nx-request-id: h1\r\n'
expect_match "a 400 for a bad knob echoes the id" \
    "$(curl -s -D - -o /dev/null -H 'x-request-id: b1' "$U:$PORT_c2/echo?status=x")" \
    $'^HTTP/1.1 400 .*\r\nx-request-id: b1\r\n'

# a failing chain still answers with the id: stop nginx, c1 gets refused
kill -TERM "$PID_nginx"; wait_gone "$PID_nginx" 5
hdrs=$(curl -s -D - -o /dev/null -H 'x-request-id: f1' "$U:$PORT_c0/")
expect_match "500 from a broken chain carries the id" "$hdrs" $'^HTTP/1.1 500 .*\r\nx-request-id: f1\r\n'
done_testing

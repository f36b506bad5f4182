# bench/lg_nginx.sh: start a Debian nginx with 1 worker answering
# `return 200` on a loopback port, for the load generator benchmarks
# (sourced). Sets NGINX_PORT, NGINX_DIR; stops it on exit.
NGINX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/meshperf-bench.XXXXXX")
NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$NGINX_DIR/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path $NGINX_DIR;
    proxy_temp_path $NGINX_DIR;
    fastcgi_temp_path $NGINX_DIR;
    uwsgi_temp_path $NGINX_DIR;
    scgi_temp_path $NGINX_DIR;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / { return 200; }
    }
}
CONF
nginx -c "$NGINX_DIR/nginx.conf" -p "$NGINX_DIR" &
NGINX_PID=$!
trap 'kill $NGINX_PID 2>/dev/null; wait $NGINX_PID 2>/dev/null; rm -rf "$NGINX_DIR"' EXIT
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/" 2>/dev/null && break; sleep 0.05; done
curl -fsS -o /dev/null "http://127.0.0.1:$NGINX_PORT/" || { echo "nginx did not start" >&2; exit 1; }

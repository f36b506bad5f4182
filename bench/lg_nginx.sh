# bench/lg_nginx.sh: start a Debian nginx with NGINX_WORKERS workers
# (default 1) answering `return 200` on a loopback port, for the load
# generator benchmarks (sourced). Sets NGINX_PORT, NGINX_DIR, NGINX_PID
# (master) and NGINX_WORKER_PIDS; stops it on exit. Also defines
# cpu_ticks PID... (utime + stime of those processes, in clock ticks).
NGINX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/meshperf-bench.XXXXXX")
NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$NGINX_DIR/nginx.conf" <<CONF
worker_processes ${NGINX_WORKERS:-1};
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
NGINX_WORKER_PIDS=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }

#!/usr/bin/env python3
"""tests/helpers/rest_flood.py: N concurrent REST run requests at a
`meshperf serve -rest`, and what serve looks like meanwhile.

Usage: rest_flood.py PORT PID N QUERY [SECS]
  Fires N threads, released together, each sending
  POST /fortio/rest/run?QUERY (or POST QUERY when it starts with "/": a
  baseline flood of another path) on a new connection: once, or again and
  again for SECS seconds when SECS > 0. Meanwhile (or for SECS seconds
  when N is 0: the idle baseline) probes GET /health on a new connection
  every 20 ms and reads serve's /proc/PID/fd count and VmRSS; the probes
  share the interpreter with the N threads, so under a flood their
  latency includes waiting for Python's GIL (bench/rest_hostile.sh
  measures /health from another process). Prints key=value lines:
    code_<status>=count (or code_<Exception>=count), retry_after=count of
    429s with a Retry-After header, health_n, health_p50_ms, health_p99_ms,
    health_max_ms, health_fail, fd_max, rss_max_kb.
Used by tests/integration/serve_rest_guard.sh and bench/rest_hostile.sh."""
import http.client
import os
import sys
import threading
import time

port, pid, n, query = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
secs = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
codes, lock = {}, threading.Lock()
retry_after = [0]
go = threading.Barrier(n + 1) if n else None


def count(key):
    with lock:
        codes[key] = codes.get(key, 0) + 1


def one():
    go.wait()
    stop = time.monotonic() + secs
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            c.request("POST", query if query.startswith("/") else "/fortio/rest/run?" + query)
            r = c.getresponse()
            r.read()
            count(str(r.status))
            if r.status == 429 and r.getheader("Retry-After"):
                with lock:
                    retry_after[0] += 1
            c.close()
        except Exception as e:  # a refused or reset connection is a finding too
            count(type(e).__name__)
        if time.monotonic() >= stop:
            break


def fds():
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return 0


def rss_kb():
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


threads = [threading.Thread(target=one, daemon=True) for _ in range(n)]
for t in threads:
    t.start()
if go:
    go.wait()
lat, fails, fd_max, rss_max = [], 0, 0, 0
end = time.monotonic() + secs
while (n and any(t.is_alive() for t in threads)) or (not n and time.monotonic() < end):
    t0 = time.monotonic()
    try:
        h = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        h.request("GET", "/health")
        h.getresponse().read()
        h.close()
        lat.append((time.monotonic() - t0) * 1000.0)
    except Exception:
        fails += 1
    fd_max = max(fd_max, fds())
    rss_max = max(rss_max, rss_kb())
    time.sleep(0.02)  # the probe interval, not a synchronisation
for t in threads:
    t.join()
lat.sort()


def pct(p):
    return lat[min(len(lat) - 1, int(len(lat) * p / 100.0))] if lat else -1


for k in sorted(codes):
    print("code_%s=%d" % (k, codes[k]))
print("retry_after=%d" % retry_after[0])
print("health_n=%d" % len(lat))
print("health_p50_ms=%.2f" % pct(50))
print("health_p99_ms=%.2f" % pct(99))
print("health_max_ms=%.2f" % (lat[-1] if lat else -1))
print("health_fail=%d" % fails)
print("fd_max=%d" % fd_max)
print("rss_max_kb=%d" % rss_max)

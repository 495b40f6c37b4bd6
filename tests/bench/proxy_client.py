"""Benchmark client (issue 5, items 4 and 6): THREADS threads, each doing N streamed chat
completions with http.client on one keep-alive TLS connection to HOST:PORT, reading every
response to its end line by line as SSE clients do. Prints one JSON line:
{"wall_s": seconds of the exchange loop (start-up and exit excluded), "exchanges": n,
 "events": SSE data lines read, "hwm_kib": VmHWM, "rss_kib": VmRSS}.
With --hold it then prints the line, and sleeps until killed (RSS read from outside).

usage: proxy_client.py --port P --ca CA [--host localhost] [-n N] [--threads T] [--hold]"""

import argparse
import http.client
import json
import os
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sse_server import request_body  # noqa: E402


def status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def worker(a, ctx, body, counts, errors):
    try:
        c = http.client.HTTPSConnection(a.host, a.port, context=ctx, timeout=30)
        hdr = {"Content-Type": "application/json", "Authorization": "Bearer sk-bench",
               "Accept": "text/event-stream"}
        ev = 0
        for _ in range(a.n):
            c.request("POST", "/v1/chat/completions", body, hdr)
            r = c.getresponse()
            if r.status != 200:
                raise RuntimeError("HTTP %d" % r.status)
            for line in r:
                if line.startswith(b"data: "):
                    ev += 1
        c.close()
        counts.append(ev)
    except Exception as e:  # reported in the JSON line, the harness decides
        errors.append(repr(e))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="localhost")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("-n", type=int, default=100)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--hold", action="store_true")
    a = p.parse_args()
    ctx = ssl.create_default_context(cafile=a.ca)
    body = request_body()
    counts, errors = [], []
    t0 = time.perf_counter()
    if a.threads == 1:
        worker(a, ctx, body, counts, errors)
    else:
        ts = [threading.Thread(target=worker, args=(a, ctx, body, counts, errors))
              for _ in range(a.threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    wall = time.perf_counter() - t0
    print(json.dumps({"wall_s": wall, "exchanges": a.n * a.threads, "events": sum(counts),
                      "hwm_kib": status("VmHWM"), "rss_kib": status("VmRSS"),
                      "errors": errors[:3]}), flush=True)
    if a.hold:
        time.sleep(3600)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

"""http.client client: one exchange, --keepalive N exchanges on one connection, or
--threads N concurrent connections. Prints the response bodies as received."""

import http.client
import ssl
import threading
import urllib.parse

import common


def exchange(conn, a):
    method, path, headers, body = common.build(a)
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    out = b""
    while True:
        chunk = resp.read1(8192)
        if not chunk:
            break
        out += chunk
        if a.threads == 1:
            common.emit(chunk)
    resp.read()  # read1() leaves a fully read Content-Length response open; this ends it
    return resp.status, out


def connect(a):
    u = urllib.parse.urlsplit(a.url)
    ctx = ssl.create_default_context(cafile=a.ca)
    return http.client.HTTPSConnection(u.hostname, u.port or 443, context=ctx, timeout=30)


def main():
    a = common.parse(extra=lambda ap: (ap.add_argument("--keepalive", type=int, default=1),
                                       ap.add_argument("--threads", type=int, default=1)))
    worst = 0
    if a.threads > 1:
        results = [None] * a.threads
        barrier = threading.Barrier(a.threads)

        def work(i):
            conn = connect(a)
            conn.connect()
            barrier.wait()
            results[i] = exchange(conn, a)
            conn.close()

        ts = [threading.Thread(target=work, args=(i,)) for i in range(a.threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for status, out in results:
            common.emit(out)
            worst = max(worst, status)
    else:
        conn = connect(a)
        for _ in range(a.keepalive):
            status, _ = exchange(conn, a)
            worst = max(worst, status)
        conn.close()
    common.finish(worst)


if __name__ == "__main__":
    main()

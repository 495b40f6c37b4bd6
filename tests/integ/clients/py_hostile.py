"""Python clients for the hostile-traffic tests (test_hostile.py), all over TLS to
127.0.0.1:PORT with SNI and Host api.openai.com, so llmtap sees a known provider.

    py_hostile.py raw PORT CA FILE       send FILE's bytes as they are (e.g. a malformed
                                         request line), print whatever comes back, exit 0
    py_hostile.py request PORT CA FILE CASE
                                         POST FILE as /v1/chat/completions with http.client,
                                         print the status line and the body; on an error print
                                         its class name and exit 1
    py_hostile.py abandon PORT CA FILE CASE
                                         POST a streamed request, print the first two SSE
                                         events, close the socket mid-stream and exit 0
"""

import http.client
import socket
import ssl
import sys

HOST = "api.openai.com"


def tls_socket(port, ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["http/1.1"])
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    return ctx.wrap_socket(s, server_hostname=HOST)


def connection(port, ca):
    c = http.client.HTTPSConnection(HOST, port, timeout=30)
    c.sock = tls_socket(port, ca)  # connect() is skipped when a socket is set
    return c


def post(c, body, case, port):
    c.putrequest("POST", "/v1/chat/completions", skip_host=True, skip_accept_encoding=True)
    c.putheader("Host", "%s:%d" % (HOST, port))
    c.putheader("Content-Type", "application/json")
    c.putheader("Authorization", "Bearer sk-hostile-test")
    c.putheader("x-hostile", case)
    c.putheader("Content-Length", str(len(body)))
    c.endheaders(body)


def main():
    mode, port, ca, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    with open(path, "rb") as f:
        body = f.read()
    out = sys.stdout.buffer
    if mode == "raw":
        s = tls_socket(port, ca)
        s.sendall(body)
        got = b""
        while True:
            try:
                d = s.recv(65536)
            except (ssl.SSLError, OSError):
                break
            if not d:
                break
            got += d
        out.write(got)
        s.close()
        return 0
    case = sys.argv[5]
    c = connection(port, ca)
    post(c, body, case, port)
    if mode == "request":
        try:
            r = c.getresponse()
            data = r.read()
        except Exception as e:  # the point of these cases: report, do not crash
            out.write(("ERR %s\n" % type(e).__name__).encode())
            return 1
        out.write(("%d %s\n" % (r.status, r.reason)).encode() + data)
        return 0
    if mode == "abandon":
        r = c.getresponse()
        out.write(("%d\n" % r.status).encode())
        events = 0
        while events < 2:
            line = r.readline()
            if not line:
                break
            out.write(line)
            if line in (b"\n", b"\r\n"):
                events += 1
        out.flush()
        c.close()  # abandon the stream (socket and response): the server is still writing
        return 0
    raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    sys.exit(main())

"""Scripted TLS server for the hostile-traffic tests (test_hostile.py).

Every connection reads one request (head up to the blank line, then a Content-Length body if
there is one; garbage that never ends its head is read until the client pauses) and answers
it with a script chosen by the request's `x-hostile: <case>` line (matched anywhere in the
raw request bytes, so even a malformed request can name its case; else `default`). A script
is a list of steps, run in order:

    ("send", b"...")          write the bytes (one sendall)
    ("repeat", b"...", n)     write the bytes n times (large bodies from one pre-built chunk)
    ("drip", b"...", pause)   write one byte at a time, sleeping `pause` seconds after each
    ("sleep", seconds)        pause
    ("rst",)                  abort the connection: SO_LINGER 0, close -> TCP RST
    ("close",)                close the TCP connection without a TLS close_notify (a cut)

After the last step the connection is closed (TLS close_notify, then FIN) unless the script
already did. TLS with ALPN http/1.1 only, TCP_NODELAY, so paced writes arrive as paced.
Every request is recorded in .requests as (case, raw request bytes).
"""

import re
import socket
import ssl
import struct
import threading
import time

_CASE_RX = re.compile(rb"(?im)^x-hostile:[ \t]*([A-Za-z0-9_.-]+)")
MAX_REQUEST = 64 << 20  # bytes of request the server reads at most


def read_request(sock):
    """Read one request from `sock`: head, then Content-Length bytes of body. Returns the raw
    bytes read (possibly partial when the client sends garbage and stops)."""
    data = b""
    sock.settimeout(10)
    while b"\r\n\r\n" not in data and len(data) < MAX_REQUEST:
        try:
            d = sock.recv(65536)
        except (socket.timeout, ssl.SSLError, OSError):
            return data
        if not d:
            return data
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.search(rb"(?im)^content-length:[ \t]*([0-9]+)[ \t]*\r?$", head)
    want = int(m.group(1)) if m else 0
    while len(body) < want and len(data) < MAX_REQUEST:
        try:
            d = sock.recv(min(1 << 20, want - len(body)))
        except (socket.timeout, ssl.SSLError, OSError):
            break
        if not d:
            break
        body += d
        data += d
    return data


class HostileServer:
    """Scripted TLS server on 127.0.0.1:<port>, one daemon thread per connection.
    `cases` maps a case name to its script (see the module docstring)."""

    def __init__(self, cert, key):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1"])
        self.ctx = ctx
        self.cases = {}
        self.requests = []
        self.lock = threading.Lock()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping = True
        try:
            self.lsock.close()
        except OSError:
            pass

    def _accept(self):
        while not self.stopping:
            try:
                s, _ = self.lsock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(s,), daemon=True).start()

    def _serve(self, raw):
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = None
        closed = False
        try:
            raw.settimeout(10)
            sock = self.ctx.wrap_socket(raw, server_side=True)
            req = read_request(sock)
            m = _CASE_RX.search(req)
            name = m.group(1).decode() if m else "default"
            with self.lock:
                self.requests.append((name, req))
            script = self.cases.get(name) or self.cases.get("default") or []
            for step in script:
                op = step[0]
                if op == "send":
                    sock.sendall(step[1])
                elif op == "repeat":
                    for _ in range(step[2]):
                        sock.sendall(step[1])
                elif op == "drip":
                    for i in range(len(step[1])):
                        sock.sendall(step[1][i:i + 1])
                        time.sleep(step[2])
                elif op == "sleep":
                    time.sleep(step[1])
                elif op == "rst":
                    raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    raw.close()
                    closed = True
                    break
                elif op == "close":
                    raw.shutdown(socket.SHUT_RDWR)
                    raw.close()
                    closed = True
                    break
                else:
                    raise ValueError("unknown step %r" % (op,))
            if not closed:
                try:
                    sock.settimeout(2)
                    sock = sock.unwrap()  # close_notify, then wait for the client's
                except (OSError, ssl.SSLError, ValueError):
                    pass
        except (OSError, ssl.SSLError, ValueError):
            pass  # the client went away: nothing to report
        finally:
            for s in (sock, raw):
                try:
                    if s is not None:
                        s.close()
                except OSError:
                    pass

    def reset(self):
        with self.lock:
            self.requests = []

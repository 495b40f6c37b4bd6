"""Shared pieces of the benchmark items 2, 4 and 6 (issue 5): a throwaway CA-less TLS
certificate for localhost, a fast TLS server answering OpenAI-shaped streamed chat completions
(200 SSE events, pre-built bytes, HTTP/1.1 keep-alive), a discard OTLP receiver (answers 200
to every POST, counts requests) and a hanging one (accepts, never answers), a clean child
environment, and small statistics helpers.

The SSE server runs in its own process (`python3 proxy_sse.py serve CERT KEY`, prints
"PORT <n>" when listening) so its CPU and GIL stay out of the measuring process."""

import json
import os
import socket
import socketserver
import ssl
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
EVENTS = 200  # SSE events per response, `data: [DONE]` included
MODEL = "gpt-4o-mini-2024-07-18"

# Variables a benchmark child must not inherit from the caller's shell.
_SCRUB_PREFIXES = ("OTEL_", "LLMTAP_")
_SCRUB = {"LD_PRELOAD", "TRACEPARENT", "TRACESTATE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE",
          "SSL_CERT_DIR", "CURL_CA_BUNDLE", "http_proxy", "https_proxy", "HTTP_PROXY",
          "HTTPS_PROXY", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"}


def clean_env(extra=None):
    """os.environ without OTel/llmtap/preload/proxy variables, plus extra."""
    env = {k: v for k, v in os.environ.items()
           if k not in _SCRUB and not k.startswith(_SCRUB_PREFIXES)}
    env.update(extra or {})
    return env


def llmtap_env(repo, endpoint=None, extra=None):
    """Environment of a run under llmtap: LD_PRELOAD=build/libllmtap.so, spans to endpoint
    (OTLP/HTTP protobuf, the default protocol) or not exported when endpoint is None."""
    e = {"LD_PRELOAD": os.path.join(repo, "build", "libllmtap.so")}
    if endpoint:
        e["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    else:
        e["OTEL_TRACES_EXPORTER"] = "none"
    e.update(extra or {})
    return clean_env(e)


def make_cert(tmpdir):
    """Self-signed EC certificate for localhost/127.0.0.1 in tmpdir; returns (cert, key)."""
    cert, key = os.path.join(tmpdir, "cert.pem"), os.path.join(tmpdir, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                        "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                        "-keyout", key, "-out", cert], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return cert, key


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def read_status(pid, key):
    """A kB field of /proc/PID/status (VmRSS, VmHWM) in KiB, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


# --------------------------------------------------------------------------- SSE server
def sse_response():
    """The pre-built bytes of one streamed chat completion, as a list of pieces each sent
    with its own write (one TLS record per SSE event, as a provider flushes them): the
    HTTP/1.1 head with the first event, then one HTTP chunk per SSE event (role, content
    deltas, finish, usage, [DONE]), then the last chunk."""
    base = {"id": "chatcmpl-bench0001", "object": "chat.completion.chunk",
            "created": 1700000000, "model": MODEL, "system_fingerprint": "fp_bench01"}
    events = []

    def chunk(choices, usage=None):
        d = dict(base, choices=choices)
        if usage is not None:
            d["usage"] = usage
        events.append("data: " + json.dumps(d, separators=(",", ":")) + "\n\n")

    chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
            "finish_reason": None}])
    for i in range(EVENTS - 4):
        chunk([{"index": 0, "delta": {"content": " word%d" % i}, "logprobs": None,
                "finish_reason": None}])
    chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}])
    chunk([], {"prompt_tokens": 25, "completion_tokens": EVENTS - 3,
               "total_tokens": 25 + EVENTS - 3})
    events.append("data: [DONE]\n\n")
    head = ("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
            "Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
            "x-request-id: req_bench\r\n\r\n").encode()
    pieces = [b"%x\r\n%s\r\n" % (len(e.encode()), e.encode()) for e in events]
    pieces[0] = head + pieces[0]
    pieces[-1] += b"0\r\n\r\n"
    return pieces


def request_body():
    """The JSON body of the streamed chat request the benchmark clients send."""
    return json.dumps({"model": MODEL, "stream": True, "stream_options": {"include_usage": True},
                       "max_tokens": 256, "messages": [
                           {"role": "system", "content": "You are terse."},
                           {"role": "user", "content": "Count words."}]}).encode()


class _SSEHandler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                d = conn.recv(65536)
                if not d:
                    return
                buf += d
            head, _, buf = buf.partition(b"\r\n\r\n")
            clen = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    clen = int(v)
            while len(buf) < clen:
                d = conn.recv(65536)
                if not d:
                    return
                buf += d
            buf = buf[clen:]
            for piece in self.server.response:
                conn.sendall(piece)


class _TLSServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, cert, key):
        super().__init__(("127.0.0.1", 0), _SSEHandler)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.response = sse_response()

    def get_request(self):
        sock, addr = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.ctx.wrap_socket(sock, server_side=True), addr

    def handle_error(self, request, client_address):
        pass  # a client that goes away mid-stream is not an error here


class SSEServer:
    """The SSE server in a child process; .port, .stop()."""

    def __init__(self, cert, key):
        self.proc = subprocess.Popen([PY, os.path.abspath(__file__), "serve", cert, key],
                                     stdout=subprocess.PIPE, env=clean_env(), text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError("SSE server did not start")
        self.port = int(line.split()[1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --------------------------------------------------------------------------- OTLP receivers
class _Recv(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Receiver:
    """A local OTLP/HTTP endpoint in a thread of this process. hang=False: reads each
    request and answers 200 with an empty ExportTraceServiceResponse (counts .requests,
    .bytes); hang=True: accepts and never answers (the exporter's queue fills up)."""

    def __init__(self, hang=False):
        self.requests = 0
        self.bytes = 0
        self._lock = threading.Lock()
        outer = self

        class H(socketserver.BaseRequestHandler):
            def handle(self):
                outer._serve(self.request, hang)

        self.srv = _Recv(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self._stop = threading.Event()
        threading.Thread(target=self.srv.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True).start()

    def _serve(self, conn, hang):
        buf = b""
        while not self._stop.is_set():
            while b"\r\n\r\n" not in buf:
                d = conn.recv(65536)
                if not d:
                    return
                buf += d
            if hang:
                while not self._stop.is_set() and conn.recv(65536):
                    pass
                return
            head, _, buf = buf.partition(b"\r\n\r\n")
            clen = 0
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                if k.strip().lower() == b"content-length":
                    clen = int(v)
            while len(buf) < clen:
                d = conn.recv(1 << 20)
                if not d:
                    return
                buf += d
            buf = buf[clen:]
            with self._lock:
                self.requests += 1
                self.bytes += clen
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n"
                         b"Content-Length: 0\r\n\r\n")

    def stop(self):
        self._stop.set()
        self.srv.shutdown()
        self.srv.server_close()


def wait_port(port, timeout=20.0, proc=None):
    """Wait until 127.0.0.1:port accepts; False on timeout or when proc exited."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "serve":
    srv = _TLSServer(sys.argv[2], sys.argv[3])
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()

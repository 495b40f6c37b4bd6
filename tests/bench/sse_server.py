"""The benchmarks' local endpoints (issue 5, items 2-6): one TLS server streaming OpenAI chat
completions, one OTLP/HTTP receiver, a certificate helper, clean child environments and
small helpers. Used by tests/bench/{download,stream,proxy,memory,export}.py and
proxy_client.py.

  make_cert(dir)       a self-signed EC certificate for localhost/127.0.0.1/api.openai.com
                       (also the CA file clients trust); (cert, key) paths
  SSEServer            the TLS server, in its own process (`python3 sse_server.py serve CERT
                       KEY [STREAM [EVENTS]]` prints "PORT <n>" when listening), so its CPU
                       and GIL stay out of the measuring process. Every request on a
                       keep-alive connection (read by Content-Length; path not checked) gets
                       the same pre-built chunked text/event-stream response, one sendall
                       (one TLS record) per SSE event, as a provider flushes them, the
                       records of one response corked (TCP_CORK) so they leave in one
                       burst. Uncorked, one segment per record, the client waited for the
                       next event whenever this process was not scheduled in time, and on
                       a 2-core machine that shares its CPUs with the client and llmtap's
                       exporter thread that changed from run to run: the client's context
                       switches per 300-exchange run ranged from 400 to 5200 for the same
                       variant, and each wait added CPU. Corked, the client waits once per
                       exchange with or without llmtap, and its CPU is the cost of reading
                       the records, which is what the benchmarks compare:
                         "count" (default, items 4 and 6): 200 events, content " word<i>",
                                 the head sent with the first event;
                         "story" (item 3, the stream tests/bench/stream_host.c builds in C):
                                 EVENTS events, content words " the", " quick", ..., the head
                                 in its own record.
  Receiver             an OTLP/HTTP endpoint in a thread of this process: reads and discards
                       each body, answers 200 (empty protobuf, or "{}" for JSON); or
                       hang=True: accepts and never answers
  clean_env / llmtap_env   child environments without / with the agent
  run_child            run a program, (stdout, user+sys CPU s, wall s, stderr) via os.wait4
  run_child_rusage     the same with the child's whole rusage in place of the CPU seconds
"""

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
EVENTS = 200  # SSE events per "count" response, `data: [DONE]` included
MODEL = "gpt-4o-mini-2024-07-18"

# Variables a benchmark child must not inherit from the caller's shell.
_SCRUB_PREFIXES = ("OTEL_", "LLMTAP_")
_SCRUB = {"LD_PRELOAD", "TRACEPARENT", "TRACESTATE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE",
          "SSL_CERT_DIR", "CURL_CA_BUNDLE", "http_proxy", "https_proxy", "HTTP_PROXY",
          "HTTPS_PROXY", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"}


# --------------------------------------------------------------------------- environments
def clean_env(extra=None):
    """os.environ without OTel/llmtap/preload/proxy variables, plus extra."""
    env = {k: v for k, v in os.environ.items()
           if k not in _SCRUB and not k.startswith(_SCRUB_PREFIXES)}
    env.update(extra or {})
    return env


def llmtap_env(repo, endpoint=None, extra=None, lib=None):
    """Environment of a run under llmtap: LD_PRELOAD=lib (default build/libllmtap.so), spans
    to endpoint (OTLP/HTTP protobuf, the default protocol) or not exported when endpoint is
    None; extra last."""
    e = {"LD_PRELOAD": lib or os.path.join(repo, "build", "libllmtap.so")}
    if endpoint:
        e["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    else:
        e["OTEL_TRACES_EXPORTER"] = "none"
    e.update(extra or {})
    return clean_env(e)


# --------------------------------------------------------------------------- helpers
def make_cert(tmpdir):
    """Self-signed EC P-256 certificate (openssl CLI) for localhost, 127.0.0.1 and
    api.openai.com in tmpdir, valid 2 days; it is also the CA file clients trust. Returns
    (cert, key) paths; made once per directory."""
    cert, key = os.path.join(tmpdir, "cert.pem"), os.path.join(tmpdir, "key.pem")
    if not os.path.exists(cert):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                        "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:api.openai.com",
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


def run_child(argv, env):
    """Run `argv` with `env`, reaping it with os.wait4 so its rusage (user+sys, all its
    threads) is exact. Returns (stdout, cpu_s, wall_s, stderr); raises RuntimeError when it
    exits non-zero."""
    out, ru, wall, err = run_child_rusage(argv, env)
    return out, ru.ru_utime + ru.ru_stime, wall, err


def run_child_rusage(argv, env):
    """run_child(), but the child's whole rusage (os.wait4) in place of its CPU seconds:
    (stdout, rusage, wall_s, stderr)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_chunks, err_chunks = [], []

    def pump(f, dst):
        for b in iter(lambda: f.read(65536), b""):
            dst.append(b)

    ts = [threading.Thread(target=pump, args=(p.stdout, out_chunks)),
          threading.Thread(target=pump, args=(p.stderr, err_chunks))]
    for t in ts:
        t.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    for t in ts:
        t.join()
    out = b"".join(out_chunks).decode()
    err = b"".join(err_chunks).decode(errors="replace")
    if p.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (argv[0], p.returncode, err[-800:]))
    return out, ru, wall, err


# --------------------------------------------------------------------------- the streams
def _chunked(events):
    """HTTP/1.1 chunks of `events` (bytes each), the last one followed by the last chunk."""
    pieces = [b"%x\r\n%s\r\n" % (len(e), e) for e in events]
    pieces[-1] += b"0\r\n\r\n"
    return pieces


def count_response(events=EVENTS):
    """Stream "count": the pre-built bytes of one streamed chat completion, as a list of
    pieces each sent with its own write: the HTTP/1.1 head with the first event, then one
    HTTP chunk per SSE event (role, `events`-4 content deltas " word<i>", finish, usage,
    [DONE]), the last chunk after the last."""
    base = {"id": "chatcmpl-bench0001", "object": "chat.completion.chunk",
            "created": 1700000000, "model": MODEL, "system_fingerprint": "fp_bench01"}
    out = []

    def chunk(choices, usage=None):
        d = dict(base, choices=choices)
        if usage is not None:
            d["usage"] = usage
        out.append(("data: " + json.dumps(d, separators=(",", ":")) + "\n\n").encode())

    chunk([{"index": 0, "delta": {"role": "assistant", "content": ""}, "logprobs": None,
            "finish_reason": None}])
    for i in range(events - 4):
        chunk([{"index": 0, "delta": {"content": " word%d" % i}, "logprobs": None,
                "finish_reason": None}])
    chunk([{"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}])
    chunk([], {"prompt_tokens": 25, "completion_tokens": events - 3,
               "total_tokens": 25 + events - 3})
    out.append(b"data: [DONE]\n\n")
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
            b"x-request-id: req_bench\r\n\r\n")
    pieces = _chunked(out)
    pieces[0] = head + pieces[0]
    return pieces


STORY_WORDS = [" the", " quick", " brown", " fox", " jumps", " over", " a", " lazy", " dog",
               " again"]


def story_events(n):
    """`n` (>= 4) SSE events of the OpenAI chat.completion.chunk stream tests/bench/
    stream_host.c builds (field order of the API reference), as bytes each: role, n-4
    content pieces, finish_reason "stop", the usage chunk, [DONE]."""
    head = {"id": "chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012", "object": "chat.completion.chunk",
            "created": 1732147200, "model": MODEL, "service_tier": "default",
            "system_fingerprint": "fp_0ba0d124f1"}

    def ev(choices, usage=None):
        c = dict(head, choices=choices, usage=usage)
        return b"data: " + json.dumps(c, separators=(",", ":")).encode() + b"\n\n"

    def choice(delta, finish=None):
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

    out = [ev(choice({"role": "assistant", "content": "", "refusal": None}))]
    for i in range(n - 4):
        out.append(ev(choice({"content": STORY_WORDS[i % len(STORY_WORDS)]})))
    out.append(ev(choice({}, "stop")))
    out.append(ev([], {"prompt_tokens": 24, "completion_tokens": n - 3,
                       "total_tokens": n + 21,
                       "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                       "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                     "accepted_prediction_tokens": 0,
                                                     "rejected_prediction_tokens": 0}}))
    out.append(b"data: [DONE]\n\n")
    return out


def story_response(events=EVENTS):
    """Stream "story": the HTTP/1.1 head as its own piece, then one HTTP chunk per event of
    story_events(events), the last chunk after the last."""
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
            b"x-request-id: req_0123456789abcdef\r\nopenai-processing-ms: 120\r\n\r\n")
    return [head] + _chunked(story_events(events))


STREAMS = {"count": count_response, "story": story_response}


def request_body():
    """The JSON body of the streamed chat request the items 4/6 client sends."""
    return json.dumps({"model": MODEL, "stream": True, "stream_options": {"include_usage": True},
                       "max_tokens": 256, "messages": [
                           {"role": "system", "content": "You are terse."},
                           {"role": "user", "content": "Count words."}]}).encode()


# --------------------------------------------------------------------------- SSE server
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
            # One TLS record per event, but the records of a response leave in one burst
            # (see the module docstring: why the response is corked).
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            for piece in self.server.response:
                conn.sendall(piece)
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 0)


class _TLSServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, cert, key, response):
        super().__init__(("127.0.0.1", 0), _SSEHandler)
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.response = response

    def get_request(self):
        sock, addr = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.ctx.wrap_socket(sock, server_side=True), addr

    def handle_error(self, request, client_address):
        pass  # a client that goes away mid-stream is not an error here


class SSEServer:
    """The SSE server (see the module docstring) in a child process, serving `stream`
    ("count" or "story") of `events` events; .port, .stop()."""

    def __init__(self, cert, key, stream="count", events=EVENTS):
        if stream not in STREAMS:
            raise ValueError("unknown stream %r" % stream)
        self.proc = subprocess.Popen([PY, os.path.abspath(__file__), "serve", cert, key, stream,
                                      str(events)], stdout=subprocess.PIPE, env=clean_env(),
                                     text=True)
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
        self.proc.stdout.close()


# --------------------------------------------------------------------------- OTLP receiver
class _Recv(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class Receiver:
    """A local OTLP/HTTP endpoint in a thread of this process (127.0.0.1, ephemeral port;
    .endpoint is the base URL for OTEL_EXPORTER_OTLP_ENDPOINT). hang=False: reads each
    request's body (by Content-Length, discarded as it arrives) and answers 200 with an
    empty body of the request's content type ("{}" for JSON); counts .requests, .bytes.
    hang=True: accepts and never answers (the exporter's queue fills up)."""

    def __init__(self, hang=False):
        self.requests = 0
        self.bytes = 0
        self._lock = threading.Lock()
        outer = self

        class H(socketserver.BaseRequestHandler):
            def handle(self):
                try:
                    outer._serve(self.request, hang)
                except (OSError, ValueError):
                    pass

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
                d = conn.recv(262144)
                if not d:
                    return
                buf += d
            if hang:
                while not self._stop.is_set() and conn.recv(65536):
                    pass
                return
            head, _, buf = buf.partition(b"\r\n\r\n")
            clen, ctype = 0, b"application/x-protobuf"
            for line in head.split(b"\r\n")[1:]:
                k, _, v = line.partition(b":")
                k = k.strip().lower()
                if k == b"content-length":
                    clen = int(v)
                elif k == b"content-type":
                    ctype = v.strip()
            have = min(len(buf), clen)
            buf = buf[have:]
            while have < clen:
                d = conn.recv(min(1 << 20, clen - have))
                if not d:
                    return
                have += len(d)
            with self._lock:
                self.requests += 1
                self.bytes += clen
            body = b"{}" if b"json" in ctype else b""
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype +
                         b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)

    def stop(self):
        self._stop.set()
        self.srv.shutdown()
        self.srv.server_close()


if __name__ == "__main__" and len(sys.argv) in (4, 5, 6) and sys.argv[1] == "serve":
    _stream = sys.argv[4] if len(sys.argv) > 4 else "count"
    _events = int(sys.argv[5]) if len(sys.argv) > 5 else EVENTS
    srv = _TLSServer(sys.argv[2], sys.argv[3], STREAMS[_stream](_events))
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()

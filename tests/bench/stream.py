#!/usr/bin/python3
"""Issue 5, item 3: the cost of streamed LLM exchanges under llmtap.

Two measurements, each A/B alternated (without llmtap, with, without, with, ...) and reported
as medians, so a noisy shared machine hits both sides alike:

(a) Whole process, real client. A Python ``http.client`` script makes EXCHANGES (300) POST
    /v1/chat/completions requests on one keep-alive HTTPS connection to a local TLS server
    and reads each response fully: a chunked ``text/event-stream`` of EVENTS (200) OpenAI
    ``chat.completion.chunk`` events (role, content pieces, finish_reason, usage, [DONE]),
    one TLS record per event as a provider flushes them. The server (a thread of this
    process) sends pre-built bytes, so its speed does not matter; only the client's CPU is
    measured: user+sys of the child from ``os.wait4`` rusage. With llmtap the client
    exports to an OTLP/HTTP receiver in this process that reads and discards the bodies
    (the exporter thread is llmtap's cost too, so it is in the ratio). Content capture off
    (the target: ratio <= 1.05) and on. The client also reports its main thread's CPU time
    over the exchange loop (``time.thread_time``): (with - without) / events is the host
    thread's cost per SSE event seen from Python.

(b) Host thread, C. ``build/bench/stream_host`` (tests/bench/stream_host.c) runs client and
    server of the same stream in one thread over a memory BIO pair; the server's calls go
    to libssl directly (past the agent), the client SSL_reads in 4 KiB reads. It prints the
    thread's CPU time (CLOCK_THREAD_CPUTIME_ID) over the loop; (with - without) / events is
    llmtap's work per SSE event on the thread that calls SSL_read (target <= 500 ns). The
    exporter thread runs meanwhile, exporting to the same receiver, but is not counted.

``measure(repo, quick)`` returns a dict (see its docstring); run standalone it prints that
dict as one JSON line. ``--quick`` does fewer rounds and exchanges.

The TLS server and the discard receiver are reusable: ``make_certs``, ``StreamServer``,
``DiscardReceiver``.
"""

import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PYTHON = "/usr/bin/python3"

MODEL = "gpt-4o-mini"
RESP_MODEL = "gpt-4o-mini-2024-07-18"
WORDS = [" the", " quick", " brown", " fox", " jumps", " over", " a", " lazy", " dog", " again"]


# --------------------------------------------------------------------------- certificates

def make_certs(d):
    """A throwaway CA and a server certificate for localhost/127.0.0.1 in directory `d`
    (openssl CLI). Returns {"ca", "cert", "key"} paths."""
    def sh(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=d,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    sh("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=llmtap bench CA",
       "-addext", "basicConstraints=critical,CA:TRUE",
       "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    sh("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:api.openai.com\n"
                "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                "extendedKeyUsage=serverAuth\n")
    sh("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
       "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return {"ca": os.path.join(d, "ca.pem"), "cert": os.path.join(d, "server.pem"),
            "key": os.path.join(d, "server.key")}


# --------------------------------------------------------------------------- the stream

def openai_events(n):
    """`n` (>= 4) SSE events of an OpenAI chat.completion.chunk stream, as bytes each:
    role, n-4 content pieces, finish_reason "stop", the usage chunk, [DONE]."""
    head = {"id": "chatcmpl-AbCdEfGhIjKlMnOpQrStUvWxYz012", "object": "chat.completion.chunk",
            "created": 1732147200, "model": RESP_MODEL, "service_tier": "default",
            "system_fingerprint": "fp_0ba0d124f1"}

    def ev(choices, usage=None):
        c = dict(head, choices=choices, usage=usage)
        return b"data: " + json.dumps(c, separators=(",", ":")).encode() + b"\n\n"

    def choice(delta, finish=None):
        return [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]

    out = [ev(choice({"role": "assistant", "content": "", "refusal": None}))]
    for i in range(n - 4):
        out.append(ev(choice({"content": WORDS[i % len(WORDS)]})))
    out.append(ev(choice({}, "stop")))
    out.append(ev([], {"prompt_tokens": 24, "completion_tokens": n - 3,
                       "total_tokens": n + 21,
                       "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                       "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                     "accepted_prediction_tokens": 0,
                                                     "rejected_prediction_tokens": 0}}))
    out.append(b"data: [DONE]\n\n")
    return out


class StreamServer:
    """A local TLS server (127.0.0.1, ephemeral port) answering every request on a
    keep-alive connection with the same pre-built chunked SSE response of `events` OpenAI
    chunks, one sendall (so one TLS record) per event. Requests are read by Content-Length;
    the path is not checked. Threads: one per connection (daemon)."""

    def __init__(self, cert, key, events=200):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                b"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n"
                b"x-request-id: req_0123456789abcdef\r\nopenai-processing-ms: 120\r\n\r\n")
        self.parts = [head] + [b"%x\r\n%s\r\n" % (len(e), e) for e in openai_events(events)]
        self.parts[-1] += b"0\r\n\r\n"
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self._stop = False

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        self._stop = True
        try:
            self.sock.close()
        except OSError:
            pass

    def _accept(self):
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, raw):
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s = self.ctx.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = s.recv(65536)
                    if not d:
                        return
                    buf += d
                hend = buf.index(b"\r\n\r\n") + 4
                clen = 0
                for line in buf[:hend].split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        clen = int(line.split(b":", 1)[1])
                while len(buf) < hend + clen:
                    d = s.recv(65536)
                    if not d:
                        return
                    buf += d
                buf = buf[hend + clen:]
                for p in self.parts:
                    s.sendall(p)
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            try:
                s.close()
            except OSError:
                pass


class DiscardReceiver:
    """An OTLP/HTTP receiver that is never the bottleneck: reads each request's body (by
    Content-Length) and discards it, answers 200 with an empty body of the request's
    content type. Counts requests and body bytes. 127.0.0.1, ephemeral port; `endpoint`
    is the base URL for OTEL_EXPORTER_OTLP_ENDPOINT."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.requests = 0
        self.bytes = 0
        self._lock = threading.Lock()
        self._stop = False

    def start(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def stop(self):
        self._stop = True
        try:
            self.sock.close()
        except OSError:
            pass

    def _accept(self):
        while not self._stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, s):
        buf = b""
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = s.recv(262144)
                    if not d:
                        return
                    buf += d
                hend = buf.index(b"\r\n\r\n") + 4
                clen, ctype = 0, b"application/x-protobuf"
                for line in buf[:hend].split(b"\r\n"):
                    low = line.lower()
                    if low.startswith(b"content-length:"):
                        clen = int(line.split(b":", 1)[1])
                    elif low.startswith(b"content-type:"):
                        ctype = line.split(b":", 1)[1].strip()
                have = len(buf) - hend
                while have < clen:
                    d = s.recv(min(1 << 20, clen - have))
                    if not d:
                        return
                    have += len(d)
                buf = buf[hend + clen:] if len(buf) > hend + clen else b""
                with self._lock:
                    self.requests += 1
                    self.bytes += clen
                body = b"{}" if b"json" in ctype else b""
                s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype +
                          b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        except (OSError, ValueError):
            pass
        finally:
            s.close()


# --------------------------------------------------------------------------- (a) http.client

CLIENT = r"""
import http.client, json, ssl, sys, time
port, ca, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.create_default_context(cafile=ca)
conn = http.client.HTTPSConnection("localhost", port, context=ctx)
body = json.dumps({"model": "%s", "stream": True, "stream_options": {"include_usage": True},
                   "messages": [{"role": "system", "content": "You are terse."},
                                {"role": "user", "content": "Tell me a long story."}],
                   "temperature": 0.2, "max_tokens": 1024})
hdrs = {"Content-Type": "application/json", "Accept": "text/event-stream",
        "Authorization": "Bearer sk-bench-not-a-key"}
events = 0
t0 = time.thread_time()
for _ in range(n):
    conn.request("POST", "/v1/chat/completions", body, hdrs)
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        sys.exit("status %%d" %% r.status)
    events += data.count(b"\n\n")
t1 = time.thread_time()
conn.close()
print(json.dumps({"events": events, "thread_s": t1 - t0}))
""" % MODEL


def run_child(argv, env):
    """Run `argv` with `env`, reaping it ourselves with os.wait4 so its rusage (user+sys,
    all its threads) is exact. Returns (stdout, cpu_s, wall_s, stderr)."""
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
    return out, ru.ru_utime + ru.ru_stime, wall, err


def base_env():
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OTEL_", "LLMTAP_")) and k not in ("LD_PRELOAD", "TRACEPARENT")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def agent_env(lib, receiver, content, extra=None):
    env = base_env()
    env.update({"LD_PRELOAD": lib, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                "OTEL_SERVICE_NAME": "bench"})
    if content:
        env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = "true"
    env.update(extra or {})
    return env


def _median(xs):
    return statistics.median(xs) if xs else None


def measure_python(lib, certs, receiver, server, exchanges, rounds, content):
    """(a): A/B rounds of the http.client script; medians of the CPU ratio and of the host
    thread's added ns per SSE event."""
    script = os.path.join(tempfile.gettempdir(), "llmtap_bench_stream_client_%d.py" % os.getpid())
    with open(script, "w") as f:
        f.write(CLIENT)
    argv = [PYTHON, script, str(server.port), certs["ca"], str(exchanges)]
    ratios, per_event, cpu_a, cpu_b, wall_a, wall_b = [], [], [], [], [], []
    events = None
    before = receiver.requests
    try:
        run_child(argv, base_env())  # warm the page cache
        for _ in range(rounds):
            out_a, ca, wa, _ = run_child(argv, base_env())
            out_b, cb, wb, _ = run_child(argv, agent_env(lib, receiver, content))
            ja, jb = json.loads(out_a), json.loads(out_b)
            events = ja["events"]
            if jb["events"] != events:
                raise RuntimeError("client output differs with llmtap")
            ratios.append(cb / ca)
            per_event.append((jb["thread_s"] - ja["thread_s"]) * 1e9 / events)
            cpu_a.append(ca)
            cpu_b.append(cb)
            wall_a.append(wa)
            wall_b.append(wb)
    finally:
        os.unlink(script)
    return {
        "cpu_ratio": round(_median(ratios), 4),
        "cpu_ratios": [round(r, 4) for r in ratios],
        "cpu_s_without": round(_median(cpu_a), 4),
        "cpu_s_with": round(_median(cpu_b), 4),
        "wall_s_without": round(_median(wall_a), 4),
        "wall_s_with": round(_median(wall_b), 4),
        "host_ns_per_event": round(_median(per_event), 1),
        "events": events,
        "export_requests": receiver.requests - before,
    }


# --------------------------------------------------------------------------- (b) C host thread

def measure_host(repo, lib, receiver, exchanges, events, rounds, content):
    """(b): A/B rounds of build/bench/stream_host; median ns of llmtap work per SSE event on
    the thread that calls SSL_read."""
    exe = os.path.join(repo, "build", "bench", "stream_host")
    argv = [exe, str(exchanges), str(events), "4096"]

    def one(env):
        out, cpu, _, _ = run_child(argv, env)
        kv = dict(x.split("=") for x in out.split())
        return int(kv["thread_ns"]), int(kv["exchanges"]) * int(kv["events"]), cpu

    deltas, base, withs, ratios = [], [], [], []
    one(base_env())
    for _ in range(rounds):
        a, n, ca = one(base_env())
        b, _, cb = one(agent_env(lib, receiver, content))
        deltas.append((b - a) / n)
        base.append(a / n)
        withs.append(b / n)
        ratios.append(cb / ca)
    return {
        "host_ns_per_event": round(_median(deltas), 1),
        "host_ns_per_event_rounds": [round(d, 1) for d in deltas],
        "thread_ns_per_event_without": round(_median(base), 1),
        "thread_ns_per_event_with": round(_median(withs), 1),
        "process_cpu_ratio": round(_median(ratios), 4),
    }


# --------------------------------------------------------------------------- entry point

def measure(repo=REPO, quick=False, lib=None):
    """Run item 3 and return a dict:

    {"exchanges", "events_per_exchange",
     "python": {"content_off": {...}, "content_on": {...}},   # (a)
     "host":   {"content_off": {...}, "content_on": {...}},   # (b)
     "targets": {"cpu_ratio_content_off": 1.05, "host_ns_per_event": 500},
     "pass": {"cpu_ratio_content_off": bool, "host_ns_per_event": bool}}

    (a) entries: cpu_ratio (median of per-round with/without process CPU), cpu_ratios,
    cpu_s_without/with, wall_s_without/with, host_ns_per_event (main thread, Python),
    events, export_requests. (b) entries: host_ns_per_event (median of per-round
    (with - without) thread CPU / events), its rounds, thread ns per event without/with,
    process_cpu_ratio of the C driver. `repo` is the source tree (build/ must hold
    libllmtap.so and bench/stream_host: `make bench-bin`); `quick` runs 3 rounds of 100
    exchanges instead of 7 of 300; `lib` overrides the library path."""
    lib = lib or os.path.join(repo, "build", "libllmtap.so")
    exchanges, events = (100, 200) if quick else (300, 200)
    rounds = 3 if quick else 7
    out = {"exchanges": exchanges, "events_per_exchange": events, "python": {}, "host": {}}
    with tempfile.TemporaryDirectory(prefix="llmtap-bench-stream-") as d:
        certs = make_certs(d)
        server = StreamServer(certs["cert"], certs["key"], events).start()
        receiver = DiscardReceiver().start()
        try:
            for content in (False, True):
                key = "content_on" if content else "content_off"
                out["python"][key] = measure_python(lib, certs, receiver, server, exchanges,
                                                    rounds, content)
                out["host"][key] = measure_host(repo, lib, receiver, exchanges, events,
                                                rounds + 2, content)
        finally:
            server.stop()
            receiver.stop()
    out["targets"] = {"cpu_ratio_content_off": 1.05, "host_ns_per_event": 500}
    out["pass"] = {
        "cpu_ratio_content_off": out["python"]["content_off"]["cpu_ratio"] <= 1.05,
        "host_ns_per_event": out["host"]["content_off"]["host_ns_per_event"] <= 500,
    }
    return out


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repo", default=REPO)
    ap.add_argument("--lib", default=None, help="libllmtap.so to measure")
    a = ap.parse_args()
    print(json.dumps(measure(a.repo, a.quick, a.lib)))

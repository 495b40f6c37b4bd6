"""Replay mock: serves provider-shaped responses from fixture files (tests/fixtures/<dir>/).

A route table maps method + path to a fixture (plain or streamed response); the request header
`x-mock-fixture: <dir>/<file>` (relative to tests/fixtures) names the file explicitly. Other
request headers steer the reply:
    x-mock-encoding: br|zstd|gzip|identity   force Content-Encoding (else the first of
                                             gzip/br/zstd the Accept-Encoding lists, in its
                                             order, q=0 excluded)
    x-mock-framing: chunked|length           HTTP/1.1 body framing (default: streams chunked,
                                             others Content-Length)
    x-mock-scenario: rst                     HTTP/2: RST_STREAM (INTERNAL_ERROR) after half of
                                             the pieces; HTTP/1.1: connection dropped there
    x-mock-status: 429                       HTTP status (default 200)
    x-mock-pace: 0.01                        seconds between streamed pieces
Transport: TLS with ALPN h2 + http/1.1 (HTTP/2 via python3-h2; DATA of concurrent streams is
interleaved round-robin, flow control respected) or plaintext HTTP/1.1. Streamed bodies go out
in pieces (SSE events, NDJSON lines, JSON-array elements, AWS event-stream messages), each
compressed with a flush so a decoder sees every piece as it arrives. Every request is
recorded in .requests (protocol, connection number, stream id, method, path, headers, body).

Fixture formats: *.json (application/json), *.sse (text/event-stream), *.ndjson / *.jsonl
(application/x-ndjson), *.eventstream / *.bin (raw AWS event-stream bytes), *.events.json
(list of {"event": type, "payload": obj} encoded here into application/vnd.amazon.eventstream
messages with CRC32s).
Standalone: python3 replay_server.py [--plain] [--port N] --cert C --key K
"""

import argparse
import json
import os
import re
import select
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "fixtures")
PACE = 0.004  # seconds between streamed pieces

CT_JSON = "application/json"
CT_SSE = "text/event-stream"
CT_NDJSON = "application/x-ndjson"
CT_EVENTSTREAM = "application/vnd.amazon.eventstream"


# --------------------------------------------------------------------------- route table
def _first(*cands):
    """The first candidate fixture (relative to tests/fixtures) that exists."""
    for c in cands:
        if os.path.isfile(os.path.join(FIXTURES, c)):
            return c
    return cands[-1]


def _req_stream(body):
    return bool(isinstance(body, dict) and body.get("stream") is True)


def _ollama_stream(body):
    # Ollama streams unless the request says "stream": false.
    return not (isinstance(body, dict) and body.get("stream") is False)


# (name, method, path regex, stream predicate(path, query, body) or None, plain fixture
#  candidates, stream fixture candidates); first match wins, then the first candidate that
#  exists. tests/fixtures/integ/ holds this suite's own fixtures where no other exists.
ROUTES = [
    ("azure_chat", "POST", r"^/openai/deployments/[^/]+/chat/completions$",
     lambda p, q, b: _req_stream(b),
     ("azure/chat_response.json",), ("azure/chat_stream.sse",)),
    ("azure_embeddings", "POST", r"^/openai/deployments/[^/]+/embeddings$", None,
     ("azure/embeddings_response.json",), ()),
    ("azure_completions", "POST", r"^/openai/deployments/[^/]+/completions$", None,
     ("azure/completions_response.json",), ()),
    ("openai_chat", "POST", r"/chat/completions$", lambda p, q, b: _req_stream(b),
     ("openai/chat_response.json",), ("openai/stream.sse",)),
    ("openai_responses", "POST", r"^/v1/responses$", lambda p, q, b: _req_stream(b),
     ("openai/responses_response.json",), ("openai/responses_stream.sse",)),
    ("openai_embeddings", "POST", r"/embeddings$", None,
     ("openai/embeddings_response.json",), ()),
    ("openai_completions", "POST", r"^/v1/completions$", lambda p, q, b: _req_stream(b),
     ("openai/completions_response.json",), ("openai/completions_stream.sse",)),
    ("anthropic_messages", "POST", r"/v1/messages$", lambda p, q, b: _req_stream(b),
     ("anthropic/messages_response.json",), ("anthropic/stream.sse",)),
    ("vertex", "POST", r"^/v1[^/]*/projects/[^/]+/locations/[^/]+/publishers/google/models/"
     r"[^/:]+:(generateContent|streamGenerateContent)$",
     lambda p, q, b: p.endswith(":streamGenerateContent"),
     ("gemini/generate_response.json",),
     ("gemini/stream_sse.sse", "gemini/vertex_stream.json")),
    ("gemini", "POST", r"^/v1[^/]*/models/[^/:]+:(generateContent|streamGenerateContent)$",
     lambda p, q, b: p.endswith(":streamGenerateContent"),
     ("gemini/generate_response.json",),
     ("gemini/stream_sse.sse", "gemini/stream_array.json")),
    ("bedrock_converse", "POST", r"^/model/[^/]+/converse$", None,
     ("bedrock/converse_response.json",), ()),
    ("bedrock_converse_stream", "POST", r"^/model/[^/]+/converse-stream$",
     lambda p, q, b: True, (), ("bedrock/converse_stream.bin",)),
    ("bedrock_invoke", "POST", r"^/model/[^/]+/invoke$", None,
     ("bedrock/invoke_anthropic_response.json",), ()),
    ("bedrock_invoke_stream", "POST", r"^/model/[^/]+/invoke-with-response-stream$",
     lambda p, q, b: True, (), ("bedrock/invoke_stream.bin",)),
    ("cohere_chat", "POST", r"^/v2/chat$", lambda p, q, b: _req_stream(b),
     ("cohere/chat_response.json",), ("cohere/chat_stream.sse",)),
    ("ollama_chat", "POST", r"^/api/chat$", lambda p, q, b: _ollama_stream(b),
     ("ollama/chat_response.json",), ("ollama/chat_stream.ndjson",)),
    ("ollama_generate", "POST", r"^/api/generate$", lambda p, q, b: _ollama_stream(b),
     ("ollama/generate_response.json", "integ/ollama_generate_response.json"),
     ("ollama/generate_stream.ndjson",)),
]


def route(method, target, body):
    """-> (route name, fixture path relative to tests/fixtures, streamed?) or None.
    `body` is the decoded JSON request (or None). Gemini's :streamGenerateContent with
    alt=sse gets an .sse fixture, without it the JSON-array stream (.json)."""
    u = urllib.parse.urlsplit(target)
    q = urllib.parse.parse_qs(u.query)
    for name, m, rx, pred, plain, streamed in ROUTES:
        if m != method or not re.search(rx, u.path):
            continue
        is_stream = bool(pred and pred(u.path, q, body))
        if is_stream:
            if name in ("gemini", "vertex"):
                sse = q.get("alt", [""])[0] == "sse"
                streamed = [c for c in streamed if c.endswith(".sse") == sse]
            fx = _first(*streamed) if streamed else None
        else:
            fx = _first(*plain) if plain else None
        if fx is None:
            return None
        return name, fx, is_stream
    return None


def fixture_path(rel):
    return os.path.join(FIXTURES, rel)


def load_fixture(rel):
    with open(fixture_path(rel), "rb") as f:
        return f.read()


def content_type_of(rel, streamed):
    if rel.endswith(".sse"):
        return CT_SSE
    if rel.endswith((".ndjson", ".jsonl")):
        return CT_NDJSON
    if rel.endswith((".eventstream", ".bin", ".events.json")):
        return CT_EVENTSTREAM
    return CT_JSON


# --------------------------------------------------------------------------- event-stream
def _es_headers(h):
    out = b""
    for k, v in h.items():
        kb, vb = k.encode(), v.encode()
        out += struct.pack("!B", len(kb)) + kb + b"\x07" + struct.pack("!H", len(vb)) + vb
    return out


def eventstream_message(headers, payload):
    """One AWS event-stream message: prelude (total, headers length, CRC32), string headers,
    payload, message CRC32."""
    hb = _es_headers(headers)
    total = 12 + len(hb) + len(payload) + 4
    prelude = struct.pack("!II", total, len(hb))
    prelude += struct.pack("!I", zlib.crc32(prelude) & 0xffffffff)
    msg = prelude + hb + payload
    return msg + struct.pack("!I", zlib.crc32(msg) & 0xffffffff)


def encode_events(obj):
    """[{"event": type, "payload": obj}] -> list of event-stream messages. A payload that is
    an object with a "bytes" key holding an object (InvokeModelWithResponseStream chunks) is
    base64-encoded the way Bedrock does."""
    import base64
    out = []
    for e in obj:
        payload = e["payload"]
        if e.get("event") == "chunk" and isinstance(payload.get("bytes"), (dict, list)):
            payload = dict(payload)
            payload["bytes"] = base64.b64encode(
                json.dumps(payload["bytes"], separators=(",", ":")).encode()).decode()
        hdrs = {":event-type": e["event"], ":content-type": CT_JSON, ":message-type": "event"}
        if e.get("message-type") == "exception":
            hdrs = {":exception-type": e["event"], ":content-type": CT_JSON,
                    ":message-type": "exception"}
        out.append(eventstream_message(hdrs, json.dumps(payload, separators=(",", ":")).encode()))
    return out


def split_eventstream(raw):
    out, i = [], 0
    while i + 4 <= len(raw):
        n = struct.unpack("!I", raw[i:i + 4])[0]
        if n < 16:
            break
        out.append(raw[i:i + n])
        i += n
    if i < len(raw):
        out.append(raw[i:])
    return out


def decode_eventstream(raw):
    """-> list of (headers dict, payload bytes); for tests."""
    out = []
    for m in split_eventstream(raw):
        total, hlen = struct.unpack("!II", m[:8])
        h, j = {}, 12
        while j < 12 + hlen:
            kl = m[j]
            k = m[j + 1:j + 1 + kl].decode()
            j += 1 + kl
            t = m[j]
            j += 1
            if t == 7 or t == 6:
                vl = struct.unpack("!H", m[j:j + 2])[0]
                v = m[j + 2:j + 2 + vl]
                h[k] = v.decode() if t == 7 else v
                j += 2 + vl
            else:
                break
        out.append((h, m[12 + hlen:total - 4]))
    return out


# --------------------------------------------------------------------------- bodies
def fixture_pieces(rel, streamed):
    """Body pieces for a fixture: one piece when not streamed."""
    raw = load_fixture(rel)
    if rel.endswith(".events.json"):
        msgs = encode_events(json.loads(raw))
        return msgs if streamed else [b"".join(msgs)]
    if not streamed:
        return [raw]
    if rel.endswith((".eventstream", ".bin")):
        return split_eventstream(raw)
    if rel.endswith(".sse"):
        return split_sse(raw)
    if rel.endswith(".json"):  # JSON-array stream: one piece per element
        return [p for p in re.split(rb"(?=\r?\n\s*,)", raw) if p]
    lines = raw.splitlines(keepends=True)
    return [ln for ln in lines if ln] or [raw]


_SSE_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")


def split_sse(raw):
    """SSE bytes -> one piece per event (each ending with its blank line)."""
    out, i = [], 0
    while i < len(raw):
        m = _SSE_END.search(raw, i)
        if not m:
            out.append(raw[i:])
            break
        out.append(raw[i:m.end()])
        i = m.end()
    return out


def body_of(rel, streamed=True):
    """The exact (uncompressed) body bytes served for a fixture."""
    return b"".join(fixture_pieces(rel, streamed))


class Encoder:
    """Incremental Content-Encoding: each piece compressed and flushed; finish() the tail."""

    def __init__(self, enc):
        self.enc = enc
        if enc == "gzip":
            self.c = zlib.compressobj(6, zlib.DEFLATED, 31)
        elif enc == "br":
            import brotli
            self.c = brotli.Compressor()
        elif enc == "zstd":
            import zstandard
            self.c = zstandard.ZstdCompressor().compressobj()
        else:
            self.c = None

    def piece(self, data):
        if self.enc == "gzip":
            return self.c.compress(data) + self.c.flush(zlib.Z_SYNC_FLUSH)
        if self.enc == "br":
            return self.c.process(data) + self.c.flush()
        if self.enc == "zstd":
            import zstandard
            return self.c.compress(data) + self.c.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
        return data

    def finish(self):
        if self.enc == "gzip":
            return self.c.flush(zlib.Z_FINISH)
        if self.enc == "br":
            return self.c.finish()
        if self.enc == "zstd":
            return self.c.flush()
        return b""


def choose_encoding(headers):
    forced = (headers.get("x-mock-encoding") or "").strip().lower()
    if forced:
        return None if forced == "identity" else forced
    for tok in (headers.get("accept-encoding") or "").split(","):
        parts = [p.strip() for p in tok.split(";")]
        name = parts[0].lower()
        if any(p.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for p in parts[1:]):
            continue
        if name in ("gzip", "x-gzip"):
            return "gzip"
        if name in ("br", "zstd"):
            return name
    return None


class Reply:
    """What to send for one request."""

    def __init__(self, status, headers, pieces, streamed, rst_after=None, pace=PACE):
        self.status = status
        self.headers = headers
        self.pieces = pieces
        self.streamed = streamed
        self.rst_after = rst_after
        self.pace = pace


def make_reply(method, target, headers, body):
    """Build the Reply for a request. headers: dict with lower-case keys."""
    try:
        req = json.loads(body) if body else None
    except ValueError:
        req = None
    u = urllib.parse.urlsplit(target)
    if method == "GET" and u.path == "/download":
        n = int(urllib.parse.parse_qs(u.query).get("bytes", ["1024"])[0])
        pattern = bytes((i * 7 + 3) % 251 for i in range(251))
        data = (pattern * (n // 251 + 1))[:n]
        return Reply(200, [("content-type", "application/octet-stream")], [data], False)
    if method == "GET" and u.path == "/health":
        return Reply(200, [("content-type", "text/plain")], [b"ok\n"], False)
    forced = (headers.get("x-mock-fixture") or "").strip()
    r = route(method, target, req)
    if forced:
        rel = forced
        streamed = not forced.endswith(".json") or forced.endswith(("_array.json",
                                                                    ".events.json"))
        if r and not r[2] and forced.endswith(".events.json"):
            streamed = True
    elif r:
        rel, streamed = r[1], r[2]
    else:
        msg = b'{"error":{"message":"no route","type":"invalid_request_error"}}'
        return Reply(404, [("content-type", CT_JSON)], [msg], False)
    if not os.path.isfile(fixture_path(rel)):
        msg = json.dumps({"error": {"message": "no fixture " + rel}}).encode()
        return Reply(500, [("content-type", CT_JSON)], [msg], False)
    status = int(headers.get("x-mock-status") or 200)
    ctype = content_type_of(rel, streamed)
    pieces = fixture_pieces(rel, streamed)
    hdrs = [("content-type", ctype)]
    if ctype == CT_SSE:
        hdrs.append(("cache-control", "no-cache"))
    enc = choose_encoding(headers)
    if enc:
        e = Encoder(enc)
        pieces = [e.piece(p) for p in pieces]
        tail = e.finish()
        if tail:
            pieces.append(tail)
        hdrs.append(("content-encoding", enc))
        if not streamed:
            pieces = [b"".join(pieces)]
    rst = None
    if (headers.get("x-mock-scenario") or "").strip() == "rst":
        if len(pieces) < 2:
            whole = b"".join(pieces)
            pieces = [whole[:len(whole) // 2], whole[len(whole) // 2:]]
        rst = max(1, len(pieces) // 2)
    pace = float(headers.get("x-mock-pace") or PACE)
    return Reply(status, hdrs, pieces, streamed, rst, pace)


# --------------------------------------------------------------------------- HTTP/1.1
_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}


class _H1:
    """Minimal HTTP/1.1 server loop on a (TLS or plain) socket file."""

    def __init__(self, server, sock, conn_no):
        self.server = server
        self.sock = sock
        self.conn_no = conn_no
        self.rfile = sock.makefile("rb")

    def read_body(self, headers):
        n = headers.get("content-length")
        if n:
            return self.rfile.read(int(n))
        if "chunked" in (headers.get("transfer-encoding") or "").lower():
            out = b""
            while True:
                line = self.rfile.readline()
                if not line:
                    return out
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def serve(self):
        while True:
            line = self.rfile.readline(65537)
            if not line:
                return
            if line in (b"\r\n", b"\n"):
                continue
            try:
                method, target, version = line.decode("latin-1").split()
            except ValueError:
                return
            headers = {}
            while True:
                h = self.rfile.readline(65537)
                if h in (b"\r\n", b"\n", b""):
                    break
                k, _, v = h.decode("latin-1").partition(":")
                headers[k.strip().lower()] = v.strip()
            if "100-continue" in (headers.get("expect") or "").lower():
                self.sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = self.read_body(headers)
            self.server.record("http/1.1", self.conn_no, 0, method, target, headers, body)
            rep = make_reply(method, target, headers, body)
            keep = self.respond(rep, headers, version)
            if not keep or (headers.get("connection") or "").lower() == "close" \
                    or version == "HTTP/1.0":
                return

    def respond(self, rep, headers, version):
        framing = (headers.get("x-mock-framing") or "").lower()
        chunked = rep.streamed if not framing else framing == "chunked"
        if version == "HTTP/1.0":
            chunked = False
        head = "HTTP/1.1 %d %s\r\n" % (rep.status, _REASONS.get(rep.status, "Status"))
        hdrs = list(rep.headers) + [("server", "llmtap-replay/1.0")]
        if chunked:
            hdrs.append(("transfer-encoding", "chunked"))
        elif rep.rst_after is None:
            hdrs.append(("content-length", str(sum(len(p) for p in rep.pieces))))
        else:
            hdrs.append(("content-length", str(sum(len(p) for p in rep.pieces))))
        head += "".join("%s: %s\r\n" % kv for kv in hdrs) + "\r\n"
        self.sock.sendall(head.encode("latin-1"))
        for i, p in enumerate(rep.pieces):
            if rep.rst_after is not None and i >= rep.rst_after:
                try:
                    self.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return False
            if chunked:
                if p:
                    self.sock.sendall(b"%x\r\n%s\r\n" % (len(p), p))
            else:
                self.sock.sendall(p)
            if rep.streamed and i + 1 < len(rep.pieces):
                time.sleep(rep.pace)
        if chunked:
            self.sock.sendall(b"0\r\n\r\n")
        return True


# --------------------------------------------------------------------------- HTTP/2
class _Plan:
    def __init__(self, sid, rep):
        self.sid = sid
        self.rep = rep
        self.idx = 0          # next piece
        self.off = 0          # offset inside that piece
        self.sent_pieces = 0
        self.due = 0.0


class _H2:
    """HTTP/2 server loop (python3-h2) on a TLS socket: one thread per connection; replies
    of concurrent streams advance round-robin one piece per stream per turn, so their DATA
    frames interleave."""

    def __init__(self, server, sock, conn_no):
        import h2.config
        import h2.connection
        self.server = server
        self.sock = sock
        self.conn_no = conn_no
        cfg = h2.config.H2Configuration(client_side=False, header_encoding=None)
        self.conn = h2.connection.H2Connection(config=cfg)
        self.reqs = {}    # sid -> [headers dict, body bytearray]
        self.plans = []

    def flush(self):
        out = self.conn.data_to_send()
        if out:
            self.sock.sendall(out)

    def on_events(self, events):
        import h2.events as E
        for ev in events:
            if isinstance(ev, E.RequestReceived):
                h = {}
                for k, v in ev.headers:
                    h[k.decode().lower()] = v.decode("latin-1")
                self.reqs[ev.stream_id] = [h, bytearray()]
                if ev.stream_ended:
                    self.start(ev.stream_id)
            elif isinstance(ev, E.DataReceived):
                if ev.stream_id in self.reqs:
                    self.reqs[ev.stream_id][1] += ev.data
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                if ev.stream_ended:
                    self.start(ev.stream_id)
            elif isinstance(ev, E.StreamEnded):
                if ev.stream_id in self.reqs and not any(p.sid == ev.stream_id
                                                         for p in self.plans):
                    self.start(ev.stream_id)
            elif isinstance(ev, E.StreamReset):
                self.plans = [p for p in self.plans if p.sid != ev.stream_id]
            elif isinstance(ev, E.ConnectionTerminated):
                return False
        return True

    def start(self, sid):
        h, body = self.reqs.pop(sid)
        method, target = h.get(":method", ""), h.get(":path", "")
        self.server.record("h2", self.conn_no, sid, method, target, h, bytes(body))
        rep = make_reply(method, target, h, bytes(body))
        hdrs = [(":status", str(rep.status))] + list(rep.headers) + [
            ("server", "llmtap-replay/1.0")]
        if not rep.streamed and rep.rst_after is None:
            hdrs.append(("content-length", str(sum(len(p) for p in rep.pieces))))
        empty = not any(rep.pieces)
        self.conn.send_headers(sid, hdrs, end_stream=empty)
        if not empty:
            p = _Plan(sid, rep)
            p.due = time.monotonic()
            self.plans.append(p)

    def advance(self):
        """Send the next piece of every due stream (round-robin)."""
        now = time.monotonic()
        for p in list(self.plans):
            if p.due > now:
                continue
            rep = p.rep
            if rep.rst_after is not None and p.sent_pieces >= rep.rst_after:
                self.conn.reset_stream(p.sid, error_code=2)  # INTERNAL_ERROR
                self.plans.remove(p)
                continue
            piece = rep.pieces[p.idx]
            while p.off < len(piece):
                win = min(self.conn.local_flow_control_window(p.sid),
                          self.conn.max_outbound_frame_size)
                if win <= 0:
                    break
                n = min(win, len(piece) - p.off)
                self.conn.send_data(p.sid, piece[p.off:p.off + n])
                p.off += n
            if p.off < len(piece):
                continue  # blocked by flow control: wait for WINDOW_UPDATE
            p.idx += 1
            p.off = 0
            p.sent_pieces += 1
            if p.idx >= len(rep.pieces):
                self.conn.end_stream(p.sid)
                self.plans.remove(p)
            else:
                p.due = now + (rep.pace if rep.streamed else 0)

    def serve(self):
        import h2.exceptions
        self.conn.initiate_connection()
        self.flush()
        while True:
            timeout = 1.0
            if self.plans:
                timeout = max(0.0, min(p.due for p in self.plans) - time.monotonic())
            readable = self.sock.pending() > 0
            if not readable:
                r, _, _ = select.select([self.sock], [], [], timeout)
                readable = bool(r)
            if readable:
                try:
                    data = self.sock.recv(65536)
                except ssl.SSLWantReadError:
                    data = None
                if data == b"":
                    return
                if data:
                    try:
                        if not self.on_events(self.conn.receive_data(data)):
                            self.flush()
                            return
                    except h2.exceptions.ProtocolError:
                        self.flush()
                        return
            try:
                self.advance()
            except h2.exceptions.ProtocolError:
                pass
            self.flush()


# --------------------------------------------------------------------------- server
class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        srv = self.server.owner
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(30)
        conn_no = srv.next_conn()
        proto = "http/1.1"
        try:
            if srv.ctx is not None:
                sock = srv.ctx.wrap_socket(sock, server_side=True)
                proto = sock.selected_alpn_protocol() or "http/1.1"
            if proto == "h2":
                _H2(srv, sock, conn_no).serve()
            else:
                _H1(srv, sock, conn_no).serve()
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass


class _TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass


class ReplayServer:
    """Replay mock on 127.0.0.1:<port> in daemon threads. cert/key None = plaintext HTTP/1.1;
    otherwise TLS offering ALPN h2 (unless http2=False) and http/1.1."""

    def __init__(self, cert=None, key=None, port=0, http2=True):
        self.ctx = None
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            ctx.set_alpn_protocols(["h2", "http/1.1"] if http2 else ["http/1.1"])
            self.ctx = ctx
        self.tls = cert is not None
        self.server = _TCPServer(("127.0.0.1", port), _Handler)
        self.server.owner = self
        self.port = self.server.server_address[1]
        self.lock = threading.Lock()
        self.requests = []
        self._conns = 0
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def next_conn(self):
        with self.lock:
            self._conns += 1
            return self._conns

    def record(self, proto, conn_no, sid, method, target, headers, body):
        with self.lock:
            self.requests.append({"proto": proto, "conn": conn_no, "stream": sid,
                                  "method": method, "target": target, "headers": headers,
                                  "body": body})

    def reset(self):
        with self.lock:
            self.requests = []

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--no-h2", action="store_true")
    a = ap.parse_args()
    rs = ReplayServer(a.cert, a.key, a.port, http2=not a.no_h2)
    print(rs.port, flush=True)
    try:
        rs.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())

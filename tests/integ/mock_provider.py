"""Local TLS mock of the OpenAI Chat Completions and Anthropic Messages APIs.

Responses are shaped like the providers' public API references (chat.completion /
chat.completion.chunk objects; Anthropic message object and stream events) and are fully
deterministic, so tests compare bytes and assert exact span attributes from the constants
below. Scenario per request header `x-mock-scenario`: "" (plain text), tools, thinking,
error-429, stream-error, cutoff, gzip-stream. Importable (MockProvider) or standalone:
    python3 mock_provider.py --port N --cert server.pem --key server.key
"""

import argparse
import gzip
import http.server
import json
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import zlib

# --------------------------------------------------------------------------- expected values
CREATED = 1732147200
EVENT_PACE = 0.002  # seconds between streamed events

OPENAI_ID = "chatcmpl-llmtapMock0001"
OPENAI_STREAM_ID = "chatcmpl-llmtapMock0002"
OPENAI_FINGERPRINT = "fp_llmtap0001"
OPENAI_SERVICE_TIER = "default"
OPENAI_TEXT = "Hello! The mock provider says hi."
OPENAI_TEXT_PIECES = ["Hello", "!", " The mock", " provider", " says", " hi."]
OPENAI_USAGE = {
    "prompt_tokens": 42,
    "completion_tokens": 17,
    "total_tokens": 59,
    "prompt_tokens_details": {"cached_tokens": 12, "audio_tokens": 0},
    "completion_tokens_details": {
        "reasoning_tokens": 5,
        "audio_tokens": 0,
        "accepted_prediction_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}
OPENAI_TOOL_CALL_ID = "call_llmtapMockTool01"
TOOL_NAME = "get_weather"
TOOL_ARGS = {"location": "Paris, France", "unit": "celsius"}
TOOL_ARGS_JSON = json.dumps(TOOL_ARGS)
OPENAI_ERR_429_MSG = "Rate limit reached for requests. Please try again in 20ms."
OPENAI_STREAM_ERR_TYPE = "server_error"
OPENAI_STREAM_ERR_MSG = "The server had an error while processing your request."

ANTHROPIC_ID = "msg_01LlmtapMockMessage0001"
ANTHROPIC_STREAM_ID = "msg_01LlmtapMockMessage0002"
ANTHROPIC_TEXT = "Bonjour! The mock Claude says hello."
ANTHROPIC_TEXT_PIECES = ["Bonjour", "! The mock", " Claude", " says", " hello."]
ANTHROPIC_USAGE = {
    "input_tokens": 25,
    "cache_creation_input_tokens": 7,
    "cache_read_input_tokens": 100,
    "output_tokens": 31,
    "service_tier": "standard",
}
ANTHROPIC_TOOL_ID = "toolu_01LlmtapMockTool0001"
ANTHROPIC_THINKING = "The user greets me in French. I should answer politely."
ANTHROPIC_THINKING_PIECES = ["The user greets", " me in French.", " I should answer", " politely."]
ANTHROPIC_SIGNATURE = "EqQBCkYIBhgCIkBsbG10YXAtbW9jay1zaWduYXR1cmU="
ANTHROPIC_ERR_429_MSG = "Number of request tokens has exceeded your per-minute rate limit."
ANTHROPIC_STREAM_ERR_TYPE = "overloaded_error"
ANTHROPIC_STREAM_ERR_MSG = "Overloaded"

# Scenario -> expected provider finish reason (gen_ai.response.finish_reasons).
OPENAI_FINISH = {"": "stop", "tools": "tool_calls", "gzip-stream": "stop", "thinking": "stop"}
ANTHROPIC_FINISH = {"": "end_turn", "tools": "tool_use", "gzip-stream": "end_turn",
                    "thinking": "end_turn"}


def expected_usage(provider):
    """The gen_ai.usage.* attributes a span built from the mock's usage must carry."""
    if provider == "openai":
        u = OPENAI_USAGE
        return {
            "gen_ai.usage.input_tokens": u["prompt_tokens"],
            "gen_ai.usage.output_tokens": u["completion_tokens"],
            "gen_ai.usage.cache_read.input_tokens": u["prompt_tokens_details"]["cached_tokens"],
            "gen_ai.usage.reasoning.output_tokens":
                u["completion_tokens_details"]["reasoning_tokens"],
        }
    u = ANTHROPIC_USAGE
    return {
        "gen_ai.usage.input_tokens": u["input_tokens"] + u["cache_read_input_tokens"]
        + u["cache_creation_input_tokens"],
        "gen_ai.usage.output_tokens": u["output_tokens"],
        "gen_ai.usage.cache_read.input_tokens": u["cache_read_input_tokens"],
        "gen_ai.usage.cache_creation.input_tokens": u["cache_creation_input_tokens"],
    }


def download_bytes(n):
    """Deterministic non-LLM payload of n bytes served by GET /download?bytes=n."""
    pattern = bytes((i * 7 + 3) % 251 for i in range(251))
    reps = n // len(pattern) + 1
    return (pattern * reps)[:n]


def _dumps(obj):
    return json.dumps(obj, separators=(",", ":"))


# --------------------------------------------------------------------------- OpenAI bodies
def openai_message(model, scenario):
    if scenario == "tools":
        message = {
            "role": "assistant",
            "content": None,
            "tool_calls": [{
                "id": OPENAI_TOOL_CALL_ID,
                "type": "function",
                "function": {"name": TOOL_NAME, "arguments": TOOL_ARGS_JSON},
            }],
            "refusal": None,
            "annotations": [],
        }
        finish = "tool_calls"
    else:
        message = {"role": "assistant", "content": OPENAI_TEXT, "refusal": None,
                   "annotations": []}
        finish = "stop"
    return {
        "id": OPENAI_ID,
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": finish}],
        "usage": OPENAI_USAGE,
        "service_tier": OPENAI_SERVICE_TIER,
        "system_fingerprint": OPENAI_FINGERPRINT,
    }


def openai_chunks(model, scenario, include_usage):
    """List of SSE event byte strings for a chat.completion.chunk stream."""
    def chunk(delta, finish=None, choices=True, usage=False):
        c = {
            "id": OPENAI_STREAM_ID,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "service_tier": OPENAI_SERVICE_TIER,
            "system_fingerprint": OPENAI_FINGERPRINT,
            "choices": [{"index": 0, "delta": delta, "logprobs": None,
                         "finish_reason": finish}] if choices else [],
        }
        if include_usage:
            c["usage"] = OPENAI_USAGE if usage else None
        return b"data: " + _dumps(c).encode() + b"\n\n"

    events = []
    if scenario == "tools":
        events.append(chunk({"role": "assistant", "content": None, "tool_calls": [{
            "index": 0, "id": OPENAI_TOOL_CALL_ID, "type": "function",
            "function": {"name": TOOL_NAME, "arguments": ""}}], "refusal": None}))
        args = TOOL_ARGS_JSON
        for i in range(0, len(args), 9):
            events.append(chunk({"tool_calls": [{"index": 0,
                                                 "function": {"arguments": args[i:i + 9]}}]}))
        events.append(chunk({}, "tool_calls"))
    else:
        events.append(chunk({"role": "assistant", "content": "", "refusal": None}))
        for piece in OPENAI_TEXT_PIECES:
            events.append(chunk({"content": piece}))
        if scenario == "stream-error":
            err = {"error": {"message": OPENAI_STREAM_ERR_MSG, "type": OPENAI_STREAM_ERR_TYPE,
                             "param": None, "code": None}}
            events.append(b"data: " + _dumps(err).encode() + b"\n\n")
            return events
        events.append(chunk({}, "stop"))
    if include_usage:
        events.append(chunk(None, choices=False, usage=True))
    events.append(b"data: [DONE]\n\n")
    return events


# --------------------------------------------------------------------------- Anthropic bodies
def anthropic_message(model, scenario):
    if scenario == "tools":
        content = [
            {"type": "text", "text": "Let me check the weather."},
            {"type": "tool_use", "id": ANTHROPIC_TOOL_ID, "name": TOOL_NAME, "input": TOOL_ARGS},
        ]
        stop = "tool_use"
    elif scenario == "thinking":
        content = [
            {"type": "thinking", "thinking": ANTHROPIC_THINKING, "signature": ANTHROPIC_SIGNATURE},
            {"type": "text", "text": ANTHROPIC_TEXT},
        ]
        stop = "end_turn"
    else:
        content = [{"type": "text", "text": ANTHROPIC_TEXT}]
        stop = "end_turn"
    return {
        "id": ANTHROPIC_ID,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": ANTHROPIC_USAGE,
    }


def anthropic_events(model, scenario):
    """List of SSE event byte strings for an Anthropic Messages stream."""
    def ev(name, data):
        return b"event: " + name.encode() + b"\ndata: " + _dumps(data).encode() + b"\n\n"

    start_usage = dict(ANTHROPIC_USAGE)
    start_usage["output_tokens"] = 1
    events = [ev("message_start", {"type": "message_start", "message": {
        "id": ANTHROPIC_STREAM_ID, "type": "message", "role": "assistant", "model": model,
        "content": [], "stop_reason": None, "stop_sequence": None, "usage": start_usage}})]
    idx = 0

    def text_block(i, pieces):
        out = [ev("content_block_start", {"type": "content_block_start", "index": i,
                                          "content_block": {"type": "text", "text": ""}})]
        for p in pieces:
            out.append(ev("content_block_delta", {"type": "content_block_delta", "index": i,
                                                  "delta": {"type": "text_delta", "text": p}}))
        return out

    if scenario == "thinking":
        events.append(ev("content_block_start", {
            "type": "content_block_start", "index": idx,
            "content_block": {"type": "thinking", "thinking": "", "signature": ""}}))
        for p in ANTHROPIC_THINKING_PIECES:
            events.append(ev("content_block_delta", {
                "type": "content_block_delta", "index": idx,
                "delta": {"type": "thinking_delta", "thinking": p}}))
        events.append(ev("content_block_delta", {
            "type": "content_block_delta", "index": idx,
            "delta": {"type": "signature_delta", "signature": ANTHROPIC_SIGNATURE}}))
        events.append(ev("content_block_stop", {"type": "content_block_stop", "index": idx}))
        idx += 1

    if scenario == "tools":
        events += text_block(idx, ["Let me check", " the weather."])
        events.append(ev("content_block_stop", {"type": "content_block_stop", "index": idx}))
        idx += 1
        events.append(ev("content_block_start", {
            "type": "content_block_start", "index": idx,
            "content_block": {"type": "tool_use", "id": ANTHROPIC_TOOL_ID, "name": TOOL_NAME,
                              "input": {}}}))
        events.append(ev("content_block_delta", {
            "type": "content_block_delta", "index": idx,
            "delta": {"type": "input_json_delta", "partial_json": ""}}))
        for i in range(0, len(TOOL_ARGS_JSON), 7):
            events.append(ev("content_block_delta", {
                "type": "content_block_delta", "index": idx,
                "delta": {"type": "input_json_delta", "partial_json": TOOL_ARGS_JSON[i:i + 7]}}))
        stop = "tool_use"
    else:
        block = text_block(idx, ANTHROPIC_TEXT_PIECES)
        events.append(block[0])
        events.append(ev("ping", {"type": "ping"}))
        events += block[1:3]
        if scenario == "stream-error":
            events.append(ev("error", {"type": "error", "error": {
                "type": ANTHROPIC_STREAM_ERR_TYPE, "message": ANTHROPIC_STREAM_ERR_MSG}}))
            return events
        events += block[3:]
        stop = "end_turn"
    events.append(ev("content_block_stop", {"type": "content_block_stop", "index": idx}))
    events.append(ev("message_delta", {"type": "message_delta",
                                       "delta": {"stop_reason": stop, "stop_sequence": None},
                                       "usage": {"output_tokens": ANTHROPIC_USAGE["output_tokens"]}}))
    events.append(ev("message_stop", {"type": "message_stop"}))
    return events


# --------------------------------------------------------------------------- server
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "llmtap-mock/1.0"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        self.connection.settimeout(30)

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            return self.rfile.read(n)
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        return b""

    def _send_json(self, status, obj, extra_headers=()):
        body = _dumps(obj).encode()
        gz = "gzip" in (self.headers.get("Accept-Encoding") or "")
        if gz:
            body = gzip.compress(body, mtime=0)
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if gz:
            self.send_header("Content-Encoding", "gzip")
        for k, v in extra_headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_stream(self, events, cutoff=False, gz=False):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        if gz:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        comp = zlib.compressobj(6, zlib.DEFLATED, 31) if gz else None
        if cutoff:
            events = events[: max(2, len(events) // 2)]
        for e in events:
            data = comp.compress(e) + comp.flush(zlib.Z_SYNC_FLUSH) if comp else e
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            time.sleep(EVENT_PACE)
        if cutoff:
            # Drop the connection mid-stream: no terminating chunk, no close_notify.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if comp:
            tail = comp.flush(zlib.Z_FINISH)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(tail), tail))
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/download":
            return self._not_found()
        q = urllib.parse.parse_qs(url.query)
        n = int(q.get("bytes", ["1024"])[0])
        body = download_bytes(n)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        self.wfile.write(body)

    def _not_found(self):
        self._read_body()
        body = b'{"error":"not found"}'
        self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        if path not in ("/v1/chat/completions", "/v1/messages"):
            return self._not_found()
        raw = self._read_body()
        try:
            req = json.loads(raw or b"{}")
        except ValueError:
            req = {}
        model = req.get("model", "unknown-model")
        stream = bool(req.get("stream"))
        scenario = (self.headers.get("x-mock-scenario") or "").strip()
        openai = path == "/v1/chat/completions"

        if scenario == "error-429":
            if openai:
                err = {"error": {"message": OPENAI_ERR_429_MSG, "type": "requests",
                                 "param": None, "code": "rate_limit_exceeded"}}
                hdrs = [("x-request-id", "req_llmtapmock429")]
            else:
                err = {"type": "error", "error": {"type": "rate_limit_error",
                                                  "message": ANTHROPIC_ERR_429_MSG}}
                hdrs = [("request-id", "req_llmtapmock429"), ("retry-after", "1")]
            return self._send_json(429, err, hdrs)

        if not stream:
            obj = openai_message(model, scenario) if openai else anthropic_message(model, scenario)
            hdrs = [("x-request-id", "req_llmtapmock200")] if openai else \
                [("request-id", "req_llmtapmock200")]
            return self._send_json(200, obj, hdrs)

        if openai:
            include_usage = bool((req.get("stream_options") or {}).get("include_usage"))
            events = openai_chunks(model, scenario, include_usage)
        else:
            events = anthropic_events(model, scenario)
        self._send_stream(events, cutoff=(scenario == "cutoff"),
                          gz=(scenario == "gzip-stream"
                              and "gzip" in (self.headers.get("Accept-Encoding") or "")))


class _TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, ctx):
        self.ctx = ctx
        super().__init__(addr, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # Events must leave one by one: no Nagle coalescing behind delayed ACKs.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # Handshake later, in the handler thread, so one slow client never blocks accept().
        return self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request, client_address):
        pass  # clients that drop connections are expected (cut-off tests)


class MockProvider:
    """TLS mock running in a daemon thread on 127.0.0.1:<port> (0 = any free port)."""

    def __init__(self, cert, key, port=0):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        ctx.set_alpn_protocols(["http/1.1"])
        self.server = _TLSServer(("127.0.0.1", port), ctx)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    a = ap.parse_args()
    mp = MockProvider(a.cert, a.key, a.port)
    print(mp.port, flush=True)
    try:
        mp.server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())

"""Hostile and broken traffic, end to end (issue 4, "Bad input").

A scripted TLS server (hostile_server.py) answers real clients — curl with
`--resolve api.openai.com:PORT:127.0.0.1`, and Python http.client / raw ssl sockets
(clients/py_hostile.py) — with malformed, lying, huge or abruptly ended responses. Every case
runs the client without and with llmtap: its stdout and exit status must be identical, and
the exported span is exactly what the case states: correct (key attributes asserted), marked
errored (status ERROR + error.type) or truncated (llmtap.truncated), or absent.
Peak RSS of the 200 MiB downloads is measured with /usr/bin/time and printed (`-s`).
"""

import json
import os
import re
import tempfile
import time

import pytest

from conftest import SANITIZER
from integ_util import (KIND_CLIENT, PY, STATUS_ERROR, STATUS_UNSET, check_attrs, describe,
                        exchange_spans, one_exchange, run_both)

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.join(HERE, "clients", "py_hostile.py")
HOST = "api.openai.com"
MODEL = "gpt-4o-mini"
RESP_MODEL = "gpt-4o-mini-2024-07-18"
RESP_ID = "chatcmpl-hostile"
USAGE = {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}
CONTENT_ON = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"}
MIB = 1 << 20
MAX_BODY = 8 * MIB  # LLMTAP_MAX_BODY default
# Allowed growth of the client's peak RSS with llmtap: the capped response body, the exporter
# thread's working copies of it (decoded body, parsed events, encoded span) and slack.
RSS_BOUND_KIB = 6 * MAX_BODY // 1024  # 48 MiB
BIG = 200 * MIB
# error.type of a span whose response stopped being parseable HTTP (genai.c).
PROTOCOL_ERROR = "http_protocol_error"


@pytest.fixture(scope="module")
def srv(certs):
    from hostile_server import HostileServer

    s = HostileServer(certs["cert"], certs["key"]).start()
    s.ca = certs["ca"]
    yield s
    s.stop()


# --------------------------------------------------------------------------- bodies
def request_body(stream=False):
    b = {"model": MODEL, "messages": [{"role": "user", "content": "Say hello"}],
         "temperature": 0.5}
    if stream:
        b.update({"stream": True, "stream_options": {"include_usage": True}})
    return json.dumps(b, separators=(",", ":")).encode()


def completion(content="Hello!", rid=RESP_ID):
    return json.dumps({"id": rid, "object": "chat.completion", "created": 1700000000,
                       "model": RESP_MODEL,
                       "choices": [{"index": 0, "message": {"role": "assistant",
                                                            "content": content},
                                    "finish_reason": "stop"}],
                       "usage": USAGE}, separators=(",", ":"), ensure_ascii=False).encode()


def chunk_event(delta=None, finish=None, usage=None, rid=RESP_ID):
    c = {"id": rid, "object": "chat.completion.chunk", "created": 1700000000,
         "model": RESP_MODEL,
         "choices": [] if usage else [{"index": 0, "delta": delta or {},
                                       "finish_reason": finish}]}
    if usage:
        c["usage"] = usage
    return b"data: " + json.dumps(c, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


def sse_stream(texts, rid=RESP_ID, usage=True):
    """The events of a streamed chat completion delivering `texts` (str or raw bytes)."""
    ev = [chunk_event({"role": "assistant", "content": ""}, rid=rid)]
    for t in texts:
        if isinstance(t, bytes):  # raw bytes go in as they are (invalid UTF-8 on purpose)
            e = chunk_event({"content": "@@"}, rid=rid).replace(b"@@", t)
        else:
            e = chunk_event({"content": t}, rid=rid)
        ev.append(e)
    ev.append(chunk_event({}, finish="stop", rid=rid))
    if usage:
        ev.append(chunk_event(usage=USAGE, rid=rid))
    ev.append(b"data: [DONE]\n\n")
    return ev


def head(status=b"HTTP/1.1 200 OK", ctype=b"application/json", length=None, chunked=False,
         extra=b""):
    h = status + b"\r\ncontent-type: " + ctype + b"\r\n"
    if length is not None:
        h += b"content-length: %d\r\n" % length
    if chunked:
        h += b"transfer-encoding: chunked\r\n"
    return h + extra + b"connection: close\r\n\r\n"


def json_response(body, **kw):
    return head(length=len(body), **kw) + body


def chunked(pieces, end=True):
    out = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces if p)
    return out + (b"0\r\n\r\n" if end else b"")


def sse_response(events, end=True):
    return head(ctype=b"text/event-stream", chunked=True) + chunked(events, end)


_files = {}


def body_file(data):
    """A temp file holding `data`, named after its content (stable command lines)."""
    import hashlib

    h = hashlib.sha256(data).hexdigest()[:16]
    if h not in _files:
        p = os.path.join(tempfile.gettempdir(), "llmtap-hostile-%s.bin" % h)
        if not os.path.exists(p):
            with open(p + ".tmp", "wb") as f:
                f.write(data)
            os.replace(p + ".tmp", p)
        _files[h] = p
    return _files[h]


# --------------------------------------------------------------------------- clients
def curl(srv, case, body=None, stream=False, extra=(), out=None):
    cmd = ["curl", "--http1.1", "-sS", "--cacert", srv.ca,
           "--resolve", "%s:%d:127.0.0.1" % (HOST, srv.port),
           "-H", "content-type: application/json", "-H", "authorization: Bearer sk-hostile",
           "-H", "x-hostile: " + case,
           "--data-binary", "@" + body_file(body if body is not None else request_body(stream))]
    if stream:
        cmd.append("-N")
    if out:
        cmd += ["-o", out]
    cmd += list(extra)
    return cmd + ["https://%s:%d/v1/chat/completions" % (HOST, srv.port)]


def pyclient(srv, mode, case, body=None, stream=False):
    data = body if body is not None else request_body(stream)
    return [PY, CLIENT, mode, str(srv.port), srv.ca, body_file(data), case]


def raw_request(srv, case, first_line, body=b"{}"):
    return (first_line + b"\r\nHost: %s:%d" % (HOST.encode(), srv.port)
            + b"\r\ncontent-type: application/json\r\nx-hostile: " + case.encode()
            + b"\r\ncontent-length: %d\r\n\r\n" % len(body) + body)


# --------------------------------------------------------------------------- expectations
def base_attrs(srv, status=200, stream=False):
    exp = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
           "gen_ai.request.model": MODEL, "server.address": HOST, "server.port": srv.port,
           "gen_ai.request.temperature": 0.5}
    if status is not None:
        exp["http.response.status_code"] = status
    if stream:
        exp["gen_ai.request.stream"] = True
    return exp


RESPONSE_KEYS = ["gen_ai.response.id", "gen_ai.response.model", "gen_ai.usage.input_tokens",
                 "gen_ai.usage.output_tokens", "gen_ai.response.finish_reasons"]
FULL_RESPONSE = {"gen_ai.response.id": RESP_ID, "gen_ai.response.model": RESP_MODEL,
                 "gen_ai.usage.input_tokens": 9, "gen_ai.usage.output_tokens": 3,
                 "gen_ai.response.finish_reasons": ["stop"]}


def expect_ok(span, exp, absent=()):
    """Correct span: status unset, attributes as expected."""
    assert span["kind"] == KIND_CLIENT
    assert span["status_code"] == STATUS_UNSET, describe(span)
    check_attrs(span, exp, list(absent) + ["error.type", "llmtap.truncated"])


def expect_error(span, etype, exp, absent=()):
    """Errored span: status ERROR with error.type `etype`."""
    assert span["status_code"] == STATUS_ERROR, describe(span)
    assert span["status_message"], describe(span)
    check_attrs(span, dict(exp, **{"error.type": etype}), absent)


# --------------------------------------------------------------------------- the cases
MALFORMED_HEADS = {
    # status code not three digits
    "status_letters": b"HTTP/1.1 2x0 OK\r\ncontent-type: application/json\r\n",
    # not HTTP at all
    "status_garbage": b"HELLO WORLD\r\ncontent-type: application/json\r\n",
    # HTTP/2.0 on an HTTP/1.1 connection
    "status_version": b"HTTP/2.0 200 OK\r\ncontent-type: application/json\r\n",
    # a field line without a colon
    "field_no_colon": b"HTTP/1.1 200 OK\r\ncontent-type application/json\r\n",
    # obs-fold (RFC 9112 5.2), rejected
    "field_obs_fold": b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n  folded\r\n",
    # two Content-Length fields that disagree (RFC 9110 8.6)
    "cl_conflict": b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 7\r\n",
    # a Content-Length past 2^63
    "cl_overflow": b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                   b"content-length: 99999999999999999999999\r\n",
}


@pytest.mark.parametrize("client", ["curl", "py"])
@pytest.mark.parametrize("name", sorted(MALFORMED_HEADS))
def test_malformed_status_line(run, srv, rcv, name, client):
    """A response whose head is not valid HTTP/1.1. Expected: a span marked errored with
    error.type http_protocol_error and no http.response.status_code (no response was read),
    the request attributes intact."""
    body = completion()
    srv.cases[name] = [("send", MALFORMED_HEADS[name] + b"content-length: %d\r\n"
                        b"connection: close\r\n\r\n" % len(body) + body)]
    cmd = curl(srv, name) if client == "curl" else pyclient(srv, "request", name)
    run_both(run, cmd)
    span = one_exchange(rcv)
    expect_error(span, PROTOCOL_ERROR, base_attrs(srv, status=None),
                 ["http.response.status_code"] + RESPONSE_KEYS)


BAD_REQUEST_LINES = {
    "req_version": b"POST /v1/chat/completions HTTP/9.9",
    "req_extra_token": b"POST /v1/chat/completions HTTP/1.1 extra",
    "req_double_space": b"POST  /v1/chat/completions HTTP/1.1",
    "req_binary": b"\x00\xffPOST /v1/chat/completions HTTP/1.1",
    "req_no_target": b"POST HTTP/1.1",
}


@pytest.mark.parametrize("name", sorted(BAD_REQUEST_LINES))
def test_malformed_request_line(run, srv, rcv, name):
    """The client writes a malformed request line over TLS (raw ssl socket), then a valid
    request on a second connection. Expected: no span for the garbage (the connection is
    left alone), exactly one correct span for the valid request."""
    srv.cases[name] = [("send", b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n"
                        b"connection: close\r\n\r\n")]
    srv.cases["ok"] = [("send", json_response(completion()))]
    garbage = raw_request(srv, name, BAD_REQUEST_LINES[name], request_body())
    good = raw_request(srv, "ok", b"POST /v1/chat/completions HTTP/1.1", request_body())
    script = ("import subprocess, sys\n"
              "a = [sys.executable, %r, 'raw', %r, %r]\n"
              "sys.exit(subprocess.call(a + [%r]) or subprocess.call(a + [%r]))\n"
              % (CLIENT, str(srv.port), srv.ca, body_file(garbage), body_file(good)))
    r = run_both(run, [PY, "-c", script])
    assert r.rc == 0 and r.out.startswith(b"HTTP/1.1 400"), r.out[:200]
    span = one_exchange(rcv)
    expect_ok(span, dict(base_attrs(srv), **FULL_RESPONSE))
    time.sleep(0.5)
    assert len(exchange_spans(rcv.spans())) == 1


BAD_CHUNK_SIZES = {
    "chunk_letters": b"zz\r\n",
    "chunk_negative": b"-5\r\n",
    "chunk_overflow": b"1ffffffffffffffff\r\n",
    "chunk_space_inside": b"1 0\r\n",
    "chunk_empty": b"\r\n",
}


@pytest.mark.parametrize("client", ["curl", "py"])
@pytest.mark.parametrize("name", sorted(BAD_CHUNK_SIZES))
def test_invalid_chunk_size(run, srv, rcv, name, client):
    """A chunked SSE stream whose third chunk has an invalid size line. Expected: a span
    marked errored (http_protocol_error) keeping what the valid chunks said: status 200, the
    response id and model; no usage (it never arrived)."""
    ev = sse_stream(["Hel", "lo"])
    wire = (head(ctype=b"text/event-stream", chunked=True) + chunked(ev[:2], end=False)
            + BAD_CHUNK_SIZES[name] + b"".join(ev[2:]))
    srv.cases[name] = [("send", wire), ("sleep", 0.05)]
    cmd = curl(srv, name, stream=True) if client == "curl" else \
        pyclient(srv, "request", name, stream=True)
    r = run_both(run, cmd)
    assert r.rc != 0
    span = one_exchange(rcv)
    expect_error(span, PROTOCOL_ERROR, dict(base_attrs(srv, stream=True), **{
        "gen_ai.response.id": RESP_ID, "gen_ai.response.model": RESP_MODEL}),
        ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"])


@pytest.mark.parametrize("client", ["curl", "py"])
def test_content_length_shorter_than_body(run, srv, rcv, client):
    """Content-Length says 40 bytes, the server sends the whole JSON and closes. Clients read
    40 bytes (exit 0). Expected: a correct span for what the client got — status 200, status
    unset, no response attributes (40 bytes of JSON do not parse), no error."""
    body = completion()
    srv.cases["cl_short"] = [("send", head(length=40) + body), ("close",)]
    cmd = curl(srv, "cl_short") if client == "curl" else pyclient(srv, "request", "cl_short")
    r = run_both(run, cmd)
    assert r.rc == 0 and r.out.endswith(body[:40]), r.out
    span = one_exchange(rcv)
    expect_ok(span, base_attrs(srv), RESPONSE_KEYS)


@pytest.mark.parametrize("end", ["close", "close_notify"])
@pytest.mark.parametrize("client", ["curl", "py"])
def test_content_length_longer_than_body(run, srv, rcv, client, end):
    """Content-Length promises 1000 bytes more than the body; the server closes (with or
    without a TLS close_notify). The client fails. Expected: a span marked errored
    (response_cut_off) with the attributes of the complete JSON it did read."""
    body = completion()
    script = [("send", head(length=len(body) + 1000) + body), ("sleep", 0.05)]
    if end == "close":
        script.append(("close",))
    srv.cases["cl_long_" + end] = script
    case = "cl_long_" + end
    cmd = curl(srv, case) if client == "curl" else pyclient(srv, "request", case)
    r = run_both(run, cmd)
    assert r.rc != 0
    span = one_exchange(rcv)
    expect_error(span, "response_cut_off", dict(base_attrs(srv), **FULL_RESPONSE))


@pytest.mark.parametrize("shape", ["many_fields", "one_field"])
def test_response_head_over_64k(run, srv, rcv, shape):
    """Response heads beyond llmtap's 64 KiB head buffer: 80 fields of 1 KiB, or one field of
    70 000 bytes (curl accepts both). Expected: the client unaffected; a span marked errored
    (http_protocol_error: llmtap could not read the head) without http.response.status_code."""
    if shape == "many_fields":
        extra = b"".join(b"x-pad-%02d: %s\r\n" % (i, b"a" * 1000) for i in range(80))
    else:
        extra = b"x-big: " + b"b" * 70000 + b"\r\n"
    body = completion()
    srv.cases["big_head_" + shape] = [("send", head(length=len(body), extra=extra) + body)]
    r = run_both(run, curl(srv, "big_head_" + shape))
    assert r.rc == 0 and r.out == body
    span = one_exchange(rcv)
    expect_error(span, PROTOCOL_ERROR, base_attrs(srv, status=None),
                 ["http.response.status_code"] + RESPONSE_KEYS)


# ---- 200 MiB bodies
def big_json_case():
    """A 200 MiB chat.completion whose content is one long string (Content-Length)."""
    pre = (b'{"id":"' + RESP_ID.encode() + b'","object":"chat.completion","model":"'
           + RESP_MODEL.encode() + b'","choices":[{"index":0,"message":{"role":"assistant",'
           b'"content":"')
    post = (b'"},"finish_reason":"stop"}],"usage":' + json.dumps(USAGE).encode() + b'}')
    block = b"abcdefghijklmnop" * (MIB // 16)
    n = (BIG - len(pre) - len(post)) // MIB
    total = len(pre) + n * MIB + len(post)
    return [("send", head(length=total) + pre), ("repeat", block, n), ("send", post)], total


def big_sse_case():
    """A 200 MiB SSE stream: 1 MiB chunks of fixed-size content events, then finish, usage
    and [DONE]."""
    one = chunk_event({"content": "x" * 900})
    per = MIB // len(one)
    block = one * per
    n = BIG // len(block)
    tail = b"".join(sse_stream([])[2:])  # finish, usage, [DONE]
    first = sse_stream([])[0]
    script = [("send", head(ctype=b"text/event-stream", chunked=True) + chunked([first], False)),
              ("repeat", b"%x\r\n" % len(block) + block + b"\r\n", n),
              ("send", chunked([tail]))]
    return script, len(first) + n * len(block) + len(tail)


def peak_rss(run, cmd, agent):
    """Run `cmd` under /usr/bin/time; returns (result, peak RSS of the client in KiB)."""
    f = tempfile.NamedTemporaryFile(prefix="llmtap-rss-", delete=False)
    f.close()
    try:
        r = run(["/usr/bin/time", "-f", "%M", "-o", f.name] + cmd, agent=agent, cache=False,
                timeout=120)
        with open(f.name) as fh:
            m = re.search(r"(\d+)\s*$", fh.read())
        return r, int(m.group(1)) if m else None
    finally:
        os.unlink(f.name)


@pytest.mark.parametrize("kind", ["json", "sse"])
def test_200mib_response(run, srv, rcv, kind):
    """A 200 MiB response body (application/json with Content-Length, or a chunked SSE
    stream), curl -o /dev/null. Expected: same client result; the client's peak RSS grows by
    at most 48 MiB with llmtap (bodies are capped at LLMTAP_MAX_BODY = 8 MiB); a span marked
    truncated (llmtap.truncated=true, status unset, status 200) — for the JSON body without
    response attributes (the first 8 MiB are not a JSON document), for the stream with the id
    and model of its first events and no usage (it came after the cap)."""
    script, total = big_json_case() if kind == "json" else big_sse_case()
    case = "big_" + kind
    srv.cases[case] = script
    cmd = curl(srv, case, stream=kind == "sse", out="/dev/null",
               extra=["-w", "%{http_code} %{size_download}\\n"])
    base, rss_base = peak_rss(run, cmd, agent=False)
    got, rss_agent = peak_rss(run, cmd, agent=True)
    assert base.rc == 0 and base.out == b"200 %d\n" % total, (base.out, base.err)
    assert got.rc == base.rc and got.out == base.out, (got.out, got.err[-2000:])
    print("\n200 MiB %s: client peak RSS %d KiB without llmtap, %d KiB with (+%d KiB); "
          "%.1fs vs %.1fs" % (kind, rss_base, rss_agent, rss_agent - rss_base,
                              base.duration, got.duration))
    if not SANITIZER:  # ASan's shadow memory and quarantine are not llmtap's footprint
        assert rss_agent - rss_base <= RSS_BOUND_KIB, (rss_base, rss_agent)
    span = one_exchange(rcv, timeout=15)
    exp = dict(base_attrs(srv, stream=kind == "sse"), **{"llmtap.truncated": True})
    assert span["status_code"] == STATUS_UNSET, describe(span)
    if kind == "json":
        check_attrs(span, exp, RESPONSE_KEYS + ["error.type"])
    else:
        exp.update({"gen_ai.response.id": RESP_ID, "gen_ai.response.model": RESP_MODEL})
        check_attrs(span, exp, ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
                                "error.type"])


# ---- invalid UTF-8, invalid JSON, deep nesting
BAD_UTF8 = b"ok \xff\xfe then \xc3( and \xed\xa0\x80 end"
BAD_UTF8_FIXED = "ok \ufffd\ufffd then \ufffd( and \ufffd\ufffd\ufffd end"


def text_parts(span):
    out = json.loads(span["attrs"]["gen_ai.output.messages"])
    return "".join(p.get("content", "") for m in out for p in m["parts"]
                   if p.get("type") == "text")


@pytest.mark.parametrize("client", ["curl", "py"])
@pytest.mark.parametrize("kind", ["json", "sse"])
def test_invalid_utf8(run, srv, rcv, kind, client):
    """Invalid UTF-8 in the content and in the response id. Expected: a correct span (usage,
    model, finish reasons) that the receiver decodes (strings repaired with U+FFFD, so the
    OTLP request is valid), content captured with the same repair."""
    rid = RESP_ID.encode() + b"-\xff"
    if kind == "json":
        body = completion("@@").replace(b"@@", BAD_UTF8).replace(RESP_ID.encode(), rid)
        wire = json_response(body)
    else:
        ev = [e.replace(RESP_ID.encode(), rid) for e in sse_stream([b"ok \xff\xfe", b" then \xc3(",
                                                                   b" and \xed\xa0\x80 end"])]
        wire = sse_response(ev)
    case = "utf8_" + kind
    srv.cases[case] = [("send", wire)]
    stream = kind == "sse"
    cmd = curl(srv, case, stream=stream) if client == "curl" else \
        pyclient(srv, "request", case, stream=stream)
    r = run_both(run, cmd, env=CONTENT_ON)
    assert r.rc == 0
    span = one_exchange(rcv)
    exp = dict(base_attrs(srv, stream=stream), **FULL_RESPONSE)
    exp["gen_ai.response.id"] = RESP_ID + "-\ufffd"
    expect_ok(span, exp)
    assert text_parts(span) == BAD_UTF8_FIXED, span["attrs"]["gen_ai.output.messages"]


def test_invalid_json_body(run, srv, rcv):
    """A 200 application/json body that is not JSON. Expected: a correct span with the
    request attributes and status 200, no response attributes, no error."""
    body = b'{"id":"chatcmpl-bad","model":"' + RESP_MODEL.encode() + b'",,"usage":{]}'
    srv.cases["bad_json"] = [("send", json_response(body))]
    r = run_both(run, curl(srv, "bad_json"))
    assert r.rc == 0 and r.out == body
    expect_ok(one_exchange(rcv), base_attrs(srv), RESPONSE_KEYS)


def test_invalid_json_events(run, srv, rcv):
    """An SSE stream with two events whose data is not JSON (one truncated object, one bare
    word) among valid ones. Expected: a correct span from the valid events."""
    ev = sse_stream(["Hel", "lo"])
    ev.insert(2, b'data: {"id":"x","choices":[{"delta":\n\n')
    ev.insert(4, b"data: nonsense\n\n")
    srv.cases["bad_json_events"] = [("send", sse_response(ev))]
    run_both(run, curl(srv, "bad_json_events", stream=True))
    expect_ok(one_exchange(rcv), dict(base_attrs(srv, stream=True), **FULL_RESPONSE))


DEPTH = 100000


def deep_value(shape):
    """`[[[…]]]` or `{"a":{"a":…1}}`, DEPTH levels."""
    return b"[" * DEPTH + b"]" * DEPTH if shape == "array" else \
        b'{"a":' * DEPTH + b"1" + b"}" * DEPTH


@pytest.mark.parametrize("shape", ["array", "object", "field_array", "field_object"])
def test_deep_request(run, srv, rcv, shape):
    """A request body nested 100 000 deep (the whole body, or one field of an otherwise valid
    request); a normal response. Expected: a span with the response attributes; the request
    attributes absent (the body is beyond the JSON nesting limit), no error."""
    if shape.startswith("field_"):
        body = request_body()[:-1] + b',"metadata":' + deep_value(shape[6:]) + b"}"
    else:
        body = deep_value(shape)
    srv.cases["deep_req_" + shape] = [("send", json_response(completion()))]
    r = run_both(run, curl(srv, "deep_req_" + shape, body=body))
    assert r.rc == 0
    exp = {k: v for k, v in base_attrs(srv).items()
           if k not in ("gen_ai.request.model", "gen_ai.request.temperature")}
    expect_ok(one_exchange(rcv), dict(exp, **FULL_RESPONSE),
              ["gen_ai.request.model", "gen_ai.request.temperature"])


@pytest.mark.parametrize("shape", ["array", "object", "field_array", "field_object", "sse",
                                   "stream_array"])
def test_deep_response(run, srv, rcv, shape):
    """A response body nested 100 000 deep (the whole body, one field of a valid completion,
    one SSE event's data among valid events, or the answer to a stream request labelled
    application/json, read as a JSON-array stream). Expected: a span with the request
    attributes; the response attributes absent for the JSON bodies; for the SSE stream, the
    valid events counted (correct span)."""
    stream = shape in ("sse", "stream_array")
    if shape == "stream_array":
        wire = json_response(deep_value("array"))
    elif shape == "sse":
        ev = sse_stream(["Hel", "lo"])
        ev.insert(2, b"data: " + deep_value("array") + b"\n\n")
        ev.insert(3, b"data: " + deep_value("object") + b"\n\n")
        wire = sse_response(ev)
    elif shape.startswith("field_"):
        wire = json_response(completion()[:-1] + b',"extra":' + deep_value(shape[6:]) + b"}")
    else:
        wire = json_response(deep_value(shape))
    srv.cases["deep_resp_" + shape] = [("send", wire)]
    r = run_both(run, curl(srv, "deep_resp_" + shape, stream=stream))
    assert r.rc == 0
    span = one_exchange(rcv)
    if shape == "sse":
        expect_ok(span, dict(base_attrs(srv, stream=True), **FULL_RESPONSE))
    else:
        expect_ok(span, base_attrs(srv, stream=stream), RESPONSE_KEYS)


# ---- streams split inside characters, reset, abandoned
UTF8_TEXTS = ["h\u00e9llo ", "\u65e5\u672c\u8a9e", " \U0001f389 ", "caf\u00e9\u2014\u00fc"]


def drip_script(wire, pause=0.002):
    """Steps sending `wire` with every multibyte UTF-8 character (and the byte on either side)
    written one byte at a time, `pause` seconds apart; the rest in larger writes."""
    steps, i, n = [], 0, len(wire)
    while i < n:
        j = i
        while j < n and wire[j] < 0x80:
            j += 1
        if j == n:
            steps.append(("send", wire[i:]))
            break
        a = max(i, j - 1)
        if a > i:
            steps.append(("send", wire[i:a]))
        k = j
        while k < n and wire[k] >= 0x80:
            k += 1
        b = min(n, k + 1)
        steps.append(("drip", wire[a:b], pause))
        i = b
    return steps


@pytest.mark.parametrize("client", ["curl", "py"])
def test_sse_split_inside_utf8(run, srv, rcv, client):
    """An SSE stream whose multibyte characters arrive one byte per TLS record (and whose
    chunks split them too). Expected: a correct span; with content capture the text is
    exactly the characters sent."""
    ev = b"".join(sse_stream(UTF8_TEXTS))
    pieces = [ev[i:i + 7] for i in range(0, len(ev), 7)]  # chunk boundaries inside chars
    wire = head(ctype=b"text/event-stream", chunked=True) + chunked(pieces)
    srv.cases["utf8_split"] = drip_script(wire)
    cmd = curl(srv, "utf8_split", stream=True) if client == "curl" else \
        pyclient(srv, "request", "utf8_split", stream=True)
    r = run_both(run, cmd, env=CONTENT_ON)
    assert r.rc == 0
    span = one_exchange(rcv)
    expect_ok(span, dict(base_attrs(srv, stream=True), **FULL_RESPONSE))
    assert text_parts(span) == "".join(UTF8_TEXTS)


@pytest.mark.parametrize("client", ["curl", "py"])
def test_reset_mid_stream(run, srv, rcv, client):
    """The server resets the TCP connection (SO_LINGER 0) after three events. Expected: the
    client fails the same way; a span marked errored (response_cut_off) with status 200 and
    the id/model of the events read, no usage."""
    ev = sse_stream(["Hel", "lo", " there"])
    srv.cases["rst"] = [("send", head(ctype=b"text/event-stream", chunked=True)
                         + chunked(ev[:3], end=False)), ("sleep", 0.1), ("rst",)]
    cmd = curl(srv, "rst", stream=True) if client == "curl" else \
        pyclient(srv, "request", "rst", stream=True)
    r = run_both(run, cmd)
    assert r.rc != 0
    span = one_exchange(rcv)
    expect_error(span, "response_cut_off", dict(base_attrs(srv, stream=True), **{
        "gen_ai.response.id": RESP_ID, "gen_ai.response.model": RESP_MODEL}),
        ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"])


def test_client_abandons_stream(run, srv, rcv):
    """http.client reads two events of a long stream, closes the socket and exits 0 while the
    server is still writing. Expected: same output; a span marked errored (response_cut_off)
    with the id/model of the events read, no usage."""
    ev = sse_stream(["tok%d " % i for i in range(200)])
    steps = [("send", head(ctype=b"text/event-stream", chunked=True))]
    for e in ev:
        steps += [("send", chunked([e], end=False)), ("sleep", 0.01)]
    srv.cases["abandon"] = steps + [("send", b"0\r\n\r\n")]
    r = run_both(run, pyclient(srv, "abandon", "abandon", stream=True))
    assert r.rc == 0 and r.out.count(b"data: ") == 2, r.out
    span = one_exchange(rcv)
    expect_error(span, "response_cut_off", dict(base_attrs(srv, stream=True), **{
        "gen_ai.response.id": RESP_ID, "gen_ai.response.model": RESP_MODEL}),
        ["gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens"])

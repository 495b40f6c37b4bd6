"""The test infrastructure itself, without llmtap: the mock provider answers every client with
provider-shaped bodies, the receiver decodes protobuf and JSON the same way."""

import gzip
import hashlib
import json
import urllib.request
import zlib

import pytest

import mock_provider as M
from integ_util import ALL_CLIENTS, cmd_for, curl_cmd, py_cmd


def sse_data(body):
    """data: payloads of an SSE body, in order."""
    out = []
    for block in body.replace(b"\r\n", b"\n").split(b"\n\n"):
        for line in block.split(b"\n"):
            if line.startswith(b"data:"):
                out.append(line[5:].strip())
    return out


def openai_stream_text(body):
    text = ""
    for d in sse_data(body):
        if d == b"[DONE]":
            break
        c = json.loads(d)
        for ch in c["choices"]:
            text += ch["delta"].get("content") or ""
    return text


def anthropic_stream_text(body):
    text = ""
    for d in sse_data(body):
        e = json.loads(d)
        if e["type"] == "content_block_delta" and e["delta"]["type"] == "text_delta":
            text += e["delta"]["text"]
    return text


@pytest.mark.parametrize("client", ALL_CLIENTS)
@pytest.mark.parametrize("provider,stream", [("openai", True), ("anthropic", False)])
def test_clients_without_agent(run, mock, client, provider, stream):
    rc, out, err = run(cmd_for(client, mock, provider=provider, stream=stream), agent=False)
    assert rc == 0, err
    if provider == "openai":
        assert openai_stream_text(out) == M.OPENAI_TEXT
        chunks = [json.loads(d) for d in sse_data(out) if d != b"[DONE]"]
        assert sse_data(out)[-1] == b"[DONE]"
        assert chunks[-1]["usage"] == M.OPENAI_USAGE and chunks[-1]["choices"] == []
        assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    else:
        msg = json.loads(out)
        assert msg["type"] == "message" and msg["id"] == M.ANTHROPIC_ID
        assert msg["content"][0]["text"] == M.ANTHROPIC_TEXT
        assert msg["model"] == "claude-sonnet-4-5"


def test_openai_nonstream_shape(run, mock):
    rc, out, _ = run(py_cmd("py_http_client", mock, model="gpt-x"), agent=False)
    assert rc == 0
    m = json.loads(out)
    assert m["object"] == "chat.completion" and m["id"] == M.OPENAI_ID and m["model"] == "gpt-x"
    assert m["choices"][0]["finish_reason"] == "stop"
    assert m["usage"]["prompt_tokens_details"]["cached_tokens"] == 12
    assert m["system_fingerprint"] == M.OPENAI_FINGERPRINT


def test_anthropic_stream_shape(run, mock):
    rc, out, _ = run(py_cmd("py_http_client", mock, provider="anthropic", stream=True),
                     agent=False)
    assert rc == 0
    types = [json.loads(d)["type"] for d in sse_data(out)]
    assert types[0] == "message_start" and types[-1] == "message_stop"
    assert "ping" in types and "message_delta" in types
    assert anthropic_stream_text(out) == M.ANTHROPIC_TEXT


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_tools_stream_args_assemble(run, mock, provider):
    rc, out, _ = run(py_cmd("py_http_client", mock, provider=provider, stream=True,
                            scenario="tools"), agent=False)
    assert rc == 0
    args = ""
    for d in sse_data(out):
        if d == b"[DONE]":
            break
        e = json.loads(d)
        if provider == "openai":
            for ch in e["choices"]:
                for tc in ch["delta"].get("tool_calls") or []:
                    args += tc["function"].get("arguments", "")
        elif e["type"] == "content_block_delta" and e["delta"]["type"] == "input_json_delta":
            args += e["delta"]["partial_json"]
    assert json.loads(args) == M.TOOL_ARGS


def test_gzip_nonstream(run, mock):
    rc, out, _ = run(py_cmd("py_http_client", mock, gzip=True), agent=False)
    assert rc == 0
    assert json.loads(gzip.decompress(out))["id"] == M.OPENAI_ID
    rc, out2, _ = run(py_cmd("py_requests", mock, gzip=True), agent=False)
    assert json.loads(out2)["id"] == M.OPENAI_ID


def test_gzip_stream(run, mock):
    rc, out, _ = run(py_cmd("py_http_client", mock, stream=True, scenario="gzip-stream",
                            gzip=True), agent=False)
    assert rc == 0
    assert openai_stream_text(zlib.decompress(out, 31)) == M.OPENAI_TEXT
    rc, out2, _ = run(py_cmd("py_httpx_sync", mock, stream=True, scenario="gzip-stream",
                             gzip=True), agent=False)
    assert openai_stream_text(out2) == M.OPENAI_TEXT


@pytest.mark.parametrize("provider,typ", [("openai", "requests"),
                                          ("anthropic", "rate_limit_error")])
def test_error_429(run, mock, provider, typ):
    rc, out, _ = run(py_cmd("py_requests", mock, provider=provider, scenario="error-429"),
                     agent=False)
    assert rc == 3
    assert json.loads(out)["error"]["type"] == typ


def test_cutoff_is_an_error_for_the_client(run, mock):
    rc, out, err = run(py_cmd("py_http_client", mock, stream=True, scenario="cutoff"),
                       agent=False)
    assert rc == 1 and "IncompleteRead" in err
    assert b"[DONE]" not in out
    rc, out, err = run(curl_cmd(mock, stream=True, scenario="cutoff"), agent=False)
    assert rc != 0


def test_download_and_404(run, mock):
    rc, out, _ = run(["curl", "--http1.1", "-sS", "--cacert", mock.ca,
                      mock.url + "/download?bytes=100000"], agent=False)
    assert rc == 0 and out == M.download_bytes(100000)
    rc, out, _ = run(["curl", "--http1.1", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                      "--cacert", mock.ca, mock.url + "/nope"], agent=False)
    assert out == b"404"


def test_curl_resolve_anthropic_host(run, mock):
    rc, out, err = run(curl_cmd(mock, provider="anthropic", resolve_host="api.anthropic.com"),
                       agent=False)
    assert rc == 0, err
    assert json.loads(out)["id"] == M.ANTHROPIC_ID


def test_keepalive_and_threads(run, mock):
    rc, out, _ = run(py_cmd("py_http_client", mock, extra=["--keepalive", "5"]), agent=False)
    assert rc == 0 and out.count(M.OPENAI_ID.encode()) == 5
    rc, out, _ = run(py_cmd("py_http_client", mock, extra=["--threads", "4"]), agent=False)
    assert rc == 0 and out.count(M.OPENAI_ID.encode()) == 4


def test_spawn_child_without_agent(run, mock):
    rc, out, _ = run(py_cmd("py_spawn_child", mock), agent=False)
    assert rc == 0 and out.count(M.OPENAI_ID.encode()) == 2  # parent + child


# --------------------------------------------------------------------------- receiver
def _sample_request():
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as ts

    req = ts.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    kv = rs.resource.attributes.add()
    kv.key, kv.value.string_value = "service.name", "infra"
    ss = rs.scope_spans.add()
    ss.scope.name = "llmtap"
    sp = ss.spans.add()
    sp.trace_id = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
    sp.span_id = bytes.fromhex("b7ad6b7169203331")
    sp.parent_span_id = bytes.fromhex("00f067aa0ba902b7")
    sp.name = "chat gpt-4o-mini"
    sp.kind = 3
    sp.flags = 0x301
    sp.start_time_unix_nano = 1732147200000000000
    sp.end_time_unix_nano = 1732147201000000000
    for key, field, val in [("gen_ai.request.model", "string_value", "gpt-4o-mini"),
                            ("gen_ai.usage.input_tokens", "int_value", 42),
                            ("gen_ai.request.temperature", "double_value", 0.25),
                            ("gen_ai.request.stream", "bool_value", True)]:
        a = sp.attributes.add()
        a.key = key
        setattr(a.value, field, val)
    a = sp.attributes.add()
    a.key = "gen_ai.response.finish_reasons"
    a.value.array_value.values.add().string_value = "stop"
    sp.status.code = 2
    sp.status.message = "boom"
    return req


def _post(rcv, body, ctype, encoding=None):
    headers = {"Content-Type": ctype}
    if encoding:
        headers["Content-Encoding"] = encoding
    req = urllib.request.Request(rcv.endpoint + "/v1/traces", data=body, headers=headers)
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.status


def test_receiver_decodes_protobuf_and_json_alike(rcv):
    from otlp_receiver import message_to_json_text

    msg = _sample_request()
    assert _post(rcv, msg.SerializeToString(), "application/x-protobuf") == 200
    pb_spans = rcv.spans()
    rcv.reset()
    text = message_to_json_text(msg)
    assert '"traceId": "0af7651916cd43dd8448eb211c80319c"' in text
    assert _post(rcv, gzip.compress(text.encode()), "application/json", "gzip") == 200
    js_spans = rcv.spans()
    assert pb_spans == js_spans and len(pb_spans) == 1
    s = pb_spans[0]
    assert s["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert s["parent_span_id"] == "00f067aa0ba902b7" and s["flags"] == 0x301
    assert s["attrs"] == {"gen_ai.request.model": "gpt-4o-mini",
                          "gen_ai.usage.input_tokens": 42, "gen_ai.request.temperature": 0.25,
                          "gen_ai.request.stream": True,
                          "gen_ai.response.finish_reasons": ["stop"]}
    assert s["resource"] == {"service.name": "infra"} and s["scope"] == "llmtap"
    assert s["status_code"] == 2 and s["status_message"] == "boom"


def test_receiver_fail_next(rcv):
    import urllib.error

    rcv.fail_next(2)
    body = _sample_request().SerializeToString()
    for _ in range(2):
        with pytest.raises(urllib.error.HTTPError) as e:
            _post(rcv, body, "application/x-protobuf")
        assert e.value.code == 503
    assert _post(rcv, body, "application/x-protobuf") == 200
    assert len(rcv.spans()) == 1 and len(rcv.requests) == 3
    assert hashlib.sha256(rcv.all_raw[-1]).digest() == hashlib.sha256(body).digest()

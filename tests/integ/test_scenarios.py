"""Tool calls, thinking, provider errors, stream errors, cut-off streams and gzip bodies."""

import json

import pytest

import common
import mock_provider as M
from integ_util import (STATUS_ERROR, anthropic_env, assert_exchange, check_attrs, cmd_for,
                        describe, expected_span, one_exchange, parse_json_attr, py_cmd, run_both)

CONTENT_ON = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"}


def penv(mock, provider, extra=None):
    env = dict(anthropic_env(mock)) if provider == "anthropic" else {}
    env.update(extra or {})
    return env


def tool_args_of(part):
    args = part.get("arguments")
    return json.loads(args) if isinstance(args, str) else args


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_tool_call(run, mock, rcv, provider, stream):
    run_both(run, py_cmd("py_http_client", mock, provider=provider, stream=stream,
                         scenario="tools"), env=penv(mock, provider, CONTENT_ON))
    span = one_exchange(rcv)
    finish = "tool_calls" if provider == "openai" else "tool_use"
    check_attrs(span, {"gen_ai.response.finish_reasons": [finish],
                       "gen_ai.provider.name": provider})
    assert span["status_code"] == 0, describe(span)
    out = parse_json_attr(span, "gen_ai.output.messages")
    assert len(out) == 1 and out[0]["role"] == "assistant", out
    assert out[0].get("finish_reason") == finish, out
    calls = [p for p in out[0]["parts"] if p.get("type") == "tool_call"]
    assert len(calls) == 1, out
    call_id = M.OPENAI_TOOL_CALL_ID if provider == "openai" else M.ANTHROPIC_TOOL_ID
    assert calls[0].get("id") == call_id and calls[0].get("name") == M.TOOL_NAME, calls
    assert tool_args_of(calls[0]) == M.TOOL_ARGS, calls
    defs = parse_json_attr(span, "gen_ai.tool.definitions")
    assert any(d.get("name") == M.TOOL_NAME and d.get("type") == "function" for d in defs), defs


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_tool_call_attributes_without_content(run, mock, rcv, provider, stream):
    run_both(run, py_cmd("py_requests", mock, provider=provider, stream=stream,
                         scenario="tools"), env=penv(mock, provider))
    span = one_exchange(rcv)
    assert_exchange(span, provider, stream, "localhost", mock.port, scenario="tools")


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_thinking(run, mock, rcv, stream):
    run_both(run, py_cmd("py_http_client", mock, provider="anthropic", stream=stream,
                         scenario="thinking"), env=penv(mock, "anthropic", CONTENT_ON))
    span = one_exchange(rcv)
    check_attrs(span, {"gen_ai.response.finish_reasons": ["end_turn"],
                       "gen_ai.request.max_tokens": 1024})
    out = parse_json_attr(span, "gen_ai.output.messages")
    parts = out[0]["parts"]
    reasoning = [p for p in parts if p.get("type") == "reasoning"]
    texts = [p for p in parts if p.get("type") == "text"]
    assert [p.get("content") for p in reasoning] == [M.ANTHROPIC_THINKING], parts
    assert [p.get("content") for p in texts] == [M.ANTHROPIC_TEXT], parts
    assert parts.index(reasoning[0]) < parts.index(texts[0]), parts


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_thinking_without_content(run, mock, rcv, stream):
    run_both(run, py_cmd("py_http_client", mock, provider="anthropic", stream=stream,
                         scenario="thinking"), env=penv(mock, "anthropic"))
    assert_exchange(one_exchange(rcv), "anthropic", stream, "localhost", mock.port,
                    scenario="thinking")


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("client", ["py_requests", "curl"])
def test_error_429(run, mock, rcv, client, provider, stream):
    r = run_both(run, cmd_for(client, mock, provider=provider, stream=stream,
                              scenario="error-429"), env=penv(mock, provider))
    assert r.rc == (3 if client != "curl" else 0)
    span = one_exchange(rcv)
    model = common.OPENAI_MODEL if provider == "openai" else common.ANTHROPIC_MODEL
    assert span["name"] == "chat " + model
    assert span["status_code"] == STATUS_ERROR, describe(span)
    msg = M.OPENAI_ERR_429_MSG if provider == "openai" else M.ANTHROPIC_ERR_429_MSG
    assert msg in span["status_message"], describe(span)
    check_attrs(span, {"error.type": "429", "http.response.status_code": 429,
                       "gen_ai.provider.name": provider, "gen_ai.request.model": model,
                       "server.address": "localhost", "server.port": mock.port},
                absent=["gen_ai.response.id", "gen_ai.usage.input_tokens",
                        "gen_ai.usage.output_tokens"])


@pytest.mark.parametrize("client", ["py_http_client", "py_httpx_async"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_stream_error_event(run, mock, rcv, provider, client):
    run_both(run, py_cmd(client, mock, provider=provider, stream=True,
                         scenario="stream-error"), env=penv(mock, provider))
    span = one_exchange(rcv)
    assert span["status_code"] == STATUS_ERROR, describe(span)
    etype = M.OPENAI_STREAM_ERR_TYPE if provider == "openai" else M.ANTHROPIC_STREAM_ERR_TYPE
    emsg = M.OPENAI_STREAM_ERR_MSG if provider == "openai" else M.ANTHROPIC_STREAM_ERR_MSG
    check_attrs(span, {"error.type": etype, "http.response.status_code": 200,
                       "gen_ai.request.stream": True})
    assert emsg in span["status_message"], describe(span)
    rid = M.OPENAI_STREAM_ID if provider == "openai" else M.ANTHROPIC_STREAM_ID
    check_attrs(span, {"gen_ai.response.id": rid})


@pytest.mark.parametrize("client", ["py_http_client", "py_aiohttp", "curl"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_cutoff(run, mock, rcv, provider, client):
    r = run_both(run, cmd_for(client, mock, provider=provider, stream=True, scenario="cutoff"),
                 env=penv(mock, provider))
    assert r.rc != 0
    span = one_exchange(rcv)
    assert span["status_code"] == STATUS_ERROR, describe(span)
    check_attrs(span, {"error.type": "response_cut_off", "gen_ai.request.stream": True,
                       "gen_ai.provider.name": provider})


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("client", ["py_http_client", "py_requests", "py_aiohttp", "curl"])
def test_gzip_response(run, mock, rcv, client, provider):
    run_both(run, cmd_for(client, mock, provider=provider, gzip=True), env=penv(mock, provider))
    assert_exchange(one_exchange(rcv), provider, False, "localhost", mock.port)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("client", ["py_http_client", "py_httpx_sync", "curl"])
def test_gzip_stream(run, mock, rcv, client, provider):
    run_both(run, cmd_for(client, mock, provider=provider, stream=True, gzip=True,
                          scenario="gzip-stream"), env=penv(mock, provider, CONTENT_ON))
    span = one_exchange(rcv)
    # Same span as a plain stream, plus content (the decoded text proves gunzip + SSE).
    name, exp, _ = expected_span(provider, True, "localhost", mock.port, scenario="gzip-stream")
    assert span["name"] == name and span["status_code"] == 0, describe(span)
    check_attrs(span, exp)
    out = parse_json_attr(span, "gen_ai.output.messages")
    text = M.OPENAI_TEXT if provider == "openai" else M.ANTHROPIC_TEXT
    assert [p.get("content") for p in out[0]["parts"] if p.get("type") == "text"] == [text]

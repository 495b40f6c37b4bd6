"""Opt-in content capture (SPEC.md "Content"): off unless
OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT asks for span content; JSON shapes of
gen_ai.input.messages / output.messages / system_instructions / tool.definitions."""

import pytest

import common
import mock_provider as M
from integ_util import (CONTENT_KEYS, anthropic_env, check_attrs, cmd_for, one_exchange,
                        parse_json_attr, run_both)

VAR = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


def env_for(mock, provider, value):
    env = dict(anthropic_env(mock)) if provider == "anthropic" else {}
    if value is not None:
        env[VAR] = value
    return env


def text_parts(msg):
    return [p.get("content") for p in msg["parts"] if p.get("type") == "text"]


@pytest.mark.parametrize("value,provider,stream,client", [
    ("true", "openai", False, "py_http_client"),
    ("true", "openai", True, "curl"),
    ("true", "anthropic", False, "py_httpx_sync"),
    ("true", "anthropic", True, "py_aiohttp"),
    ("SPAN_ONLY", "openai", True, "py_requests"),
    ("span_only", "anthropic", False, "py_urllib"),
    ("SPAN_AND_EVENT", "openai", False, "py_httpx_async"),
    ("TRUE", "anthropic", True, "py_http_client"),
])
def test_content_on(run, mock, rcv, value, provider, stream, client):
    run_both(run, cmd_for(client, mock, provider=provider, stream=stream),
             env=env_for(mock, provider, value))
    span = one_exchange(rcv)
    inp = parse_json_attr(span, "gen_ai.input.messages")
    assert isinstance(inp, list) and inp, inp
    users = [m for m in inp if m.get("role") == "user"]
    assert len(users) == 1 and text_parts(users[0]) == [common.USER_TEXT], inp
    for m in inp:
        assert isinstance(m.get("parts"), list), m
    systems = [m for m in inp if m.get("role") == "system"]
    if provider == "anthropic" or not systems:
        sysi = parse_json_attr(span, "gen_ai.system_instructions")
        assert sysi == [{"type": "text", "content": common.SYSTEM_TEXT}], sysi
    else:
        assert text_parts(systems[0]) == [common.SYSTEM_TEXT], inp
    out = parse_json_attr(span, "gen_ai.output.messages")
    text = M.OPENAI_TEXT if provider == "openai" else M.ANTHROPIC_TEXT
    finish = "stop" if provider == "openai" else "end_turn"
    assert len(out) == 1, out
    assert out[0].get("role") == "assistant" and out[0].get("finish_reason") == finish, out
    assert out[0]["parts"] == [{"type": "text", "content": text}], out
    assert "gen_ai.tool.definitions" not in span["attrs"]


@pytest.mark.parametrize("value", [None, "", "false", "NO_CONTENT", "EVENT_ONLY", "1", "yes"])
def test_content_off(run, mock, rcv, value):
    run_both(run, cmd_for("py_http_client", mock, provider="anthropic", scenario="tools"),
             env=env_for(mock, "anthropic", value))
    span = one_exchange(rcv)
    for k in CONTENT_KEYS:
        assert k not in span["attrs"], "%s present with %s=%r" % (k, VAR, value)
    check_attrs(span, {"gen_ai.response.finish_reasons": ["tool_use"]})

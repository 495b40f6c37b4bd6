"""Shared argv parsing and request building for the integration-test clients.

Every client takes the same arguments, sends the same provider-shaped request and writes the
response body bytes it received to stdout (so runs with and without llmtap can be compared
byte for byte). Exit status: 0 on HTTP 2xx, 3 on HTTP >= 400; exceptions propagate (1).
"""

import argparse
import json
import sys

OPENAI_KEY = "sk-test-SECRET-openai-123"
ANTHROPIC_KEY = "sk-ant-test-SECRET-456"
OPENAI_MODEL = "gpt-4o-mini"
ANTHROPIC_MODEL = "claude-sonnet-4-5"
SYSTEM_TEXT = "You are a terse assistant."
USER_TEXT = "Say hello to the mock."


def parse(argv=None, extra=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="base URL, e.g. https://localhost:8443")
    ap.add_argument("--ca", required=True)
    ap.add_argument("--provider", choices=["openai", "anthropic"], default="openai")
    ap.add_argument("--stream", action="store_true")
    ap.add_argument("--no-usage", action="store_true", help="OpenAI stream without include_usage")
    ap.add_argument("--scenario", default="")
    ap.add_argument("--gzip", action="store_true", help="Accept-Encoding: gzip")
    ap.add_argument("--model", default=None)
    ap.add_argument("--path", default=None, help="override the request path")
    ap.add_argument("--minimal", action="store_true", help="no optional request parameters")
    ap.add_argument("--download", type=int, default=None, help="GET /download?bytes=N instead")
    if extra:
        extra(ap)
    return ap.parse_args(argv)


def build(a):
    """-> (method, path, headers dict, body bytes or None)."""
    enc = "gzip" if a.gzip else "identity"
    if a.download is not None:
        return "GET", "/download?bytes=%d" % a.download, {"Accept-Encoding": enc}, None
    headers = {"Content-Type": "application/json", "Accept-Encoding": enc,
               "User-Agent": "llmtap-integ-client/1"}
    if a.scenario:
        headers["x-mock-scenario"] = a.scenario
    tools = a.scenario == "tools"
    if a.provider == "openai":
        headers["Authorization"] = "Bearer " + OPENAI_KEY
        body = {"model": a.model or OPENAI_MODEL,
                "messages": [{"role": "system", "content": SYSTEM_TEXT},
                             {"role": "user", "content": USER_TEXT}]}
        if not a.minimal:
            body.update({"temperature": 0.25, "top_p": 0.5, "max_tokens": 128, "seed": 42,
                         "stop": ["END", "STOP"], "frequency_penalty": 0.5,
                         "presence_penalty": 0.25})
        if tools:
            body["tools"] = [{"type": "function", "function": {
                "name": "get_weather", "description": "Get the weather for a city.",
                "parameters": {"type": "object", "properties": {
                    "location": {"type": "string"}, "unit": {"type": "string"}},
                    "required": ["location"]}}}]
        if a.stream:
            body["stream"] = True
            if not a.no_usage:
                body["stream_options"] = {"include_usage": True}
        path = a.path or "/v1/chat/completions"
    else:
        headers["x-api-key"] = ANTHROPIC_KEY
        headers["anthropic-version"] = "2023-06-01"
        body = {"model": a.model or ANTHROPIC_MODEL, "max_tokens": 1024,
                "system": SYSTEM_TEXT,
                "messages": [{"role": "user", "content": USER_TEXT}]}
        if not a.minimal:
            body.update({"temperature": 0.25, "top_p": 0.5, "top_k": 5,
                         "stop_sequences": ["END", "STOP"]})
        if tools:
            body["tools"] = [{"name": "get_weather", "description": "Get the weather for a city.",
                              "input_schema": {"type": "object", "properties": {
                                  "location": {"type": "string"},
                                  "unit": {"type": "string"}}, "required": ["location"]}}]
        if a.scenario == "thinking":
            body["thinking"] = {"type": "enabled", "budget_tokens": 512}
            for k in ("temperature", "top_k", "top_p"):
                body.pop(k, None)
        if a.stream:
            body["stream"] = True
        path = a.path or "/v1/messages"
    return "POST", path, headers, json.dumps(body).encode()


def emit(data):
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def finish(status):
    sys.exit(0 if status < 400 else 3)

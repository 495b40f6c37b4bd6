"""Runs last (file order): no credential the clients sent ever reaches an export — not the
OTLP bodies the receiver got during the whole session (after gunzip), not a JSONL file, not
the console exporter's output, not llmtap's own log (LLMTAP_LOG, written to stderr), not the
client's stdout — with content capture on or off. The credentials are those the session's
clients send: OpenAI/Anthropic keys (HTTP/1.1 and HTTP/2 HPACK), Gemini's x-goog-api-key
and ?key= query parameter, Azure's api-key, Vertex's OAuth bearer, AWS SigV4
Authorization and x-amz-security-token, and a collector token in OTEL_EXPORTER_OTLP_HEADERS
(sent to the receiver as a header, never into a body or a log)."""

import os

import pytest

from integ_util import anthropic_env, cmd_for, exchange_spans, wait_exchanges
from replay_fixtures import curl_cmd as replay_curl
from replay_fixtures import py_cmd as replay_py

SECRETS = (
    b"sk-test-SECRET",      # OpenAI-style bearer keys: mock clients, replay tests, drivers
    b"sk-ant-test-SECRET",  # Anthropic x-api-key (mock clients)
    b"sk-ant-SECRET",       # Anthropic x-api-key (replay tests)
    b"sk-SECRET",
    b"AIza-SECRET",         # Gemini x-goog-api-key / ?key=
    b"azure-SECRET-key",    # Azure OpenAI api-key
    b"ya29.SECRET",         # Vertex AI OAuth bearer
    b"AKIDEXAMPLE",         # SigV4 Authorization: access key id ...
    b"Signature=0123abcd",  # ... and signature
    b"SECRET-session-token",  # x-amz-security-token
    b"collector-SECRET",    # OTEL_EXPORTER_OTLP_HEADERS value
)

OPENAI_AUTH = {"Authorization": "Bearer sk-test-SECRET-zz-h2"}
SIGV4 = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20241121/us-east-1/bedrock/"
                          "aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, "
                          "Signature=0123abcdef0123abcdef",
         "X-Amz-Date": "20241121T000000Z",
         "X-Amz-Security-Token": "FwoGZXIvYXdzEXAMPLE-SECRET-session-token"}
BEDROCK_HOST = "bedrock-runtime.us-east-1.amazonaws.com"
BEDROCK_MODEL = "anthropic.claude-3-5-sonnet-20240620-v1%3A0"
GEMINI_HOST = "generativelanguage.googleapis.com"
GEMINI_PATH = "/v1beta/models/gemini-2.0-flash:"
GEMINI_BODY = {"contents": [{"role": "user", "parts": [{"text": "Say hello."}]}]}
VERTEX_PATH = ("/v1/projects/llmtap-test/locations/us-central1/publishers/google/models/"
               "gemini-2.5-flash:generateContent")
MSGS = [{"role": "user", "content": "Say hello."}]
CHAT = {"model": "gpt-4o-mini", "messages": MSGS, "stream": True,
        "stream_options": {"include_usage": True}}
CONVERSE = {"messages": [{"role": "user", "content": [{"text": "Say hello."}]}]}


def replay_cases(rs):
    """Command lines against the replay server, one exchange each, every credential shape."""
    return [
        replay_curl(rs, "api.openai.com", "/v1/chat/completions", CHAT, OPENAI_AUTH,
                    http="--http2", stream=True),
        replay_py("httpx2", rs, "/v1/messages",
                  {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": MSGS},
                  {"x-api-key": "sk-ant-SECRET-zz-h2", "anthropic-version": "2023-06-01"}),
        replay_curl(rs, BEDROCK_HOST, "/model/%s/converse-stream" % BEDROCK_MODEL, CONVERSE,
                    SIGV4, stream=True),
        replay_curl(rs, BEDROCK_HOST, "/model/%s/invoke" % BEDROCK_MODEL,
                    {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 64,
                     "messages": MSGS}, SIGV4, http="--http2"),
        replay_curl(rs, GEMINI_HOST, GEMINI_PATH + "streamGenerateContent?alt=sse",
                    GEMINI_BODY, {"x-goog-api-key": "AIza-SECRET-zz-header"}, stream=True),
        replay_curl(rs, GEMINI_HOST, GEMINI_PATH + "generateContent?key=AIza-SECRET-zz-query",
                    GEMINI_BODY, http="--http2"),
        replay_curl(rs, "llmtap-test.openai.azure.com",
                    "/openai/deployments/gpt-4o-deploy/chat/completions?api-version=2024-10-21",
                    {"messages": MSGS}, {"api-key": "azure-SECRET-key-zz"}, http="--http2"),
        replay_curl(rs, "us-central1-aiplatform.googleapis.com", VERTEX_PATH, GEMINI_BODY,
                    {"Authorization": "Bearer ya29.SECRET-zz-vertex"}),
    ]


@pytest.mark.parametrize("content", [None, "true"])
def test_secret_bearing_replay_runs(run, replay, rcv, tmp_path, content):
    """HTTP/2 and HTTP/1.1 exchanges with every provider's credential shape, under every
    exporter, llmtap's debug log, gzip'd OTLP, a collector token in the OTLP headers and
    basic-auth credentials in the endpoint URL."""
    endpoint = rcv.endpoint.replace("://", "://otlp:collector-SECRET-pw@", 1)
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
           "OTEL_TRACES_EXPORTER": "otlp,console", "LLMTAP_LOG": "debug",
           "LLMTAP_FILE": str(tmp_path / "r.jsonl"),
           "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip" if content else "none",
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json" if content else "http/protobuf",
           "OTEL_EXPORTER_OTLP_HEADERS": "x-collector-token=collector-SECRET-hdr"}
    if content:
        env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = content
    cases = replay_cases(replay)
    for cmd in cases:
        r = run(cmd, env=env)
        assert r.rc == 0, (cmd, r.err[-2000:])
    spans = exchange_spans(wait_exchanges(rcv, len(cases)))
    assert len(spans) == len(cases), [s["name"] for s in spans]
    assert {s["attrs"]["gen_ai.provider.name"] for s in spans} == {
        "openai", "anthropic", "aws.bedrock", "gcp.gemini", "azure.ai.openai", "gcp.vertex_ai"}
    assert os.path.getsize(str(tmp_path / "r.jsonl")) > 0


@pytest.mark.parametrize("content", [None, "true"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_secret_bearing_runs(run, mock, rcv, tmp_path, provider, content):
    """Exchanges under every exporter with credentials in the request headers."""
    env = dict(anthropic_env(mock)) if provider == "anthropic" else {}
    env["OTEL_TRACES_EXPORTER"] = "otlp,console"
    env["LLMTAP_LOG"] = "debug"
    env["LLMTAP_FILE"] = str(tmp_path / "s.jsonl")
    if content:
        env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] = content
    for scenario, stream in (("tools", True), ("", False), ("error-429", False)):
        run(cmd_for("py_http_client", mock, provider=provider, stream=stream,
                    scenario=scenario), env=env)
    for proto in ("http/json", "http/protobuf"):
        env["OTEL_EXPORTER_OTLP_PROTOCOL"] = proto
        run(cmd_for("curl", mock, provider=provider), env=env)
    assert len(exchange_spans(wait_exchanges(rcv, 5))) == 5


def test_no_secret_anywhere(receiver_server, session_log):
    if session_log.runs == 0:
        pytest.skip("no run with llmtap in this session")
    assert receiver_server.all_raw, "the receiver got nothing in the whole session"
    for i, raw in enumerate(receiver_server.all_raw):
        for s in SECRETS:
            assert s not in raw, "secret %r in OTLP request #%d" % (s, i)
    for path in sorted(session_log.files):
        if os.path.exists(path):
            data = open(path, "rb").read()
            for s in SECRETS:
                assert s not in data, "secret %r in %s" % (s, path)
    for i, err in enumerate(session_log.stderr):
        for s in SECRETS:
            assert s.decode() not in err, "secret %r in the stderr of run #%d" % (s, i)
    for i, out in enumerate(session_log.stdout_agent):
        for s in SECRETS:
            assert s not in out, "secret %r in the stdout of run #%d" % (s, i)

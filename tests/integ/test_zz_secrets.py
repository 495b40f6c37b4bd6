"""Runs last (file order): no credential the clients sent ever reaches an export — not the
OTLP bodies the receiver got during the whole session (after gunzip), not a JSONL file, not
the console output — with content capture on or off."""

import os

import pytest

from integ_util import anthropic_env, cmd_for, exchange_spans, wait_exchanges

SECRETS = (b"sk-test-SECRET", b"sk-ant-test-SECRET")


@pytest.mark.parametrize("content", [None, "true"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_secret_bearing_runs(run, mock, rcv, tmp_path, provider, content):
    """Exchanges under every exporter with credentials in the request headers."""
    env = dict(anthropic_env(mock)) if provider == "anthropic" else {}
    env["OTEL_TRACES_EXPORTER"] = "otlp,console"
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

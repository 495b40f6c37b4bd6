"""GnuTLS clients: Debian's wget (linked with libgnutls) against the replay mock over TLS
(HTTP/1.1). wget has no --resolve, so the mock is reached as localhost and mapped with
LLMTAP_PROVIDERS."""

import shutil
import subprocess

import pytest

import replay_server as R
from integ_util import one_exchange, run_both
from replay_fixtures import assert_span, body_file

pytestmark = pytest.mark.skipif(shutil.which("wget") is None, reason="wget not installed")


def wget_uses_gnutls():
    out = subprocess.run(["ldd", shutil.which("wget")], capture_output=True, text=True).stdout
    return "libgnutls" in out


def wget_cmd(replay, path, body, headers, compression=None):
    cmd = ["wget", "-q", "-O", "-", "--ca-certificate", replay.ca, "--post-file",
           body_file(body), "--header", "Content-Type: application/json"]
    for k, v in headers.items():
        cmd += ["--header", "%s: %s" % (k, v)]
    if compression:
        cmd.append("--compression=" + compression)
    return cmd + ["https://localhost:%d%s" % (replay.port, path)]


AUTH = {"Authorization": "Bearer sk-test-SECRET-replay-wget"}
CHAT = "/v1/chat/completions"


def chat(stream):
    b = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello."}],
         "temperature": 0.5, "max_tokens": 64}
    if stream:
        b.update({"stream": True, "stream_options": {"include_usage": True}})
    return b


def test_wget_is_gnutls():
    assert wget_uses_gnutls(), "this wget does not use GnuTLS: the tests below prove nothing"


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_wget_openai_chat(run, replay, rcv, stream):
    body = chat(stream)
    env = {"LLMTAP_PROVIDERS": "localhost:%d=openai" % replay.port}
    r = run_both(run, wget_cmd(replay, CHAT, body, AUTH), env=env)
    assert r.rc == 0, r.err
    rel, streamed = R.route("POST", CHAT, body)[1:]
    assert r.out == R.body_of(rel, streamed)
    assert replay.requests[-1]["proto"] == "http/1.1"
    span = one_exchange(rcv)
    assert_span(span, "openai_chat", CHAT, body, rel, streamed, "openai", "localhost",
                replay.port, {"gen_ai.request.temperature": 0.5,
                              "gen_ai.request.max_tokens": 64})
    # wget hands GnuTLS its socket: the peer is known.
    assert span["attrs"].get("network.peer.address") == "127.0.0.1", span["attrs"]
    assert span["attrs"].get("network.peer.port") == replay.port


def test_wget_openai_chat_gzip(run, replay, rcv):
    """wget --compression=gzip decodes; llmtap decodes its own copy."""
    body = chat(True)
    env = {"LLMTAP_PROVIDERS": "localhost:%d=openai" % replay.port}
    r = run_both(run, wget_cmd(replay, CHAT, body, AUTH, compression="gzip"), env=env)
    assert r.rc == 0, r.err
    rel, streamed = R.route("POST", CHAT, body)[1:]
    assert r.out == R.body_of(rel, streamed)
    assert R.choose_encoding(replay.requests[-1]["headers"]) == "gzip"
    assert_span(one_exchange(rcv), "openai_chat", CHAT, body, rel, streamed, "openai",
                "localhost", replay.port)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_wget_anthropic(run, replay, rcv, stream):
    path = "/v1/messages"
    body = {"model": "claude-sonnet-4-5", "max_tokens": 1024,
            "messages": [{"role": "user", "content": "Say hello."}]}
    if stream:
        body["stream"] = True
    env = {"LLMTAP_PROVIDERS": "localhost:%d=anthropic" % replay.port}
    r = run_both(run, wget_cmd(replay, path, body, {"x-api-key": "sk-ant-SECRET-wget",
                                                    "anthropic-version": "2023-06-01"}),
                 env=env)
    assert r.rc == 0, r.err
    rel, streamed = R.route("POST", path, body)[1:]
    assert r.out == R.body_of(rel, streamed)
    assert_span(one_exchange(rcv), "anthropic_messages", path, body, rel, streamed,
                "anthropic", "localhost", replay.port, {"gen_ai.request.max_tokens": 1024})


def test_wget_gemini_sse(run, replay, rcv):
    path = "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"
    body = {"contents": [{"role": "user", "parts": [{"text": "Say hello."}]}],
            "generationConfig": {"temperature": 0.5, "maxOutputTokens": 256}}
    env = {"LLMTAP_PROVIDERS": "localhost:%d=gcp.gemini" % replay.port}
    r = run_both(run, wget_cmd(replay, path, body, {"x-goog-api-key": "AIza-SECRET-wget"}),
                 env=env)
    assert r.rc == 0, r.err
    rel, streamed = R.route("POST", path, body)[1:]
    assert r.out == R.body_of(rel, streamed)
    assert_span(one_exchange(rcv), "gemini", path, body, rel, True, "gcp.gemini", "localhost",
                replay.port, {"gen_ai.request.temperature": 0.5,
                              "gen_ai.request.max_tokens": 256})


def test_wget_error_429(run, replay, rcv):
    """An HTTP error over GnuTLS: wget exits 8, the span is failed with error.type 429."""
    from integ_util import STATUS_ERROR, check_attrs, describe
    body = chat(False)
    hdrs = dict(AUTH, **{"x-mock-fixture": "openai/error_429.json", "x-mock-status": "429"})
    env = {"LLMTAP_PROVIDERS": "localhost:%d=openai" % replay.port}
    r = run_both(run, wget_cmd(replay, CHAT, body, hdrs), env=env)
    assert r.rc == 8, r.err
    span = one_exchange(rcv)
    assert span["status_code"] == STATUS_ERROR, describe(span)
    check_attrs(span, {"error.type": "429", "http.response.status_code": 429,
                       "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
                       "server.address": "localhost", "server.port": replay.port})

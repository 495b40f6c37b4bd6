"""One CLIENT span per exchange, with the exact GenAI attributes (SPEC.md "Inference span"),
for every client library × {OpenAI, Anthropic} × {non-stream, stream}; the client's bytes and
exit status are the same with and without llmtap."""


import pytest

import mock_provider as M
from integ_util import (ALL_CLIENTS, CONTENT_KEYS, anthropic_env, assert_exchange,
                        assert_in_window, check_attrs, cmd_for, curl_cmd, exchange_spans,
                        one_exchange, py_cmd, run_both)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("client", ALL_CLIENTS)
def test_exchange_span(run, mock, rcv, client, provider, stream):
    env = anthropic_env(mock) if provider == "anthropic" else None
    r = run_both(run, cmd_for(client, mock, provider=provider, stream=stream), env=env)
    assert r.rc == 0, r.err
    span = one_exchange(rcv)
    assert_exchange(span, provider, stream, "localhost", mock.port)
    assert_in_window(span, r)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_anthropic_detected_by_host(run, mock, rcv, stream):
    """api.anthropic.com (curl --resolve to the mock) needs no LLMTAP_PROVIDERS."""
    run_both(run, curl_cmd(mock, provider="anthropic", stream=stream,
                           resolve_host="api.anthropic.com"))
    span = one_exchange(rcv)
    assert_exchange(span, "anthropic", stream, "api.anthropic.com", mock.port)


def test_openai_detected_by_host(run, mock, rcv):
    run_both(run, curl_cmd(mock, provider="openai", resolve_host="api.openai.com"))
    assert_exchange(one_exchange(rcv), "openai", False, "api.openai.com", mock.port)


def test_anthropic_shape_on_unknown_host(run, mock, rcv):
    """Exactly /v1/messages on an unknown host is the Anthropic API shape: traced with the
    documented fallback provider "anthropic" (genai.h, lt_genai_detect rule 3)."""
    run_both(run, py_cmd("py_http_client", mock, provider="anthropic"))
    assert_exchange(one_exchange(rcv), "anthropic", False, "localhost", mock.port)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_openai_extras(run, mock, rcv, stream):
    run_both(run, py_cmd("py_http_client", mock, stream=stream))
    check_attrs(one_exchange(rcv), {
        "openai.api.type": "chat_completions",
        "openai.response.system_fingerprint": M.OPENAI_FINGERPRINT,
        "openai.response.service_tier": M.OPENAI_SERVICE_TIER,
    })


def test_openai_stream_without_usage_has_no_usage(run, mock, rcv):
    """Never invent usage the provider did not send (no stream_options.include_usage)."""
    run_both(run, py_cmd("py_requests", mock, stream=True, extra=["--no-usage"]))
    span = one_exchange(rcv)
    assert_exchange(span, "openai", True, "localhost", mock.port, include_usage=False)


def test_minimal_request_has_no_request_params(run, mock, rcv):
    run_both(run, py_cmd("py_http_client", mock, extra=["--minimal"]))
    span = one_exchange(rcv)
    assert_exchange(span, "openai", False, "localhost", mock.port, minimal=True)
    for k in ("temperature", "top_p", "max_tokens", "seed", "stop_sequences", "top_k",
              "frequency_penalty", "presence_penalty", "choice.count"):
        assert "gen_ai.request." + k not in span["attrs"], k


def test_model_is_echoed_in_name(run, mock, rcv):
    run_both(run, py_cmd("py_http_client", mock, model="gpt-4.1-nano"))
    span = one_exchange(rcv)
    assert_exchange(span, "openai", False, "localhost", mock.port, model="gpt-4.1-nano")


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_curl_output_file_identical(run, mock, rcv, tmp_path, stream):
    outs = []
    for agent in (False, True):
        f = str(tmp_path / ("out-%d" % agent))
        r = run(curl_cmd(mock, stream=stream, out_file=f), agent=agent)
        assert r.rc == 0, r.err
        outs.append(open(f, "rb").read())
    assert outs[0] == outs[1] and len(outs[0]) > 0
    assert_exchange(one_exchange(rcv), "openai", stream, "localhost", mock.port)


def test_content_is_off_by_default(run, mock, rcv):
    run_both(run, py_cmd("py_http_client", mock, provider="anthropic", scenario="tools"),
             env=anthropic_env(mock))
    span = one_exchange(rcv)
    for k in CONTENT_KEYS:
        assert k not in span["attrs"], k


@pytest.mark.parametrize("client,has_socket", [("py_http_client", True), ("py_requests", True),
                                               ("curl", False), ("py_httpx_async", False)])
def test_network_peer(run, mock, rcv, client, has_socket):
    """network.peer.* is the real peer of the socket behind the SSL object. curl attaches its
    own BIO and asyncio a memory BIO: SSL_get_fd has no socket, so the attributes are absent
    rather than guessed."""
    from integ_util import cmd_for, one_exchange
    run_both(run, cmd_for(client, mock))
    span = one_exchange(rcv)
    if has_socket:
        assert span["attrs"].get("network.peer.address") == "127.0.0.1", span["attrs"]
        assert span["attrs"].get("network.peer.port") == mock.port
    else:
        assert "network.peer.address" not in span["attrs"]
        assert "network.peer.port" not in span["attrs"]

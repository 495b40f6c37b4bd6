"""Plain-text HTTP to local model servers: a vLLM/llama.cpp-style OpenAI-compatible server
(/v1/chat/completions, streamed and not) and an Ollama-style server (/api/chat and
/api/generate, NDJSON streams) reached with curl, http.client and requests; non-LLM plain
HTTP makes no span."""

import socket
import time

import pytest

import replay_server as R
from integ_util import describe, exchange_spans, one_exchange, run_both
from replay_fixtures import assert_span, curl_cmd, py_cmd

CHAT = "/v1/chat/completions"
LOCAL = "127.0.0.1"
CLIENTS = ["curl", "http.client", "requests"]


def cmd(client, server, path, body, headers=None, stream=False):
    if client == "curl":
        return curl_cmd(server, LOCAL, path, body, headers, http=None, stream=stream)
    return py_cmd(client, server, path, body, headers)


def chat(stream):
    b = {"model": "Qwen/Qwen2.5-1.5B-Instruct",
         "messages": [{"role": "user", "content": "Say hello."}],
         "temperature": 0.5, "max_tokens": 64}
    if stream:
        b.update({"stream": True, "stream_options": {"include_usage": True}})
    return b


def check_peer(span, port):
    """A plain socket is always there: network.peer.* is the real peer."""
    assert span["attrs"].get("network.peer.address") == LOCAL, describe(span)
    assert span["attrs"].get("network.peer.port") == port, describe(span)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("client", CLIENTS)
def test_openai_compatible_local_server(run, replay_plain, rcv, client, stream):
    """Any host with a .../chat/completions path is OpenAI chat (provider "openai")."""
    body = chat(stream)
    r = run_both(run, cmd(client, replay_plain, CHAT, body, stream=stream))
    assert r.rc == 0, r.err
    rel, streamed = R.route("POST", CHAT, body)[1:]
    assert r.out == R.body_of(rel, streamed)
    assert replay_plain.requests[-1]["proto"] == "http/1.1"
    span = one_exchange(rcv)
    assert_span(span, "openai_chat", CHAT, body, rel, streamed, "openai", LOCAL,
                replay_plain.port, {"gen_ai.request.temperature": 0.5,
                                    "gen_ai.request.max_tokens": 64})
    check_peer(span, replay_plain.port)


OLLAMA = {
    "chat": ("ollama_chat", "/api/chat",
             {"model": "llama3.2", "messages": [{"role": "user", "content": "Say hello."}],
              "options": {"temperature": 0.5}}),
    "generate": ("ollama_generate", "/api/generate",
                 {"model": "llama3.2", "prompt": "Why is the sky blue?",
                  "options": {"temperature": 0.5}}),
}


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "ndjson"])
@pytest.mark.parametrize("kind", list(OLLAMA))
@pytest.mark.parametrize("client", CLIENTS)
def test_ollama(run, replay_plain, rcv, client, kind, stream):
    """Ollama's native API: streams NDJSON unless "stream": false."""
    api, path, body = OLLAMA[kind]
    if not stream:
        body = dict(body, stream=False)
    env = {"LLMTAP_PROVIDERS": "%s:%d=ollama" % (LOCAL, replay_plain.port)}
    r = run_both(run, cmd(client, replay_plain, path, body, stream=stream), env=env)
    assert r.rc == 0, r.err
    rel, streamed = R.route("POST", path, body)[1:]
    assert streamed == stream
    assert r.out == R.body_of(rel, streamed)
    span = one_exchange(rcv)
    assert_span(span, api, path, body, rel, streamed, "ollama", LOCAL, replay_plain.port,
                {"gen_ai.request.temperature": 0.5})
    check_peer(span, replay_plain.port)


def test_ollama_default_port(run, rcv):
    """An Ollama server on its default port 11434 is recognised without configuration."""
    from replay_server import ReplayServer
    try:
        srv = ReplayServer(port=11434).start()
    except OSError:
        pytest.skip("port 11434 is in use")
    srv.ca = None
    try:
        api, path, body = OLLAMA["chat"]
        r = run_both(run, curl_cmd(srv, "localhost", path, body, stream=True, http=None))
        assert r.rc == 0, r.err
        rel, streamed = R.route("POST", path, body)[1:]
        span = one_exchange(rcv)
        assert_span(span, api, path, body, rel, streamed, "ollama", "localhost", 11434,
                    {"gen_ai.request.temperature": 0.5})
    finally:
        srv.stop()


@pytest.mark.parametrize("client", CLIENTS)
def test_plain_download_makes_no_span(run, replay_plain, rcv, client):
    """Non-LLM plain HTTP (a 1 MiB GET) passes untouched and makes no span."""
    n = 1 << 20
    path = "/download?bytes=%d" % n
    if client == "curl":
        c = ["curl", "-sS", "http://%s:%d%s" % (LOCAL, replay_plain.port, path)]
    else:
        c = py_cmd(client, replay_plain, path, None, method="GET")
    r = run_both(run, c)
    assert r.rc == 0, r.err
    assert len(r.out) == n
    time.sleep(0.5)
    assert exchange_spans(rcv.spans()) == []
    assert rcv.requests == [], "a process that traced no exchange exports nothing"


def test_plain_unknown_post_makes_no_span(run, replay_plain, rcv):
    r = run_both(run, curl_cmd(replay_plain, LOCAL, "/v1/unknown", {"model": "x"}, http=None))
    assert r.rc == 0, r.err
    time.sleep(0.5)
    assert rcv.requests == []


def test_plain_socket_echo_untouched(run, rcv):
    """A non-HTTP TCP exchange (bytes that merely look like JSON) is left alone."""
    ls = socket.socket()
    ls.bind((LOCAL, 0))
    ls.listen(4)
    port = ls.getsockname()[1]
    import threading

    def serve():
        for _ in range(2):
            try:
                c, _ = ls.accept()
            except OSError:
                return
            d = c.recv(65536)
            c.sendall(d[::-1])
            c.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    prog = ("import socket,sys; s=socket.create_connection(('127.0.0.1',%d)); "
            "s.sendall(b'{\"model\":\"gpt-4o\",\"messages\":[]}\\n'); "
            "sys.stdout.buffer.write(s.recv(65536))" % port)
    r = run_both(run, ["/usr/bin/python3", "-c", prog])
    ls.close()
    assert r.rc == 0 and r.out.endswith(b"{"), r.out
    time.sleep(0.5)
    assert rcv.requests == []


@pytest.mark.parametrize("client", ["curl", "requests"])
def test_ollama_tools_stream(run, replay_plain, rcv, client):
    """Ollama's own tool-call stream fixture (x-mock-fixture), NDJSON over plain HTTP."""
    import os
    rel = "ollama/tools_stream.ndjson"
    if not os.path.isfile(R.fixture_path(rel)):
        pytest.skip("fixture %s not written yet" % rel)
    api, path, body = OLLAMA["chat"]
    body = dict(body, tools=[{"type": "function", "function": {
        "name": "get_weather", "parameters": {"type": "object", "properties": {
            "city": {"type": "string"}}}}}])
    env = {"LLMTAP_PROVIDERS": "%s:%d=ollama" % (LOCAL, replay_plain.port)}
    r = run_both(run, cmd(client, replay_plain, path, body, {"x-mock-fixture": rel},
                          stream=True), env=env)
    assert r.rc == 0, r.err
    assert r.out == R.body_of(rel, True)
    span = one_exchange(rcv)
    assert_span(span, api, path, body, rel, True, "ollama", LOCAL, replay_plain.port,
                {"gen_ai.request.temperature": 0.5})

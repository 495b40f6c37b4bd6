"""HTTP/2 (ALPN h2, served by python3-h2): several streams on one connection give one span
per stream; curl --parallel multiplexes concurrent streams whose DATA frames the mock
interleaves; streamed SSE over h2; RST_STREAM mid-body gives a failed span; httpx with
http2=True."""

import os

import pytest

import replay_server as R
from integ_util import (STATUS_ERROR, describe, exchange_spans, one_exchange, run_both,
                        wait_exchanges)
from replay_fixtures import assert_span, body_file, curl_cmd, py_cmd

AUTH = {"Authorization": "Bearer sk-test-SECRET-replay-h2"}
HOST = "api.openai.com"
CHAT = "/v1/chat/completions"


def chat(stream=False, model="gpt-4o-mini"):
    b = {"model": model, "messages": [{"role": "user", "content": "Say hello."}],
         "temperature": 0.5, "max_tokens": 64}
    if stream:
        b.update({"stream": True, "stream_options": {"include_usage": True}})
    return b


EMB = {"model": "text-embedding-3-small", "input": "The food was delicious",
       "encoding_format": "float", "dimensions": 8}


def transfer(body, path=CHAT, headers=None):
    """curl arguments for one transfer (between --next separators)."""
    args = ["-X", "POST", "-H", "Content-Type: application/json"]
    for k, v in dict(AUTH, **(headers or {})).items():
        args += ["-H", "%s: %s" % (k, v)]
    return args + ["--data-binary", "@" + body_file(body)]


def h2_base(replay, extra=()):
    return ["curl", "-sS", "--http2", "--cacert", replay.ca, "--resolve",
            "%s:%d:127.0.0.1" % (HOST, replay.port)] + list(extra)


def url(replay, path):
    return "https://%s:%d%s" % (HOST, replay.port, path)


def h2_requests(replay):
    """The requests the mock saw (the run without llmtap may have been cached) were all
    HTTP/2."""
    reqs = replay.requests
    assert reqs and all(q["proto"] == "h2" for q in reqs), [q["proto"] for q in reqs]
    return reqs


def check_by_response_id(spans, expected, port):
    """expected: list of (api, path, body, fixture, streamed). Each span matched on its
    response id / model to the exchange it describes, then asserted in full."""
    assert len(spans) == len(expected), [s["name"] for s in spans]
    assert len({s["span_id"] for s in spans}) == len(spans), "span ids are not distinct"
    left = list(spans)
    for api, path, body, rel, streamed in expected:
        from replay_fixtures import expected_response
        want = expected_response(api, rel, streamed)
        key = "gen_ai.response.id" if "gen_ai.response.id" in want else "gen_ai.response.model"
        cands = [s for s in left if s["attrs"].get(key) == want[key]
                 and (s["attrs"].get("gen_ai.request.stream") is True) == streamed]
        assert cands, "no span for %s %s (%s=%r) in %s" % (
            api, rel, key, want[key], [describe(s) for s in left])
        s = cands[0]
        left.remove(s)
        assert_span(s, api, path, body, rel, streamed, "openai", HOST, port)



def test_several_streams_one_connection(run, replay, rcv):
    """curl --http2 with three transfers (--next): one connection, streams 1, 3, 5, one span
    per stream, distinct span ids, the same server and peer."""
    cmd = h2_base(replay) + transfer(chat()) + [url(replay, CHAT), "--next"] + \
        h2_base(replay)[2:] + transfer(chat(True)) + ["-N", url(replay, CHAT), "--next"] + \
        h2_base(replay)[2:] + transfer(EMB, "/v1/embeddings") + [url(replay, "/v1/embeddings")]
    r = run_both(run, cmd)
    assert r.rc == 0, r.err
    plain_fx, stream_fx = R.route("POST", CHAT, chat())[1], R.route("POST", CHAT, chat(True))[1]
    emb_fx = R.route("POST", "/v1/embeddings", EMB)[1]
    assert r.out == R.body_of(plain_fx, False) + R.body_of(stream_fx) + R.body_of(emb_fx, False)
    reqs = replay.requests[-3:]
    assert [q["proto"] for q in reqs] == ["h2"] * 3, reqs
    assert len({q["conn"] for q in reqs}) == 1, "curl should reuse its HTTP/2 connection"
    assert [q["stream"] for q in reqs] == [1, 3, 5]
    spans = exchange_spans(wait_exchanges(rcv, 3))
    check_by_response_id(spans, [
        ("openai_chat", CHAT, chat(), plain_fx, False),
        ("openai_chat", CHAT, chat(True), stream_fx, True),
        ("openai_embeddings", "/v1/embeddings", EMB, emb_fx, False)], replay.port)
    peers = {(s["attrs"].get("network.peer.address"), s["attrs"].get("network.peer.port"))
             for s in spans}
    assert len(peers) == 1, peers
    assert len({s["trace_id"] for s in spans}) == 1


@pytest.mark.threads
@pytest.mark.parametrize("immediate", [False, True], ids=["multiplexed", "immediate"])
def test_parallel(run, replay, rcv, tmp_path, immediate):
    """curl --parallel: four concurrent streamed transfers. Without --parallel-immediate curl
    multiplexes them on one connection, where the mock interleaves their DATA frames."""
    n = 4
    outs = [str(tmp_path / ("out%d" % i)) for i in range(n)]
    cmd = h2_base(replay, ["--parallel"] + (["--parallel-immediate"] if immediate else []))
    cmd += transfer(chat(True), headers={"x-mock-pace": "0.01"}) + ["-N"]
    for o in outs:
        cmd += ["-o", o, url(replay, CHAT)]
    r = run_both(run, cmd)
    assert r.rc == 0, r.err
    fx = R.route("POST", CHAT, chat(True))[1]
    for o in outs:
        assert open(o, "rb").read() == R.body_of(fx)
    reqs = replay.requests[-n:]
    assert all(q["proto"] == "h2" for q in reqs)
    if not immediate:
        assert len({q["conn"] for q in reqs}) == 1, [q["conn"] for q in reqs]
    spans = exchange_spans(wait_exchanges(rcv, n))
    assert len(spans) == n, [s["name"] for s in spans]
    assert len({s["span_id"] for s in spans}) == n
    for s in spans:
        assert_span(s, "openai_chat", CHAT, chat(True), fx, True, "openai", HOST, replay.port)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_stream_over_h2(run, replay, rcv, provider):
    if provider == "openai":
        host, path, body, api, hdrs = HOST, CHAT, chat(True), "openai_chat", AUTH
    else:
        host, path, api = "api.anthropic.com", "/v1/messages", "anthropic_messages"
        body = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "stream": True,
                "messages": [{"role": "user", "content": "Say hello."}]}
        hdrs = {"x-api-key": "sk-ant-SECRET-h2", "anthropic-version": "2023-06-01"}
    r = run_both(run, curl_cmd(replay, host, path, body, hdrs, http="--http2", stream=True))
    assert r.rc == 0, r.err
    fx = R.route("POST", path, body)[1]
    assert r.out == R.body_of(fx)
    h2_requests(replay)
    assert_span(one_exchange(rcv), api, path, body, fx, True, provider, host, replay.port,
                {"gen_ai.request.max_tokens": body["max_tokens"]})


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_rst_stream(run, replay, rcv, stream):
    """The mock resets the stream (RST_STREAM INTERNAL_ERROR) after half of the body: curl
    fails (92) and the span is failed with error.type = the reset's error code name."""
    body = chat(stream)
    hdrs = dict(AUTH, **{"x-mock-scenario": "rst"})
    if not stream:
        hdrs["x-mock-framing"] = "chunked"
    r = run_both(run, curl_cmd(replay, HOST, CHAT, body, hdrs, http="--http2", stream=stream))
    assert r.rc == 92, r.err
    span = one_exchange(rcv)
    assert span["status_code"] == STATUS_ERROR, describe(span)
    assert span["attrs"].get("error.type") == "INTERNAL_ERROR", describe(span)
    assert span["status_message"] == "HTTP/2 stream reset (INTERNAL_ERROR)", describe(span)
    assert span["name"] == "chat gpt-4o-mini", describe(span)
    assert span["attrs"].get("gen_ai.provider.name") == "openai"
    assert span["attrs"].get("server.address") == HOST
    assert span["attrs"].get("server.port") == replay.port


def test_rst_then_next_stream_ok(run, replay, rcv):
    """A reset stream does not disturb the next stream on the same connection."""
    cmd = h2_base(replay) + transfer(chat(True), headers={"x-mock-scenario": "rst"}) + \
        ["-N", url(replay, CHAT), "--next"] + h2_base(replay)[2:] + transfer(chat()) + \
        [url(replay, CHAT)]
    r = run_both(run, cmd)
    spans = exchange_spans(wait_exchanges(rcv, 2))
    assert len(spans) == 2, [describe(s) for s in spans]
    failed = [s for s in spans if s["status_code"] == STATUS_ERROR]
    ok = [s for s in spans if s["status_code"] != STATUS_ERROR]
    assert len(failed) == 1 and len(ok) == 1, [describe(s) for s in spans]
    fx = R.route("POST", CHAT, chat())[1]
    assert_span(ok[0], "openai_chat", CHAT, chat(), fx, False, "openai", HOST, replay.port)
    assert "(92)" in r.err, r.err


def _httpx_h2_works():
    try:
        import h2  # noqa: F401
        import httpx
        httpx.Client(http2=True).close()
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.mark.skipif(not _httpx_h2_works(), reason="httpx without HTTP/2 support")
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_httpx_http2(run, replay, rcv, stream):
    body = chat(stream)
    env = {"LLMTAP_PROVIDERS": "localhost:%d=openai" % replay.port}
    r = run_both(run, py_cmd("httpx2", replay, CHAT, body, AUTH), env=env)
    assert r.rc == 0, r.err
    assert "http_version=HTTP/2" in r.err, r.err
    h2_requests(replay)
    fx = R.route("POST", CHAT, body)[1]
    assert r.out == R.body_of(fx, stream)
    span = one_exchange(rcv)
    assert_span(span, "openai_chat", CHAT, body, fx, stream, "openai", "localhost", replay.port,
                {"gen_ai.request.temperature": 0.5, "gen_ai.request.max_tokens": 64})


def test_h2_interleaving_is_real(replay):
    """Self-check of the mock: two concurrent streams on one connection receive DATA
    frames alternately (no agent involved)."""
    import socket
    import ssl

    import h2.connection
    import h2.events
    ctx = ssl.create_default_context(cafile=replay.ca)
    ctx.set_alpn_protocols(["h2"])
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", replay.port)),
                        server_hostname="localhost")
    assert s.selected_alpn_protocol() == "h2"
    c = h2.connection.H2Connection()
    c.initiate_connection()
    data = open(body_file(chat(True)), "rb").read()
    for sid in (1, 3):
        c.send_headers(sid, [(":method", "POST"), (":path", CHAT), (":scheme", "https"),
                             (":authority", "localhost"), ("content-type", "application/json")])
        c.send_data(sid, data, end_stream=True)
    s.sendall(c.data_to_send())
    order, ended = [], set()
    while len(ended) < 2:
        d = s.recv(65536)
        assert d
        for ev in c.receive_data(d):
            if isinstance(ev, h2.events.DataReceived):
                order.append(ev.stream_id)
                c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
            elif isinstance(ev, h2.events.StreamEnded):
                ended.add(ev.stream_id)
        s.sendall(c.data_to_send())
    s.close()
    switches = sum(1 for a, b in zip(order, order[1:]) if a != b)
    assert switches >= 4, order
    assert os.path.exists(replay.ca)


def test_h2_download_makes_no_span(run, replay, rcv):
    """Non-LLM traffic over HTTP/2 (a 1 MiB GET, past the flow-control windows) is passed
    through byte for byte and makes no span."""
    import hashlib
    import time
    n = 1 << 20
    r = run_both(run, h2_base(replay) + [url(replay, "/download?bytes=%d" % n)])
    assert r.rc == 0, r.err
    pattern = bytes((i * 7 + 3) % 251 for i in range(251))
    want = (pattern * (n // 251 + 1))[:n]
    assert hashlib.sha256(r.out).digest() == hashlib.sha256(want).digest()
    h2_requests(replay)
    time.sleep(0.5)
    assert exchange_spans(rcv.spans()) == []

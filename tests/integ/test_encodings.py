"""brotli- and zstd-compressed responses (plus gzip for comparison), streamed and not, over
HTTP/1.1 and HTTP/2: curl --compressed, Python requests (urllib3 decodes br) and
http.client (no decoding at all: llmtap must decode what the client never does)."""

import pytest

import replay_server as R
from integ_util import one_exchange, run_both
from replay_fixtures import assert_span, curl_cmd, py_cmd

AUTH = {"Authorization": "Bearer sk-test-SECRET-replay-enc"}
HOST = "api.openai.com"
CHAT = "/v1/chat/completions"
REQ = {"gen_ai.request.temperature": 0.5, "gen_ai.request.max_tokens": 64}


def chat(stream=False):
    b = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello."}],
         "temperature": 0.5, "max_tokens": 64}
    if stream:
        b.update({"stream": True, "stream_options": {"include_usage": True}})
    return b


def served(body):
    r = R.route("POST", CHAT, body)
    return r[1], r[2]


def sent_encoding(replay, enc):
    """The mock answered with Content-Encoding enc (checked on what the client asked)."""
    q = replay.requests[-1]
    assert R.choose_encoding(q["headers"]) == enc, q["headers"]


@pytest.mark.parametrize("http", ["--http1.1", "--http2"])
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("enc", ["br", "zstd", "gzip"])
def test_curl_compressed_forced(run, replay, rcv, enc, stream, http):
    body = chat(stream)
    hdrs = dict(AUTH, **{"x-mock-encoding": enc})
    r = run_both(run, curl_cmd(replay, HOST, CHAT, body, hdrs, http=http, stream=stream,
                               compressed=True))
    assert r.rc == 0, r.err
    rel, streamed = served(body)
    assert r.out == R.body_of(rel, streamed)  # curl decoded it
    sent_encoding(replay, enc)
    assert_span(one_exchange(rcv), "openai_chat", CHAT, body, rel, streamed, "openai", HOST,
                replay.port, REQ)


@pytest.mark.parametrize("enc", ["br", "zstd"])
def test_curl_accept_encoding_negotiated(run, replay, rcv, enc):
    """The mock picks the encoding from the client's Accept-Encoding (nothing forced)."""
    body = chat(True)
    hdrs = dict(AUTH, **{"Accept-Encoding": enc})
    r = run_both(run, curl_cmd(replay, HOST, CHAT, body, hdrs, stream=True, compressed=True))
    assert r.rc == 0, r.err
    rel, streamed = served(body)
    assert r.out == R.body_of(rel, streamed)
    sent_encoding(replay, enc)
    assert_span(one_exchange(rcv), "openai_chat", CHAT, body, rel, True, "openai", HOST,
                replay.port, REQ)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("enc", ["br", "zstd"])
def test_anthropic_compressed_h2(run, replay, rcv, enc, stream):
    body = {"model": "claude-sonnet-4-5", "max_tokens": 1024,
            "messages": [{"role": "user", "content": "Say hello."}]}
    if stream:
        body["stream"] = True
    hdrs = {"x-api-key": "sk-ant-SECRET-enc", "anthropic-version": "2023-06-01",
            "x-mock-encoding": enc}
    path = "/v1/messages"
    r = run_both(run, curl_cmd(replay, "api.anthropic.com", path, body, hdrs, http="--http2",
                               stream=stream, compressed=True))
    assert r.rc == 0, r.err
    rel, streamed = R.route("POST", path, body)[1:]
    assert r.out == R.body_of(rel, streamed)
    assert_span(one_exchange(rcv), "anthropic_messages", path, body, rel, streamed, "anthropic",
                "api.anthropic.com", replay.port, {"gen_ai.request.max_tokens": 1024})


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_requests_brotli(run, replay, rcv, stream):
    """Python requests (urllib3 1.26 + brotli) asks for br and decodes it."""
    body = chat(stream)
    env = {"LLMTAP_PROVIDERS": "localhost:%d=openai" % replay.port}
    r = run_both(run, py_cmd("requests", replay, CHAT, body, dict(AUTH, **{
        "Accept-Encoding": "br"})), env=env)
    assert r.rc == 0, r.err
    rel, streamed = served(body)
    assert r.out == R.body_of(rel, streamed)
    sent_encoding(replay, "br")
    assert_span(one_exchange(rcv), "openai_chat", CHAT, body, rel, streamed, "openai",
                "localhost", replay.port, REQ)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("enc", ["br", "zstd"])
def test_http_client_undecoded(run, replay, rcv, enc, stream):
    """http.client does not decode: the client prints the compressed bytes; llmtap decodes
    them for the span."""
    body = chat(stream)
    r = run_both(run, py_cmd("http.client", replay, CHAT, body,
                             dict(AUTH, **{"x-mock-encoding": enc})))
    assert r.rc == 0, r.err
    rel, streamed = served(body)
    if enc == "br":
        import brotli
        assert brotli.decompress(r.out) == R.body_of(rel, streamed)
    else:
        import zstandard
        d = zstandard.ZstdDecompressor().decompressobj()
        assert d.decompress(r.out) == R.body_of(rel, streamed)
    assert_span(one_exchange(rcv), "openai_chat", CHAT, body, rel, streamed, "openai",
                "localhost", replay.port, REQ)


@pytest.mark.parametrize("enc", ["br", "zstd"])
def test_gemini_stream_compressed(run, replay, rcv, enc):
    """A compressed JSON-array stream (Gemini without alt=sse)."""
    path = "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
    body = {"contents": [{"role": "user", "parts": [{"text": "Say hello."}]}],
            "generationConfig": {"temperature": 0.5, "maxOutputTokens": 256}}
    host = "generativelanguage.googleapis.com"
    r = run_both(run, curl_cmd(replay, host, path, body, {"x-goog-api-key": "AIza-SECRET-enc",
                                                          "x-mock-encoding": enc},
                               stream=True, compressed=True))
    assert r.rc == 0, r.err
    rel, streamed = R.route("POST", path, body)[1:]
    assert r.out == R.body_of(rel, streamed)
    assert_span(one_exchange(rcv), "gemini", path, body, rel, True, "gcp.gemini", host,
                replay.port, {"gen_ai.request.temperature": 0.5,
                              "gen_ai.request.max_tokens": 256})


@pytest.mark.parametrize("framing", ["chunked", "length"])
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("enc", ["br", "zstd"])
def test_http1_framing(run, replay, rcv, enc, stream, framing):
    """Compressed bodies with either HTTP/1.1 framing: chunked, or Content-Length (a stream
    with a Content-Length still arrives piece by piece)."""
    body = chat(stream)
    hdrs = dict(AUTH, **{"x-mock-encoding": enc, "x-mock-framing": framing})
    r = run_both(run, curl_cmd(replay, HOST, CHAT, body, hdrs, stream=stream, compressed=True))
    assert r.rc == 0, r.err
    rel, streamed = served(body)
    assert r.out == R.body_of(rel, streamed)
    assert_span(one_exchange(rcv), "openai_chat", CHAT, body, rel, streamed, "openai", HOST,
                replay.port, REQ)

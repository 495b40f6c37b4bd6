"""pytest fixtures for the replay mock (replay_server.py), loaded by conftest's pytest_plugins:
a throwaway CA + a server certificate valid for the providers' host names (so clients reach
the mock with `curl --resolve HOST:PORT:127.0.0.1` and llmtap's host-based detection is
exercised), the TLS replay server (ALPN h2 + http/1.1) and a plaintext one."""

import os
import subprocess

import pytest

# Host names the replay certificate is valid for.
PROVIDER_HOSTS = [
    "api.openai.com",
    "api.anthropic.com",
    "llmtap-test.openai.azure.com",
    "generativelanguage.googleapis.com",
    "us-central1-aiplatform.googleapis.com",
    "bedrock-runtime.us-east-1.amazonaws.com",
    "api.mistral.ai",
    "api.groq.com",
    "api.deepseek.com",
    "api.x.ai",
    "openrouter.ai",
    "api.cohere.com",
    "localhost",
]


def make_replay_certs(d):
    """CA (ca.pem) + server cert (server.pem/server.key) with PROVIDER_HOSTS and 127.0.0.1 as
    SANs, in directory d. -> dict ca/cert/key/dir."""
    def sh(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=d, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    sh("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=llmtap replay CA",
       "-addext", "basicConstraints=critical,CA:TRUE",
       "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    sh("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    san = ",".join(["DNS:" + h for h in PROVIDER_HOSTS] + ["IP:127.0.0.1"])
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
                "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n" % san)
    sh("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
       "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return {"ca": os.path.join(d, "ca.pem"), "cert": os.path.join(d, "server.pem"),
            "key": os.path.join(d, "server.key"), "dir": d}


@pytest.fixture(scope="session")
def replay_certs(tmp_path_factory):
    return make_replay_certs(str(tmp_path_factory.mktemp("replay-pki")))


@pytest.fixture(scope="session")
def replay_tls_server(replay_certs):
    from replay_server import ReplayServer

    rs = ReplayServer(replay_certs["cert"], replay_certs["key"]).start()
    rs.ca = replay_certs["ca"]
    rs.url = "https://localhost:%d" % rs.port
    yield rs
    rs.stop()


@pytest.fixture(scope="session")
def replay_plain_server():
    from replay_server import ReplayServer

    rs = ReplayServer().start()
    rs.ca = None
    rs.url = "http://127.0.0.1:%d" % rs.port
    yield rs
    rs.stop()


@pytest.fixture
def replay(replay_tls_server):
    """The session's TLS replay server, its request log emptied for this test."""
    replay_tls_server.reset()
    yield replay_tls_server


@pytest.fixture
def replay_plain(replay_plain_server):
    """The session's plaintext replay server, its request log emptied for this test."""
    replay_plain_server.reset()
    yield replay_plain_server


# --------------------------------------------------------------------------- clients
import hashlib  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import urllib.parse  # noqa: E402

PY = "/usr/bin/python3"

# A generic client: python3 -c PY_CLIENT LIB METHOD URL CA BODY_FILE HEADERS_JSON
# LIB: http.client | requests | httpx | httpx2 (HTTP/2). Writes the (decoded, for requests
# and httpx) response body to stdout; exit 0 on status < 400, 3 otherwise.
PY_CLIENT = r'''
import json, ssl, sys
lib, method, url, ca, body_file, hdrs = sys.argv[1:7]
headers = json.loads(hdrs)
body = open(body_file, "rb").read() if body_file != "-" else None
out = sys.stdout.buffer
if lib == "http.client":
    import http.client, urllib.parse
    u = urllib.parse.urlsplit(url)
    if u.scheme == "https":
        ctx = ssl.create_default_context(cafile=ca)
        c = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=30)
    else:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request(method, u.path + ("?" + u.query if u.query else ""), body=body, headers=headers)
    r = c.getresponse()
    while True:
        d = r.read1(65536) if hasattr(r, "read1") else r.read(65536)
        if not d:
            break
        out.write(d); out.flush()
    status = r.status
elif lib == "requests":
    import requests
    r = requests.request(method, url, data=body, headers=headers, stream=True,
                         verify=ca if ca != "-" else True, timeout=30)
    for d in r.iter_content(chunk_size=None):
        out.write(d); out.flush()
    status = r.status_code
else:
    import httpx
    with httpx.Client(http2=(lib == "httpx2"), verify=ca if ca != "-" else True,
                      timeout=30) as cl:
        with cl.stream(method, url, content=body, headers=headers) as r:
            for d in r.iter_bytes():
                out.write(d); out.flush()
            status = r.status_code
            if lib == "httpx2":
                sys.stderr.write("http_version=%s\n" % r.http_version)
sys.exit(0 if status < 400 else 3)
'''


def body_file(obj):
    """Write a request body (dict -> compact JSON, or bytes) to a file named after its
    content (equal requests give equal command lines: run()'s baseline cache)."""
    data = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    path = os.path.join(tempfile.gettempdir(), "llmtap-replay-body-%s.json"
                        % hashlib.sha256(data).hexdigest()[:16])
    if not os.path.exists(path):
        tmp = path + ".%d" % os.getpid()
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    return path


def curl_cmd(server, host, path, body, headers=None, http="--http1.1", stream=False,
             compressed=False, extra=(), method="POST"):
    """curl against the replay server, `host` mapped to 127.0.0.1 with --resolve (omitted
    for localhost/127.0.0.1). http: --http1.1 | --http2 | None (curl's default)."""
    scheme = "https" if server.tls else "http"
    cmd = ["curl", "-sS"]
    if http:
        cmd.append(http)
    if server.tls:
        cmd += ["--cacert", server.ca]
    if host not in ("localhost", "127.0.0.1"):
        cmd += ["--resolve", "%s:%d:127.0.0.1" % (host, server.port)]
    cmd += ["-X", method]
    for k, v in (headers or {}).items():
        cmd += ["-H", "%s: %s" % (k, v)]
    if body is not None:
        cmd += ["-H", "Content-Type: application/json", "--data-binary", "@" + body_file(body)]
    if stream:
        cmd.append("-N")
    if compressed:
        cmd.append("--compressed")
    cmd += list(extra)
    cmd.append("%s://%s:%d%s" % (scheme, host, server.port, path))
    return cmd


def py_cmd(lib, server, path, body, headers=None, host=None, method="POST"):
    host = host or ("localhost" if server.tls else "127.0.0.1")
    scheme = "https" if server.tls else "http"
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    return [PY, "-c", PY_CLIENT, lib, method, "%s://%s:%d%s" % (scheme, host, server.port, path),
            server.ca or "-", body_file(body) if body is not None else "-",
            json.dumps(h, sort_keys=True)]


# --------------------------------------------------------------------------- expectations
# What a span built from a fixture must carry (SPEC.md "Inference span"), derived from the
# fixture's own content so the tests follow the fixtures.

def _json_events(rel, streamed):
    """The JSON objects of a served fixture: the body, or each stream event's data."""
    import replay_server as R
    raw = R.load_fixture(rel)
    if rel.endswith((".bin", ".eventstream", ".events.json")):
        import base64
        out = []
        for h, payload in R.decode_eventstream(R.body_of(rel)):
            o = json.loads(payload)
            if h.get(":event-type") == "chunk" and isinstance(o.get("bytes"), str):
                o = json.loads(base64.b64decode(o["bytes"]))
            out.append((h.get(":event-type"), o))
        return out
    if not streamed:
        return [(None, json.loads(raw))]
    if rel.endswith(".sse"):
        out = []
        for ev in R.split_sse(raw):
            name, data = "message", []
            for line in ev.decode().splitlines():
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].lstrip(" ") if line[5:6] == " " else line[5:])
            if data:
                d = "\n".join(data)
                try:
                    out.append((name, json.loads(d)))
                except ValueError:
                    pass
        return out
    if rel.endswith(".json"):
        return [(None, o) for o in json.loads(raw)]
    return [(None, json.loads(ln)) for ln in raw.decode().splitlines() if ln.strip()]


def _put(exp, key, v):
    if v is not None:
        exp[key] = v


def _openai_usage(exp, u):
    if not isinstance(u, dict):
        return
    _put(exp, "gen_ai.usage.input_tokens", u.get("prompt_tokens"))
    _put(exp, "gen_ai.usage.output_tokens", u.get("completion_tokens"))
    cached = (u.get("prompt_tokens_details") or {}).get("cached_tokens")
    if cached is None:
        cached = u.get("prompt_cache_hit_tokens")  # DeepSeek
    _put(exp, "gen_ai.usage.cache_read.input_tokens", cached)
    _put(exp, "gen_ai.usage.reasoning.output_tokens",
         (u.get("completion_tokens_details") or {}).get("reasoning_tokens"))


def _anthropic_usage(exp, u):
    if not isinstance(u, dict):
        return
    cr = u.get("cache_read_input_tokens")
    cw = u.get("cache_creation_input_tokens")
    if u.get("input_tokens") is not None:
        exp["gen_ai.usage.input_tokens"] = u["input_tokens"] + (cr or 0) + (cw or 0)
    _put(exp, "gen_ai.usage.output_tokens", u.get("output_tokens"))
    _put(exp, "gen_ai.usage.cache_read.input_tokens", cr)
    _put(exp, "gen_ai.usage.cache_creation.input_tokens", cw)


def expected_response(api, rel, streamed):
    """gen_ai.response.* and gen_ai.usage.* attributes the fixture implies."""
    evs = _json_events(rel, streamed)
    exp = {}
    if api in ("openai_chat", "azure_chat", "openai_completions", "azure_completions"):
        finish = {}
        for _, o in evs:
            if not isinstance(o, dict):
                continue
            if o.get("id") and "gen_ai.response.id" not in exp:
                exp["gen_ai.response.id"] = o["id"]
            if o.get("model") and "gen_ai.response.model" not in exp:
                exp["gen_ai.response.model"] = o["model"]
            for ch in o.get("choices") or []:
                if ch.get("finish_reason"):
                    finish[ch.get("index", 0)] = ch["finish_reason"]
            u = o.get("usage") or (o.get("x_groq") or {}).get("usage")
            if u:
                _openai_usage(exp, u)
            if api.endswith("_chat") and o.get("system_fingerprint"):
                exp.setdefault("openai.response.system_fingerprint", o["system_fingerprint"])
        if finish:
            exp["gen_ai.response.finish_reasons"] = [finish[k] for k in sorted(finish)]
    elif api == "openai_responses":
        resp = None
        for name, o in evs:
            if not streamed:
                resp = o
            elif name in ("response.completed", "response.incomplete", "response.failed"):
                resp = o["response"]
        exp["gen_ai.response.id"] = resp["id"]
        exp["gen_ai.response.model"] = resp["model"]
        if resp.get("status") == "incomplete":
            fr = (resp.get("incomplete_details") or {}).get("reason") or "incomplete"
        else:
            fr = resp.get("status")
        exp["gen_ai.response.finish_reasons"] = [fr]
        u = resp.get("usage") or {}
        _put(exp, "gen_ai.usage.input_tokens", u.get("input_tokens"))
        _put(exp, "gen_ai.usage.output_tokens", u.get("output_tokens"))
        _put(exp, "gen_ai.usage.cache_read.input_tokens",
             (u.get("input_tokens_details") or {}).get("cached_tokens"))
        _put(exp, "gen_ai.usage.reasoning.output_tokens",
             (u.get("output_tokens_details") or {}).get("reasoning_tokens"))
    elif api in ("openai_embeddings", "azure_embeddings"):
        o = evs[0][1]
        exp["gen_ai.response.model"] = o["model"]
        _put(exp, "gen_ai.usage.input_tokens", (o.get("usage") or {}).get("prompt_tokens"))
        emb = o["data"][0]["embedding"]
        if isinstance(emb, list):
            exp["gen_ai.embeddings.dimension.count"] = len(emb)
        elif isinstance(emb, str):  # encoding_format base64: little-endian float32s
            import base64
            exp["gen_ai.embeddings.dimension.count"] = len(base64.b64decode(emb)) // 4
    elif api in ("gemini", "vertex"):
        finish, usage = {}, None
        for _, o in evs:
            if o.get("responseId"):
                exp.setdefault("gen_ai.response.id", o["responseId"])
            if o.get("modelVersion"):
                exp.setdefault("gen_ai.response.model", o["modelVersion"])
            for i, c in enumerate(o.get("candidates") or []):
                if c.get("finishReason"):
                    finish[c.get("index", i)] = c["finishReason"]
            if o.get("usageMetadata"):
                usage = o["usageMetadata"]  # the last one holds the totals
        if finish:
            exp["gen_ai.response.finish_reasons"] = [finish[k] for k in sorted(finish)]
        u = usage or {}
        _put(exp, "gen_ai.usage.input_tokens", u.get("promptTokenCount"))
        if u.get("candidatesTokenCount") is not None or u.get("thoughtsTokenCount") is not None:
            exp["gen_ai.usage.output_tokens"] = (u.get("candidatesTokenCount") or 0) + \
                (u.get("thoughtsTokenCount") or 0)
        _put(exp, "gen_ai.usage.cache_read.input_tokens", u.get("cachedContentTokenCount"))
        _put(exp, "gen_ai.usage.reasoning.output_tokens", u.get("thoughtsTokenCount"))
    elif api in ("bedrock_converse", "bedrock_converse_stream"):
        u = {}
        for name, o in evs:
            if o.get("stopReason"):
                exp["gen_ai.response.finish_reasons"] = [o["stopReason"]]
            if o.get("usage"):
                u = o["usage"]
        cr, cw = u.get("cacheReadInputTokens"), u.get("cacheWriteInputTokens")
        if u.get("inputTokens") is not None:
            exp["gen_ai.usage.input_tokens"] = u["inputTokens"] + (cr or 0) + (cw or 0)
        _put(exp, "gen_ai.usage.output_tokens", u.get("outputTokens"))
        _put(exp, "gen_ai.usage.cache_read.input_tokens", cr)
        _put(exp, "gen_ai.usage.cache_creation.input_tokens", cw)
    elif api in ("bedrock_invoke", "bedrock_invoke_stream") and not any(
            isinstance(o, dict) and (o.get("type") or "").startswith("message") for _, o in evs):
        _bedrock_family(exp, evs)
    elif api in ("bedrock_invoke", "bedrock_invoke_stream", "anthropic_messages"):
        usage = {}
        for name, o in evs:
            msg = o.get("message") if o.get("type") == "message_start" else o
            if msg.get("type") == "message" or o.get("type") == "message_start":
                exp.setdefault("gen_ai.response.id", msg.get("id"))
                exp.setdefault("gen_ai.response.model", msg.get("model"))
                usage.update({k: v for k, v in (msg.get("usage") or {}).items()
                              if v is not None})
                if msg.get("stop_reason"):
                    exp["gen_ai.response.finish_reasons"] = [msg["stop_reason"]]
            if o.get("type") == "message_delta":
                if (o.get("delta") or {}).get("stop_reason"):
                    exp["gen_ai.response.finish_reasons"] = [o["delta"]["stop_reason"]]
                usage.update({k: v for k, v in (o.get("usage") or {}).items()
                              if v is not None})
        _anthropic_usage(exp, usage)
    elif api == "cohere_chat":
        u = None
        for name, o in evs:
            if o.get("id"):
                exp.setdefault("gen_ai.response.id", o["id"])
            fr = o.get("finish_reason") or (o.get("delta") or {}).get("finish_reason")
            if fr:
                exp["gen_ai.response.finish_reasons"] = [fr]
            u = o.get("usage") or (o.get("delta") or {}).get("usage") or u
        t = (u or {}).get("tokens") or (u or {}).get("billed_units") or {}
        _put(exp, "gen_ai.usage.input_tokens", t.get("input_tokens"))
        _put(exp, "gen_ai.usage.output_tokens", t.get("output_tokens"))
        _put(exp, "gen_ai.usage.cache_read.input_tokens", (u or {}).get("cached_tokens"))
    elif api in ("ollama_chat", "ollama_generate"):
        for _, o in evs:
            if o.get("model"):
                exp.setdefault("gen_ai.response.model", o["model"])
            if o.get("done"):
                _put(exp, "gen_ai.usage.input_tokens", o.get("prompt_eval_count"))
                _put(exp, "gen_ai.usage.output_tokens", o.get("eval_count"))
                if o.get("done_reason"):
                    exp["gen_ai.response.finish_reasons"] = [o["done_reason"]]
    else:
        raise ValueError(api)
    return exp


def _bedrock_family(exp, evs):
    """InvokeModel bodies of the non-Anthropic families (Llama, Titan, Mistral, Nova, Cohere),
    plain or as decoded stream chunks; usage from the family's own fields, else from the last
    chunk's amazon-bedrock-invocationMetrics."""
    fin, inp, out, cr, cw, metrics = {}, None, None, None, None, None
    for _, o in evs:
        metrics = o.get("amazon-bedrock-invocationMetrics") or metrics
        if "generation" in o:  # Meta Llama
            if inp is None and o.get("prompt_token_count") is not None:
                inp = o["prompt_token_count"]
            if o.get("generation_token_count") is not None:
                out = o["generation_token_count"]
            if o.get("stop_reason"):
                fin[0] = o["stop_reason"]
        if "results" in o:  # Titan, plain
            inp = o.get("inputTextTokenCount", inp)
            out = sum(r.get("tokenCount") or 0 for r in o["results"])
            for i, r in enumerate(o["results"]):
                if r.get("completionReason"):
                    fin[i] = r["completionReason"]
        if "outputText" in o:  # Titan, stream chunk
            if inp is None and o.get("inputTextTokenCount") is not None:
                inp = o["inputTextTokenCount"]
            if o.get("totalOutputTextTokenCount") is not None:
                out = o["totalOutputTextTokenCount"]
            if o.get("completionReason"):
                fin[o.get("index", 0)] = o["completionReason"]
        for i, r in enumerate(o.get("outputs") or []):  # Mistral
            if r.get("stop_reason"):
                fin[i] = r["stop_reason"]
        stop = o.get("stopReason") or (o.get("messageStop") or {}).get("stopReason")
        if stop:  # Nova
            fin[0] = stop
        u = o.get("usage") if "output" in o else (o.get("metadata") or {}).get("usage")
        if u:
            inp, out = u.get("inputTokens"), u.get("outputTokens")
            cr = u.get("cacheReadInputTokenCount")
            cw = u.get("cacheWriteInputTokenCount")
        if o.get("finish_reason"):  # Cohere Command R
            fin[0] = o["finish_reason"]
    if inp is None and out is None and metrics:
        inp, out = metrics.get("inputTokenCount"), metrics.get("outputTokenCount")
    if inp is not None:
        exp["gen_ai.usage.input_tokens"] = inp + (cr or 0) + (cw or 0)
    _put(exp, "gen_ai.usage.output_tokens", out)
    _put(exp, "gen_ai.usage.cache_read.input_tokens", cr)
    _put(exp, "gen_ai.usage.cache_creation.input_tokens", cw)
    if fin:
        exp["gen_ai.response.finish_reasons"] = [fin[k] for k in sorted(fin)]


OPERATION = {
    "openai_chat": "chat", "azure_chat": "chat", "openai_responses": "chat",
    "openai_embeddings": "embeddings", "openai_completions": "text_completion",
    "azure_embeddings": "embeddings", "azure_completions": "text_completion",
    "anthropic_messages": "chat", "gemini": "generate_content", "vertex": "generate_content",
    "bedrock_converse": "chat", "bedrock_converse_stream": "chat", "bedrock_invoke": "chat",
    "bedrock_invoke_stream": "chat", "cohere_chat": "chat", "ollama_chat": "chat",
    "ollama_generate": "text_completion",
}


def request_model(api, path, body):
    """The request model: the body's "model", else the deployment / model in the path."""
    if isinstance(body, dict) and body.get("model") and api not in ("bedrock_converse",):
        return body["model"]
    p = urllib.parse.unquote(urllib.parse.urlsplit(path).path)
    for rx in (r"/openai/deployments/([^/]+)/", r"/models/([^/:]+):", r"^/model/([^/]+)/"):
        m = re.search(rx, p)
        if m:
            return m.group(1)
    return None


def expected_span(api, path, body, rel, streamed, provider, host, port, request=None):
    """(name, expected attrs, absent keys) for a successful exchange served from fixture
    `rel`. `request`: extra expected gen_ai.request.* attributes."""
    model = request_model(api, path, body)
    op = OPERATION[api]
    if api.startswith("bedrock_invoke") and isinstance(body, dict) and (
            "prompt" in body or "inputText" in body):
        op = "text_completion"  # prompt-in, text-out model families (Llama, Titan, Mistral)
    exp = {"gen_ai.operation.name": op, "gen_ai.provider.name": provider,
           "gen_ai.request.model": model, "server.address": host, "server.port": port,
           "http.response.status_code": 200}
    exp.update(expected_response(api, rel, streamed))
    exp.update(request or {})
    absent = ["error.type", "gen_ai.input.messages", "gen_ai.output.messages"]
    if streamed:
        exp["gen_ai.request.stream"] = True
    else:
        absent += ["gen_ai.request.stream", "gen_ai.response.time_to_first_chunk"]
    return "%s %s" % (op, model), exp, absent


def assert_span(span, api, path, body, rel, streamed, provider, host, port, request=None):
    from integ_util import KIND_CLIENT, STATUS_UNSET, check_attrs, describe
    name, exp, absent = expected_span(api, path, body, rel, streamed, provider, host, port,
                                      request)
    assert span["name"] == name, describe(span)
    assert span["kind"] == KIND_CLIENT
    assert span["status_code"] == STATUS_UNSET, describe(span)
    check_attrs(span, exp, absent)
    if streamed:
        ttfc = span["attrs"].get("gen_ai.response.time_to_first_chunk")
        assert isinstance(ttfc, float) and ttfc > 0, describe(span)
    assert span["end"] >= span["start"] > 0

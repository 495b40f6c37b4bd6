"""Helpers shared by the integration tests: client command lines, span filters and the
expected GenAI attributes (../../../shared/SPEC.md, "Inference span") for the mock's
deterministic responses."""

import hashlib
import json
import os
import tempfile

import common
import conftest
import mock_provider as M

# GCC 12's ASan runtime takes none of its locks around fork(). A child forked while another
# thread is inside malloc or free inherits that thread's size-class mutex, or the stack
# depot's spin lock (malloc records its call stack there), locked and hangs in its first
# allocation (seen under load: the mutex's writer bit set, two waiters, no holder; the
# exporter thread of a Python fork child spinning in StackDepotBase::lock). Without a
# sanitizer glibc's fork() holds the malloc locks, so it cannot happen. Under ASan the C
# drivers and the Python clients that fork wait DRV_FORK_SETTLE_MS first, so that llmtap's
# exporter thread has shipped the parent's first exchange and sleeps on its condition
# variable.
FORK_ENV = {"DRV_FORK_SETTLE_MS": "1000"} if "asan" in conftest.SANITIZER else None

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = os.path.join(HERE, "clients")
PY = "/usr/bin/python3"

PY_CLIENTS = ["py_http_client", "py_urllib", "py_requests", "py_httpx_sync", "py_httpx_async",
              "py_aiohttp"]
ALL_CLIENTS = PY_CLIENTS + ["curl"]

KIND_INTERNAL = 1
KIND_CLIENT = 3
STATUS_UNSET = 0
STATUS_ERROR = 2

CONTENT_KEYS = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
                "gen_ai.tool.definitions")


def client_args(mock, provider="openai", stream=False, scenario="", gzip=False, model=None,
                url=None, extra=()):
    args = ["--url", url or mock.url, "--ca", mock.ca, "--provider", provider]
    if stream:
        args.append("--stream")
    if scenario:
        args += ["--scenario", scenario]
    if gzip:
        args.append("--gzip")
    if model:
        args += ["--model", model]
    return args + list(extra)


def py_cmd(name, mock, **kw):
    return [PY, os.path.join(CLIENTS, name + ".py")] + client_args(mock, **kw)


def curl_cmd(mock, provider="openai", stream=False, scenario="", gzip=False, model=None,
             resolve_host=None, extra=(), out_file=None, minimal=False, no_usage=False):
    """curl --http1.1 sending the same request the Python clients send. With resolve_host the
    URL uses that name (and --resolve maps it to 127.0.0.1)."""
    argv = ["--url", mock.url, "--ca", mock.ca, "--provider", provider]
    if stream:
        argv.append("--stream")
    if scenario:
        argv += ["--scenario", scenario]
    if gzip:
        argv.append("--gzip")
    if model:
        argv += ["--model", model]
    if minimal:
        argv.append("--minimal")
    if no_usage:
        argv.append("--no-usage")
    a = common.parse(argv)
    method, path, headers, body = common.build(a)
    # Named after its content so equal requests give equal command lines (baseline cache).
    body_file = os.path.join(tempfile.gettempdir(), "llmtap-integ-body-%s.json"
                             % hashlib.sha256(body or b"").hexdigest()[:16])
    if not os.path.exists(body_file):
        tmp = body_file + ".%d" % os.getpid()
        with open(tmp, "wb") as f:
            f.write(body or b"")
        os.replace(tmp, body_file)
    host = resolve_host or "localhost"
    cmd = ["curl", "--http1.1", "-sS", "--cacert", mock.ca, "-X", method]
    if resolve_host:
        cmd += ["--resolve", "%s:%d:127.0.0.1" % (resolve_host, mock.port)]
    for k, v in headers.items():
        cmd += ["-H", "%s: %s" % (k, v)]
    if stream:
        cmd.append("-N")
    cmd += ["--data-binary", "@" + body_file]
    if out_file:
        cmd += ["-o", out_file]
    cmd += list(extra)
    cmd.append("https://%s:%d%s" % (host, mock.port, path))
    return cmd


def cmd_for(client, mock, **kw):
    if client == "curl":
        return curl_cmd(mock, **kw)
    return py_cmd(client, mock, **kw)


def anthropic_env(mock):
    return {"LLMTAP_PROVIDERS": "localhost:%d=anthropic" % mock.port}


# --------------------------------------------------------------------------- spans
def exchange_spans(spans):
    return [s for s in spans if s["kind"] == KIND_CLIENT]


def root_spans(spans):
    return [s for s in spans if s["kind"] == KIND_INTERNAL and "process.pid" in s["attrs"]]


def wait_exchanges(rcv, n, timeout=5.0):
    """Wait for at least n CLIENT spans; return all spans received."""
    rcv.wait_for(lambda r: len(exchange_spans(r.spans())) >= n, timeout)
    return rcv.spans()


def one_exchange(rcv, timeout=5.0):
    spans = wait_exchanges(rcv, 1, timeout)
    ex = exchange_spans(spans)
    assert len(ex) == 1, "expected exactly one CLIENT span, got %d: %s" % (
        len(ex), [s["name"] for s in ex])
    assert not rcv.errors(), rcv.errors()
    return ex[0]


def describe(span):
    return json.dumps({k: span[k] for k in ("name", "kind", "status_code", "status_message",
                                             "attrs")}, indent=1, default=str)


def check_attrs(span, expected, absent=()):
    """Every expected key present with an equal value of the same type (float vs int vs bool
    vs str vs list); every key in absent missing. Reports all differences at once."""
    got = span["attrs"]
    problems = []
    for k, v in expected.items():
        if k not in got:
            problems.append("missing %s (expected %r)" % (k, v))
            continue
        g = got[k]
        same_type = type(g) is type(v) or (isinstance(v, list) and isinstance(g, list))
        if g != v or not same_type:
            problems.append("%s: expected %r (%s), got %r (%s)"
                            % (k, v, type(v).__name__, g, type(g).__name__))
    for k in absent:
        if k in got:
            problems.append("unexpected %s = %r" % (k, got[k]))
    assert not problems, "span %r:\n  " % span["name"] + "\n  ".join(problems)


def expected_span(provider, stream, host, port, scenario="", model=None, minimal=False,
                  include_usage=True):
    """(name, expected attrs, absent keys) for a successful exchange with the mock."""
    model = model or (common.OPENAI_MODEL if provider == "openai" else common.ANTHROPIC_MODEL)
    exp = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.request.model": model,
        "gen_ai.response.model": model,
        "server.address": host,
        "server.port": port,
        "http.response.status_code": 200,
    }
    absent = list(CONTENT_KEYS)
    if provider == "openai":
        exp["gen_ai.response.id"] = M.OPENAI_STREAM_ID if stream else M.OPENAI_ID
        exp["gen_ai.response.finish_reasons"] = [M.OPENAI_FINISH.get(scenario, "stop")]
        if not minimal:
            exp.update({"gen_ai.request.temperature": 0.25, "gen_ai.request.top_p": 0.5,
                        "gen_ai.request.max_tokens": 128, "gen_ai.request.seed": 42,
                        "gen_ai.request.stop_sequences": ["END", "STOP"],
                        "gen_ai.request.frequency_penalty": 0.5,
                        "gen_ai.request.presence_penalty": 0.25})
    else:
        exp["gen_ai.response.id"] = M.ANTHROPIC_STREAM_ID if stream else M.ANTHROPIC_ID
        exp["gen_ai.response.finish_reasons"] = [M.ANTHROPIC_FINISH.get(scenario, "end_turn")]
        exp["gen_ai.request.max_tokens"] = 1024
        if not minimal and scenario != "thinking":
            exp.update({"gen_ai.request.temperature": 0.25, "gen_ai.request.top_p": 0.5,
                        "gen_ai.request.top_k": 5.0,
                        "gen_ai.request.stop_sequences": ["END", "STOP"]})
    usage = M.expected_usage(provider)
    if include_usage or not stream or provider != "openai":
        exp.update(usage)
    else:
        absent += list(usage)
    if stream:
        exp["gen_ai.request.stream"] = True
    else:
        absent += ["gen_ai.request.stream", "gen_ai.response.time_to_first_chunk"]
    return "chat " + model, exp, absent


def assert_exchange(span, provider, stream, host, port, **kw):
    name, exp, absent = expected_span(provider, stream, host, port, **kw)
    assert span["name"] == name, describe(span)
    assert span["kind"] == KIND_CLIENT
    assert span["status_code"] == STATUS_UNSET, describe(span)
    check_attrs(span, exp, absent)
    if stream:
        ttfc = span["attrs"].get("gen_ai.response.time_to_first_chunk")
        assert isinstance(ttfc, float) and ttfc > 0, \
            "time_to_first_chunk %r on a stream" % (ttfc,)
        # The mock paces >= 8 events 2 ms apart after the first one: the first chunk comes
        # well before the end of the exchange.
        dur = (span["end"] - span["start"]) / 1e9
        # Under a sanitizer a slowed client may read the whole stream in one go: then the first
        # chunk is only known to come before the end.
        margin = 0 if conftest.SANITIZER else 0.005
        assert ttfc < dur - margin, "time_to_first_chunk %.4fs, span %.4fs" % (ttfc, dur)
    assert span["end"] >= span["start"] > 0


def parse_json_attr(span, key):
    v = span["attrs"].get(key)
    assert isinstance(v, str), "%s should be a JSON string, got %r" % (key, v)
    return json.loads(v)


def run_both(run, cmd, env=None, timeout=60):
    """Run cmd without and then with llmtap; the client's exit status and stdout bytes must be
    identical. Returns the run with the agent."""
    base = run(cmd, env=env, timeout=timeout, agent=False)
    got = run(cmd, env=env, timeout=timeout, agent=True)
    assert got.rc == base.rc, "exit status %d with llmtap, %d without\nstderr:\n%s" % (
        got.rc, base.rc, got.err[-3000:])
    assert got.out == base.out, "stdout differs with llmtap (%d vs %d bytes)\nstderr:\n%s" % (
        len(got.out), len(base.out), got.err[-3000:])
    return got


def assert_in_window(span, result):
    """The span's times lie within the wall-clock window of the process that made it."""
    slack = 50_000_000  # 50 ms of clock skew between time_ns() calls and the process
    assert result.t0_ns - slack <= span["start"] <= span["end"] <= result.t1_ns + slack, (
        "span [%d, %d] outside the run [%d, %d]" % (span["start"], span["end"], result.t0_ns,
                                                     result.t1_ns))

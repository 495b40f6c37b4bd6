"""Collector faults and queue overflow (SPEC.md "OTLP/HTTP", "Exporter configuration"; OTLP
spec "OTLP/HTTP Response", "Retryable Response Codes", "Partial Success"; OTel SDK
"Batching processor").

A real client does a few paced LLM exchanges with the mock provider while the OTLP receiver
misbehaves: nobody listening, resets, hangs, 400, 413, 429 + Retry-After, 503 then OK, and a
200 carrying a partial success, in protobuf and JSON. Each case checks that the client's
output and status are unchanged, that no exchange is slowed down, that the exit is held at
most OTEL_BSP_EXPORT_TIMEOUT, that retries follow the spec (from the receiver's request
times), and that lost spans are reported once, at exit, with their count.

The overflow cases drive build/drivers/tls_burst (50 000 exchanges over in-memory TLS) into
a 512-slot queue: every span is either exported or counted as dropped, peak RSS stays bounded.
"""

import os
import re
import subprocess
import tempfile
import time

import pytest

import conftest
from integ_util import KIND_CLIENT, KIND_INTERNAL, PY, exchange_spans, py_cmd, run_both
from otlp_receiver import normalize
from test_export import closed_port

EXPORT_TIMEOUT_S = 1.5
FAULT_ENV = {
    "OTEL_BSP_EXPORT_TIMEOUT": "1500",
    "OTEL_EXPORTER_OTLP_TIMEOUT": "500",
    "OTEL_BSP_SCHEDULE_DELAY": "200",
}
# Bounds, not benchmarks: generous for a shared 2-core machine and sanitizer builds.
EXIT_SLACK_S = 2.0 if conftest.SANITIZER else 1.0
EXCHANGE_SLACK_S = 0.45 if conftest.SANITIZER else 0.3  # a blocked host would lose >= 0.5 s
N_EXCHANGES = 3
N_SPANS = N_EXCHANGES + 1  # the exchanges and the process root span

DROP_RE = re.compile(r"^llmtap\[\d+\]: (\d+) span\(s\) dropped \(queue full: (\d+), "
                     r"export failed: (\d+), rejected by receiver: (\d+)\)(.*)$", re.M)

# N exchanges on one keep-alive connection, `gap` seconds apart (so the exporter's rounds run
# while the host works); bodies to stdout, each exchange's duration to stderr.
PACED = r"""
import http.client, ssl, sys, time
port, ca, n, gap = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
body = (b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Say hello."}],'
        b'"max_tokens":128}')
conn = http.client.HTTPSConnection("localhost", port, timeout=30,
                                   context=ssl.create_default_context(cafile=ca))
worst = 0
for i in range(n):
    if i:
        time.sleep(gap)
    t = time.monotonic()
    conn.request("POST", "/v1/chat/completions", body=body,
                 headers={"Content-Type": "application/json",
                          "Authorization": "Bearer sk-test-SECRET-openai-123"})
    r = conn.getresponse()
    data = r.read()
    sys.stderr.write("exchange-seconds %.4f\n" % (time.monotonic() - t))
    sys.stdout.buffer.write(data)
    worst = max(worst, r.status)
conn.close()
sys.exit(0 if worst < 400 else 3)
"""


def paced_cmd(mock, n=N_EXCHANGES, gap=0.3):
    return [PY, "-c", PACED, str(mock.port), mock.ca, str(n), str(gap)]


def exchange_seconds(err):
    return [float(x) for x in re.findall(r"^exchange-seconds ([0-9.]+)$", err, re.M)]


def drop_lines(err):
    return DROP_RE.findall(err)


def run_fault(run, mock, rcv, protocol, env=None):
    """Run the paced client without and with llmtap; check output, status, exchange durations
    and the exit bound. Returns (result with llmtap, result without)."""
    e = dict(FAULT_ENV)
    e["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol
    e.update(env or {})
    cmd = paced_cmd(mock)
    base = run(cmd, env=e, agent=False, timeout=60)
    got = run(cmd, env=e, agent=True, timeout=60)
    assert got.rc == base.rc == 0, got.err[-3000:]
    assert got.out == base.out, "stdout differs with llmtap\n" + got.err[-3000:]
    # The host is never held up before exit: each exchange takes what it takes without llmtap.
    b, g = exchange_seconds(base.err), exchange_seconds(got.err)
    assert len(b) == len(g) == N_EXCHANGES, got.err[-3000:]
    assert max(g) <= max(b) + EXCHANGE_SLACK_S, "exchanges %s with llmtap, %s without" % (g, b)
    # The exit waits at most OTEL_BSP_EXPORT_TIMEOUT for the exporter.
    held = got.duration - base.duration
    assert held <= EXPORT_TIMEOUT_S + EXIT_SLACK_S, \
        "exit held %.2fs (run %.2fs, without llmtap %.2fs)" % (held, got.duration, base.duration)
    return got, base


def assert_drops(err, total, queue=0, failed=0, rejected=0):
    """Exactly one loss report with these counts; returns its trailing detail."""
    lines = drop_lines(err)
    assert len(lines) == 1, "expected one 'span(s) dropped' line:\n" + err[-3000:]
    got = tuple(int(x) for x in lines[0][:4])
    assert got == (total, queue, failed, rejected), "%s\n%s" % (got, err[-3000:])
    assert err.count("dropped") == 1, err[-3000:]
    return lines[0][4]


def assert_no_drops(err):
    assert not drop_lines(err), err[-3000:]


def span_ids(msg):
    return [s["span_id"] for s in normalize(msg)] if msg is not None else []


def assert_not_resent(rcv):
    """No span went out twice (a non-retryable answer or a partial success ends a batch)."""
    seen = []
    for r in list(rcv.requests):
        seen += span_ids(r["message"]) + span_ids(r["rejected"])
    assert len(seen) == len(set(seen)), "a batch was sent again: %d ids, %d distinct" % (
        len(seen), len(set(seen)))
    return seen


PROTOCOLS = ["http/protobuf", "http/json"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_collector_down(run, mock, rcv, protocol):
    got, _ = run_fault(run, mock, rcv, protocol,
                       {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:%d" % closed_port()})
    detail = assert_drops(got.err, N_SPANS, failed=N_SPANS)
    assert "Connection refused" in detail, detail
    assert rcv.requests == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_collector_resets(run, mock, rcv, protocol):
    rcv.fault("reset")
    got, _ = run_fault(run, mock, rcv, protocol)
    assert_drops(got.err, N_SPANS, failed=N_SPANS)
    times = rcv.times()
    assert len(times) >= 2 and all(st == "reset" for _, st in times), times
    assert rcv.span_count() == 0


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_collector_hangs(run, mock, rcv, protocol):
    rcv.fault("hang")
    got, _ = run_fault(run, mock, rcv, protocol)
    assert_drops(got.err, N_SPANS, failed=N_SPANS)
    times = rcv.times()
    assert times and all(st == "hang" for _, st in times), times
    # Each attempt waits OTEL_EXPORTER_OTLP_TIMEOUT (500 ms) before the next one: no flood.
    assert len(times) <= got.duration / 0.5 + 2, (got.duration, times)


@pytest.mark.parametrize("status", [400, 413])
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_collector_client_error_not_retried(run, mock, rcv, protocol, status):
    rcv.fault("status", status=status)
    got, _ = run_fault(run, mock, rcv, protocol)
    detail = assert_drops(got.err, N_SPANS, failed=N_SPANS)
    assert "last error: HTTP %d" % status in detail, detail
    reqs = list(rcv.requests)
    assert reqs and all(r["status"] == status and r["rejected"] is not None for r in reqs)
    assert len(assert_not_resent(rcv)) == N_SPANS


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_collector_429_retry_after(run, mock, rcv, protocol):
    rcv.fail_next(1, status=429, headers=[("Retry-After", "1")])
    got, _ = run_fault(run, mock, rcv, protocol)
    assert_no_drops(got.err)
    times = rcv.times()
    assert times[0][1] == 429, times
    # Retry-After: 1 holds every request (the retry and any other batch) for a second.
    assert times[1][0] - times[0][0] >= 0.95, times
    assert all(st == 200 for _, st in times[1:]), times
    spans = rcv.spans()
    assert len(exchange_spans(spans)) == N_EXCHANGES
    assert len(spans) == N_SPANS
    refused = set(span_ids(rcv.requests[0]["rejected"]))
    assert refused and refused <= {s["span_id"] for s in spans}, "the 429 batch was not retried"


def test_collector_429_retry_after_at_exit(run, mock, rcv):
    """The only export is the flush at exit (long schedule delay): its first, short attempt
    meets a 429, and the next one still waits for Retry-After within the exit budget."""
    rcv.fail_next(1, status=429, headers=[("Retry-After", "1")])
    got, _ = run_fault(run, mock, rcv, "http/protobuf", {"OTEL_BSP_SCHEDULE_DELAY": "60000"})
    assert_no_drops(got.err)
    times = rcv.times()
    assert [st for _, st in times] == [429, 200], times
    assert times[1][0] - times[0][0] >= 0.95, times
    assert len(rcv.spans()) == N_SPANS


def test_collector_slow_at_exit_not_resent(run, mock, rcv):
    """The only export is the flush at exit, and the receiver takes 0.8 s to answer: longer
    than the exit's 0.5 s probe for a receiver that is not there, within the per-attempt
    timeout. The request that reached it is waited for, not cut short and sent again."""
    rcv.fault("slow", slow_s=0.8)
    got, _ = run_fault(run, mock, rcv, "http/protobuf", {"OTEL_BSP_SCHEDULE_DELAY": "60000",
                                                         "OTEL_EXPORTER_OTLP_TIMEOUT": "1200"})
    assert_no_drops(got.err)
    assert len(assert_not_resent(rcv)) == N_SPANS
    assert [st for _, st in rcv.times()] == [200], rcv.times()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_collector_503_then_ok(run, mock, rcv, protocol):
    rcv.fail_next(2, status=503)
    got, _ = run_fault(run, mock, rcv, protocol)
    assert_no_drops(got.err)
    times = rcv.times()
    assert [st for _, st in times[:2]] == [503, 503], times
    assert all(st == 200 for _, st in times[2:]), times
    spans = rcv.spans()
    assert len(spans) == N_SPANS
    for s in exchange_spans(spans):
        assert s["name"] == "chat gpt-4o-mini" and s["attrs"]["gen_ai.usage.input_tokens"] == 42
    refused = set(span_ids(rcv.requests[0]["rejected"]))
    assert refused and refused <= {s["span_id"] for s in spans}, "the 503 batch was not retried"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_collector_partial_success(run, mock, rcv, protocol):
    rcv.fault("partial", n=1, rejected=1, message="1 span rejected:\nquota exceeded")
    got, _ = run_fault(run, mock, rcv, protocol)
    detail = assert_drops(got.err, 1, rejected=1)
    # The receiver's message, on the same single line (control bytes replaced).
    assert detail == "; receiver said: 1 span rejected:?quota exceeded", detail
    reqs = list(rcv.requests)
    assert reqs[0].get("partial") == (1, "1 span rejected:\nquota exceeded")
    assert all(r["status"] == 200 for r in reqs)
    assert len(assert_not_resent(rcv)) == N_SPANS


def test_queue_bytes_reclaimed_before_schedule(run, mock, rcv):
    """Bodies do not wait for the schedule delay: once the queued ones pass half of
    LLMTAP_MAX_QUEUE_BYTES the exporter turns them into spans and frees them, so a byte bound
    well below what the exchanges hold together drops nothing; the spans still go out on the
    schedule (here: the flush at exit, one request)."""
    n = 24
    env = {"OTEL_BSP_SCHEDULE_DELAY": "60000", "LLMTAP_MAX_QUEUE_BYTES": "65536"}
    r = run_both(run, py_cmd("py_http_client", mock, stream=True, extra=["--keepalive", str(n)]),
                 env=env)
    assert_no_drops(r.err)
    rcv.wait_for(lambda rv: len(exchange_spans(rv.spans())) >= n, 5)
    assert len(exchange_spans(rcv.spans())) == n
    assert len(rcv.requests) == 1, rcv.times()
    assert len(assert_not_resent(rcv)) == n + 1


# --------------------------------------------------------------------------- queue overflow
BURST = os.path.join(conftest.REPO, "build", "drivers", "tls_burst")
BURST_N = 50000
QUEUE = 512
# Peak RSS the agent may add, from the caps: the 512-slot queue (< 16 KiB per small exchange:
# 8 MiB), one batch of 512 spans and its encoded request (< 8 MiB), libcurl, TLS and the
# exporter thread's stack (< 16 MiB); the sanitizer's shadow memory when there is one.
RSS_BOUND_KIB = (128 if conftest.SANITIZER else 32) * 1024


def run_measured(cmd, env, agent, timeout=120):
    """(rc, stdout, stderr, seconds) of one process."""
    e = conftest.base_env()
    if agent:
        if not conftest.have_lib():
            pytest.skip("build/libllmtap.so is not built (make lib)")
        if conftest.SANITIZER:
            e.update(conftest.SANITIZER_ENV)
            # ASan keeps 256 MiB of freed memory in quarantine by default: keep it small so
            # the RSS bound still says something about llmtap.
            e["ASAN_OPTIONS"] += ":quarantine_size_mb=8:thread_local_quarantine_size_kb=256"
        e["LD_PRELOAD"] = conftest.PRELOAD
    e.update(env)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, env=e, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            pytest.fail("%s did not finish within %ss" % (cmd, timeout))
        secs = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        err_s = err.read().decode("utf-8", "replace")
        if agent and conftest.SANITIZER:
            for mark in conftest.SANITIZER_MARKS:
                assert mark not in err_s, "sanitizer report:\n" + err_s[-6000:]
        return p.returncode, out.read(), err_s, secs


def peak_rss(err):
    """tls_burst's own report of its VmHWM, printed last thing at exit."""
    m = re.findall(r"^tls_burst: peak RSS (\d+) KiB$", err, re.M)
    assert len(m) == 1, err[-3000:]
    return int(m[0])


def burst(rcv, threads):
    if not os.path.exists(BURST):
        pytest.skip("build/drivers/tls_burst is not built (make drivers)")
    cmd = [BURST, str(BURST_N)] + ([str(threads)] if threads > 1 else [])
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": rcv.endpoint, "OTEL_SERVICE_NAME": "integ",
           "OTEL_BSP_MAX_QUEUE_SIZE": str(QUEUE), "OTEL_BSP_SCHEDULE_DELAY": "200"}
    b_rc, b_out, b_err, b_secs = run_measured(cmd, env, agent=False)
    rc, out, err, secs = run_measured(cmd, env, agent=True)
    b_rss, rss = peak_rss(b_err), peak_rss(err)
    print("tls_burst %d x %d thread(s): %.2fs / %.2fs, peak RSS %d KiB with llmtap, %d KiB "
          "without" % (BURST_N, threads, secs, b_secs, rss, b_rss))
    assert (rc, out) == (b_rc, b_out) == (0, b"ok %d\n" % BURST_N), err[-3000:]
    exported = rcv.span_count(KIND_CLIENT)
    lines = drop_lines(err)
    dropped = int(lines[0][1]) if lines else 0
    assert len(lines) <= 1, err[-3000:]
    if lines:
        assert (int(lines[0][0]), int(lines[0][2]), int(lines[0][3])) == (dropped, 0, 0), lines
    assert exported + dropped == BURST_N, "exported %d + dropped %d != %d\n%s" % (
        exported, dropped, BURST_N, err[-3000:])
    assert exported >= QUEUE, "only %d exported" % exported
    assert rcv.span_count(KIND_INTERNAL) == 1, "the process root span"
    assert rss - b_rss <= RSS_BOUND_KIB, "peak RSS +%d KiB" % (rss - b_rss)
    # Promptly: the exit flush has at most a queue's worth of spans to send.
    assert secs <= b_secs + (30 if conftest.SANITIZER else 10), "took %.1fs" % secs
    one = exchange_spans(normalize(rcv.ok_requests()[0]["message"]))[0]
    assert one["attrs"]["gen_ai.provider.name"] == "openai"
    assert one["attrs"]["server.address"] == "api.openai.com"
    assert one["attrs"]["gen_ai.usage.input_tokens"] == 19
    assert one["attrs"]["gen_ai.usage.output_tokens"] == 2


def test_queue_overflow(rcv):
    burst(rcv, 1)


@pytest.mark.threads
def test_queue_overflow_threads(rcv):
    burst(rcv, 4)

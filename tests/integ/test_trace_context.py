"""Trace context (SPEC.md "Trace context"): the process root span, TRACEPARENT/TRACESTATE,
invalid traceparents, LLMTAP_TRACE=call, and a child process joining its parent's trace."""

import os

import pytest

from integ_util import (FORK_ENV, KIND_INTERNAL, curl_cmd, describe, exchange_spans, py_cmd,
                        root_spans, run_both, wait_exchanges)

TRACE = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"
VALID = "00-%s-%s-01" % (TRACE, PARENT)


def exe_names(cmd0):
    return {os.path.basename(cmd0), os.path.basename(os.path.realpath(cmd0))}


@pytest.mark.parametrize("client", ["py_http_client", "curl"])
def test_root_span_parents_exchanges(run, mock, rcv, client):
    if client == "curl":
        cmd = curl_cmd(mock)
    else:
        cmd = py_cmd(client, mock, extra=["--keepalive", "3"])
    n = 1 if client == "curl" else 3
    r = run_both(run, cmd)
    spans = wait_exchanges(rcv, n)
    rcv.wait_for(lambda rv: root_spans(rv.spans()), 2)
    spans = rcv.spans()
    ex = exchange_spans(spans)
    roots = [s for s in spans if s["kind"] == KIND_INTERNAL]
    assert len(ex) == n
    assert len(roots) == 1, [(s["name"], s["attrs"]) for s in roots]
    root = roots[0]
    assert root["name"] in exe_names(cmd[0]), root["name"]
    assert root["attrs"].get("process.pid") == r.pid, root["attrs"]
    assert root["parent_span_id"] == ""
    for s in ex:
        assert s["trace_id"] == root["trace_id"]
        assert s["parent_span_id"] == root["span_id"]
        assert root["start"] <= s["start"] and s["end"] <= root["end"], "root must enclose"
    assert root["trace_id"] != "0" * 32 and root["span_id"] != "0" * 16
    assert r.t0_ns - 50_000_000 <= root["start"] <= root["end"] <= r.t1_ns + 50_000_000


def test_traceparent_is_honoured(run, mock, rcv):
    run_both(run, py_cmd("py_http_client", mock, extra=["--keepalive", "2"]),
             env={"TRACEPARENT": VALID})
    ex = exchange_spans(wait_exchanges(rcv, 2))
    assert len(ex) == 2
    ours = {s["span_id"] for s in rcv.spans()}
    for s in ex:
        assert s["trace_id"] == TRACE
        assert s["parent_span_id"] == PARENT
        assert s["flags"] & 0xFF == 0x01, hex(s["flags"])
    for s in rcv.spans():
        assert s["trace_id"] == TRACE
        assert s["parent_span_id"] == PARENT or s["parent_span_id"] in ours


def test_remote_parent_flags_and_tracestate(run, mock, rcv):
    run_both(run, curl_cmd(mock), env={"TRACEPARENT": VALID, "TRACESTATE": "vendor=abc,x=1"})
    wait_exchanges(rcv, 1)
    remote_children = [s for s in rcv.spans() if s["parent_span_id"] == PARENT]
    assert remote_children, "no span has the TRACEPARENT parent"
    for s in remote_children:
        assert s["flags"] & 0x300 == 0x300, "Span.flags %#x lacks is-remote bits" % s["flags"]
    for s in rcv.spans():
        assert s["trace_state"] == "vendor=abc,x=1", s["trace_state"]


@pytest.mark.parametrize("tp", [
    "00-%s-%s-01" % (TRACE.upper(), PARENT),
    "00-%s-%s-01" % ("0" * 32, PARENT),
    "00-%s-%s-01" % (TRACE, "0" * 16),
    "ff-%s-%s-01" % (TRACE, PARENT),
    "00-%s-%s" % (TRACE, PARENT),
    "garbage",
], ids=["uppercase", "zero-trace", "zero-parent", "version-ff", "no-flags", "garbage"])
def test_invalid_traceparent_ignored(run, mock, rcv, tp):
    run_both(run, curl_cmd(mock), env={"TRACEPARENT": tp, "TRACESTATE": "vendor=abc"})
    wait_exchanges(rcv, 1)
    rcv.wait_for(lambda rv: root_spans(rv.spans()), 2)
    spans = rcv.spans()
    ex = exchange_spans(spans)[0]
    roots = root_spans(spans)
    assert ex["trace_id"] not in (TRACE, "0" * 32)
    assert PARENT not in [s["parent_span_id"] for s in spans]
    assert len(roots) == 1 and ex["parent_span_id"] == roots[0]["span_id"]
    assert roots[0]["parent_span_id"] == ""
    assert all(s["trace_state"] == "" for s in spans), "tracestate must be dropped too"


def test_trace_per_call(run, mock, rcv):
    run_both(run, py_cmd("py_http_client", mock, extra=["--keepalive", "3"]),
             env={"LLMTAP_TRACE": "call"})
    ex = exchange_spans(wait_exchanges(rcv, 3))
    assert len(ex) == 3
    assert len({s["trace_id"] for s in ex}) == 3
    assert all(s["parent_span_id"] == "" for s in ex)


def test_child_process_joins_parent_trace(run, mock, rcv):
    r = run_both(run, py_cmd("py_spawn_child", mock))
    spans = wait_exchanges(rcv, 2)
    rcv.wait_for(lambda rv: len(root_spans(rv.spans())) >= 2, 3)
    spans = rcv.spans()
    ex = exchange_spans(spans)
    assert len(ex) == 2, (r.pid, [(s["resource"].get("process.pid"), s["span_id"], s["trace_id"],
                                   s["start"]) for s in ex], len(rcv.requests))
    assert len({s["trace_id"] for s in spans}) == 1, "all spans in one trace"
    by_id = {s["span_id"]: s for s in spans}
    parent_roots = [s for s in root_spans(spans) if s["attrs"].get("process.pid") == r.pid]
    assert len(parent_roots) == 1, [s["attrs"].get("process.pid") for s in root_spans(spans)]
    proot = parent_roots[0]
    child_ex = [s for s in ex if s["resource"].get("process.pid") != r.pid]
    assert len(child_ex) == 1, [s["resource"].get("process.pid") for s in ex]
    # Walk the child's exchange up through received spans to the parent's root.
    cur, chain = child_ex[0], []
    while cur["parent_span_id"] and cur["span_id"] != proot["span_id"]:
        chain.append(cur["name"])
        assert cur["parent_span_id"] in by_id, "ancestor %s not received (chain %s)" % (
            cur["parent_span_id"], chain)
        cur = by_id[cur["parent_span_id"]]
    assert cur["span_id"] == proot["span_id"], "ancestry %s does not reach the parent root" % chain


def test_fork_child_starts_clean_and_traces_on(run, mock, rcv):
    """fork() without exec: the child gets its own process span under the parent's, its own
    exchange span, and none of the parent's queued spans twice."""
    r = run_both(run, py_cmd("py_fork_child", mock), env=FORK_ENV)
    wait_exchanges(rcv, 3)
    rcv.wait_for(lambda rv: len(root_spans(rv.spans())) >= 2, 3)
    spans = rcv.spans()
    ex = exchange_spans(spans)
    assert len(ex) == 3, [(s["resource"].get("process.pid"), r.pid, s["span_id"]) for s in spans]
    assert len({s["span_id"] for s in spans}) == len(spans), "a span was exported twice"
    assert len({s["trace_id"] for s in spans}) == 1
    roots = root_spans(spans)
    proot = [s for s in roots if s["attrs"].get("process.pid") == r.pid]
    croot = [s for s in roots if s["attrs"].get("process.pid") != r.pid]
    assert len(proot) == 1 and len(croot) == 1, [s["attrs"] for s in roots]
    assert croot[0]["parent_span_id"] == proot[0]["span_id"]
    parent_ex = [s for s in ex if s["resource"].get("process.pid") == r.pid]
    child_ex = [s for s in ex if s["resource"].get("process.pid") != r.pid]
    assert len(parent_ex) == 2 and len(child_ex) == 1
    assert all(s["parent_span_id"] == proot[0]["span_id"] for s in parent_ex)
    assert child_ex[0]["parent_span_id"] == croot[0]["span_id"]

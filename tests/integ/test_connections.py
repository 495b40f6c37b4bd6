"""Keep-alive connections and concurrent threads: one span per exchange."""

import pytest
import mock_provider as M
from integ_util import (assert_exchange, exchange_spans, py_cmd, root_spans, run_both,
                        wait_exchanges)


def test_keepalive_20_exchanges(run, mock, rcv):
    r = run_both(run, py_cmd("py_http_client", mock, extra=["--keepalive", "20"]))
    assert r.out.count(M.OPENAI_ID.encode()) == 20
    spans = wait_exchanges(rcv, 20)
    ex = exchange_spans(spans)
    assert len(ex) == 20, [s["name"] for s in ex]
    assert len({s["span_id"] for s in ex}) == 20
    assert len({s["trace_id"] for s in ex}) == 1
    for s in ex:
        assert_exchange(s, "openai", False, "localhost", mock.port)
    starts = sorted(s["start"] for s in ex)
    ends = sorted(s["end"] for s in ex)
    # Sequential on one connection: exchange i ends before exchange i+1 starts.
    assert all(ends[i] <= starts[i + 1] for i in range(19))


@pytest.mark.threads
def test_keepalive_streams(run, mock, rcv):
    run_both(run, py_cmd("py_http_client", mock, provider="openai", stream=True,
                         extra=["--keepalive", "5"]))
    ex = exchange_spans(wait_exchanges(rcv, 5))
    assert len(ex) == 5
    for s in ex:
        assert_exchange(s, "openai", True, "localhost", mock.port)


@pytest.mark.threads
def test_threads_8(run, mock, rcv):
    run_both(run, py_cmd("py_http_client", mock, stream=True, extra=["--threads", "8"]))
    spans = wait_exchanges(rcv, 8)
    ex = exchange_spans(spans)
    assert len(ex) == 8
    assert len({s["span_id"] for s in ex}) == 8
    for s in ex:
        assert_exchange(s, "openai", True, "localhost", mock.port)
    roots = root_spans(spans)
    assert len(roots) == 1
    assert all(s["parent_span_id"] == roots[0]["span_id"] for s in ex)

"""valgrind memcheck of real clients under llmtap (plain build): no memory error and no
definite leak attributed anywhere in the process. Content capture on and JSONL export, so the
span builder, the adapters and every exporter run; streamed and plain exchanges, curl and
Python's http.client. Skipped under a sanitizer build (valgrind and ASan/TSan exclude each
other) and when valgrind is missing."""

import os
import shutil

import pytest

import conftest
import mock_provider as M
from integ_util import STATUS_UNSET, check_attrs, cmd_for, exchange_spans, wait_exchanges

pytestmark = pytest.mark.skipif(
    conftest.SANITIZER != "" or shutil.which("valgrind") is None,
    reason="valgrind runs against the plain build only")

VALGRIND = ["valgrind", "--tool=memcheck", "--error-exitcode=99", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
            "--track-fds=no", "--num-callers=30", "-q"]


@pytest.mark.parametrize("client,stream", [("curl", True), ("curl", False),
                                           ("py_http_client", True)])
def test_memcheck(run, mock, rcv, tmp_path, client, stream):
    env = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
           "OTEL_TRACES_EXPORTER": "otlp,console",
           "LLMTAP_FILE": str(tmp_path / "spans.jsonl"),
           # Python's own allocator hides its blocks from memcheck; use malloc directly.
           "PYTHONMALLOC": "malloc"}
    cmd = cmd_for(client, mock, stream=stream, scenario="tools")
    base = run(cmd, agent=False)
    got = run(VALGRIND + cmd, env=env, timeout=300)
    assert got.rc == base.rc, got.err[-4000:]
    assert got.out == base.out
    assert "definitely lost" not in got.err, got.err[-4000:]
    spans = exchange_spans(wait_exchanges(rcv, 1, timeout=20))
    assert len(spans) == 1
    span = spans[0]
    assert span["status_code"] == STATUS_UNSET
    check_attrs(span, dict(M.expected_usage("openai"),
                           **{"gen_ai.response.finish_reasons": ["tool_calls"]}))
    assert "get_weather" in span["attrs"]["gen_ai.output.messages"]
    assert os.path.getsize(str(tmp_path / "spans.jsonl")) > 0

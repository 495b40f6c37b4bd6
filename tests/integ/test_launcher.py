"""The `llmtap` command as a launcher (build/llmtap, cli/): it preloads the library itself (no
LD_PRELOAD given), finds the library next to itself, and passes the command's exit status
through. Options, signals and the summary are covered in test_cli.py."""

import os

import pytest

from integ_util import curl_cmd, exchange_spans, wait_exchanges

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAUNCHER = os.path.join(REPO, "build", "llmtap")


@pytest.fixture(autouse=True)
def _need_cli():
    if not os.path.exists(LAUNCHER):
        pytest.skip("build/llmtap is not built (make cli)")


def test_launcher_traces_and_passes_status(run, mock, rcv):
    base = run(curl_cmd(mock), agent=False)
    # agent=True only to point the exporter at the receiver; LD_PRELOAD is removed so the
    # launcher is what preloads the library (build/libllmtap.so, next to build/llmtap).
    got = run([LAUNCHER, "--"] + curl_cmd(mock), env={"LD_PRELOAD": None})
    assert got.rc == base.rc == 0
    assert got.out == base.out
    assert len(exchange_spans(wait_exchanges(rcv, 1))) == 1


def test_launcher_exit_status_and_usage(run):
    assert run([LAUNCHER, "--", "sh", "-c", "exit 7"], agent=False, cache=False).rc == 7
    assert run([LAUNCHER], agent=False, cache=False).rc == 2

"""scripts/llmtap: the launcher preloads the library itself (no LD_PRELOAD given), keeps an
existing LD_PRELOAD, and passes the command's exit status through."""

import os

from integ_util import curl_cmd, exchange_spans, wait_exchanges

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAUNCHER = os.path.join(REPO, "scripts", "llmtap")


def test_launcher_traces_and_passes_status(run, mock, rcv):
    base = run(curl_cmd(mock), agent=False)
    # agent=True only to point the exporter at the receiver; LD_PRELOAD is removed so the
    # launcher is what preloads the library.
    got = run([LAUNCHER, "--"] + curl_cmd(mock), env={"LD_PRELOAD": None})
    assert got.rc == base.rc == 0
    assert got.out == base.out
    assert len(exchange_spans(wait_exchanges(rcv, 1))) == 1


def test_launcher_exit_status_and_usage(run):
    assert run([LAUNCHER, "--", "sh", "-c", "exit 7"], agent=False).rc == 7
    assert run([LAUNCHER], agent=False).rc == 2

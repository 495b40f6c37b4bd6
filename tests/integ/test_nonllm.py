"""Traffic that is not an LLM API call produces no span at all."""

import hashlib
import time

import pytest

import mock_provider as M
from integ_util import py_cmd, run_both

SIZE = 1048576


@pytest.mark.parametrize("client", ["curl", "py_requests", "py_http_client"])
def test_download_makes_no_span(run, mock, rcv, client):
    if client == "curl":
        cmd = ["curl", "--http1.1", "-sS", "--cacert", mock.ca,
               "%s/download?bytes=%d" % (mock.url, SIZE)]
    else:
        cmd = py_cmd(client, mock, extra=["--download", str(SIZE)])
    r = run_both(run, cmd)
    assert r.rc == 0, r.err
    assert hashlib.sha256(r.out).digest() == hashlib.sha256(M.download_bytes(SIZE)).digest()
    time.sleep(0.3)
    assert rcv.requests == [], "a process that traced no exchange exports nothing"


def test_unknown_path_makes_no_span(run, mock, rcv):
    run_both(run, ["curl", "--http1.1", "-sS", "--cacert", mock.ca, "-X", "POST",
                   "-H", "Content-Type: application/json", "--data-binary", '{"model":"x"}',
                   mock.url + "/v1/embeddingz"])
    time.sleep(0.3)
    assert rcv.requests == []
